"""What the visitor is told when a booking ends or is settled by someone else: a hold that ran
out unconfirmed, their own cancellation, and the office's cancellation (with its reason). The
office's confirmation sends the usual confirmation with the access code (flow.py).

Each message goes to every contact of the reservation, in the language it was booked in, and
says no more than needed: the time and place, never the name; no access code (it is void).

An expired hold keeps its ``hold_until`` until the visitor has been told: the job claims each
one by clearing it (a conditional UPDATE), so several workers tell each visitor once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select

from web.catalog import Catalog
from web.db.models import Reservation
from web.i18n import translations
from web.reservations import store
from web.reservations.booking import Status
from web.reservations.flow import SEND_ERRORS, visit_facts, when_text

log = logging.getLogger("okienko.web.reservations")
R = cast(Table, Reservation.__table__)
BATCH = 200


def home_url(app: Any) -> str:
    return str(getattr(app.state, "public_url", None) or "http://localhost:8000").rstrip("/") + "/"


def expired_text(r: Reservation, link: str, language: str) -> tuple[str, str]:
    t = translations(language)
    values = {"when": when_text(r.start, language), "link": link}
    return t.gettext("Your booking was not confirmed"), t.gettext(
        "Your booking for %(when)s was not confirmed with the code in time, so the hour is "
        "free again. To book again: %(link)s"
    ) % values


def cancelled_text(
    catalog: Catalog,
    r: Reservation,
    link: str,
    language: str,
    *,
    by_office: bool,
    reason: str = "",
) -> tuple[str, str]:
    t = translations(language)
    values = {
        "when": when_text(r.start, language),
        "place": visit_facts(catalog, r, language).place,
        "link": link,
        "reason": reason,
    }
    if not by_office:
        return t.gettext("Your visit is cancelled"), t.gettext(
            "Your visit at the city office on %(when)s (%(place)s) is cancelled, as you asked. "
            "The access code no longer works. To book another time: %(link)s"
        ) % values
    lines = [
        t.gettext(
            "The city office has cancelled your visit on %(when)s (%(place)s). "
            "The access code no longer works."
        )
        % values
    ]
    if reason:
        lines.append(t.gettext("Reason: %(reason)s") % values)
    lines.append(t.gettext("To book another time: %(link)s") % values)
    return t.gettext("Your visit has been cancelled by the office"), "\n".join(lines)


async def tell(app: Any, r: Reservation, subject: str, text: str) -> bool:
    """To every contact; False (logged without personal data) when one could not be sent."""
    sent = True
    for contact in r.contacts():
        try:
            await app.state.notifier.send(contact, subject, text)
        except SEND_ERRORS as exc:
            log.warning("notice for reservation %s not sent: %s", r.id, type(exc).__name__)
            sent = False
    return sent


async def tell_cancelled(
    app: Any, catalog: Catalog, r: Reservation, *, by_office: bool, reason: str = ""
) -> bool:
    language = r.language or "pl"
    subject, text = cancelled_text(
        catalog, r, home_url(app), language, by_office=by_office, reason=reason
    )
    return await tell(app, r, subject, text)


async def tell_expired(app: Any, now: datetime) -> int:
    """Tell the visitors whose holds ran out (swept by any worker); returns how many."""
    engine = app.state.engine
    async with engine.connect() as conn:
        ids = list(
            await conn.scalars(
                select(R.c.id)
                .where((R.c.status == Status.EXPIRED) & R.c.hold_until.is_not(None))
                .limit(BATCH)
            )
        )
    told = 0
    for rid in ids:
        if not await store.claim(engine, rid, R.c.hold_until.is_not(None), hold_until=None):
            continue  # another worker has it
        r = await store.get(engine, reservation_id=rid)
        if r is None or not r.contacts() or r.start <= now:
            continue  # erased, or its hour is over: nothing worth saying
        language = r.language or "pl"
        subject, text = expired_text(r, home_url(app), language)
        told += await tell(app, r, subject, text)
    return told
