"""Moving a visit to another hour (same service, same location) and telling the visitor.

The location's free hours are summed over its desks; the move picks a desk that has the
hour, the visit's own desk first so the visitor keeps the room when possible."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from web.catalog import Catalog
from web.db.models import Reservation
from web.i18n import translations
from web.reservations import store
from web.reservations.booking import BookingError, NotASlot, SlotFull, check_request
from web.reservations.flow import SEND_ERRORS, manage_url, visit_facts, when_text

log = logging.getLogger("okienko.web.staff")


async def move(
    engine: Any,
    catalog: Catalog,
    r: Reservation,
    start: datetime,
    now: datetime,
    *,
    actor: str,
) -> Reservation:
    """The moved reservation, or the BookingError of the last desk tried (SlotFull when every
    desk with the hour is full, BuildingFull at once)."""
    points = catalog.points_for(r.service, r.location or None)
    points.sort(key=lambda p: p.id != r.service_point)
    last: BookingError = NotASlot("no such slot")
    loc = catalog.locations.get(r.location)
    for p in points:
        offer = catalog.offer(r.service, p.id)
        try:
            slot = check_request(p.calendar, offer, start, now)
        except BookingError as exc:
            if not isinstance(last, SlotFull):
                last = exc
            continue
        try:
            return await store.reschedule(
                engine,
                r.id,
                offer,
                slot.start,
                now,
                actor=actor,
                building_limit=loc.building_limit if loc else None,
            )
        except store.BuildingFull:
            raise
        except SlotFull as exc:
            last = exc
    raise last


def moved_text(catalog: Catalog, r: Reservation, link: str, language: str) -> tuple[str, str]:
    """Subject and text telling the visitor the new time and place. No name: an SMS is read by
    whoever holds the phone."""
    t = translations(language)
    facts = visit_facts(catalog, r, language)
    values = {
        "when": when_text(r.start, language),
        "place": facts.place,
        "service": facts.service,
        "code": r.access_code,
        "number": store.ticket_label(r.number),
        "link": link,
    }
    subject = t.gettext("Your visit has been moved: %(when)s") % values
    text = (
        t.gettext(
            "Your visit at the city office (%(service)s) has been moved to %(when)s, "
            "%(place)s. Access code %(code)s, number %(number)s. Details: %(link)s"
        )
        % values
    )
    return subject, text


async def tell_moved(app: Any, catalog: Catalog, r: Reservation, base_url: str) -> bool:
    """False (logged without personal data) when the message could not be sent."""
    # Told in the language the visitor booked in, not the clerk's.
    subject, text = moved_text(catalog, r, manage_url(base_url, r), r.language or "pl")
    try:
        for contact in r.contacts():
            await app.state.notifier.send(contact, subject, text)
    except SEND_ERRORS as exc:
        log.warning("move of reservation %s not sent: %s", r.id, type(exc).__name__)
        return False
    return True
