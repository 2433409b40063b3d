"""Telling a visitor that the office cancelled their visit: its service point is closed then
(an exception in the calendar). Self-contained: the one message the closing of a day needs
besides "your visit has been moved" (web/staff/moving.py)."""

from __future__ import annotations

import logging
from typing import Any

from web.catalog import Catalog
from web.db.models import Reservation
from web.i18n import translations
from web.reservations.flow import SEND_ERRORS, visit_facts, when_text

log = logging.getLogger("okienko.web.reservations")


def cancelled_text(
    catalog: Catalog, r: Reservation, book_url: str, language: str
) -> tuple[str, str]:
    """Subject and text in the visitor's language. No name: an SMS is read by whoever holds
    the phone."""
    t = translations(language)
    facts = visit_facts(catalog, r, language)
    values = {
        "when": when_text(r.start, language),
        "place": facts.place,
        "service": facts.service,
        "link": book_url,
    }
    subject = t.gettext("Your visit has been cancelled: %(when)s") % values
    text = (
        t.gettext(
            "The city office has cancelled your visit (%(service)s) on %(when)s, %(place)s: "
            "the service point is closed at that time. We apologise. "
            "Book another time: %(link)s"
        )
        % values
    )
    return subject, text


async def tell_cancelled(app: Any, catalog: Catalog, r: Reservation, base_url: str) -> bool:
    """False (logged without personal data) when the message could not be sent."""
    subject, text = cancelled_text(catalog, r, f"{base_url.rstrip('/')}/", r.language or "pl")
    try:
        for contact in r.contacts():
            await app.state.notifier.send(contact, subject, text)
    except SEND_ERRORS as exc:
        log.warning("cancellation of reservation %s not sent: %s", r.id, type(exc).__name__)
        return False
    return True
