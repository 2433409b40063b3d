"""The reminder the day before a visit (by e-mail or SMS): time, place and the manage link.

Each reservation is claimed with ``UPDATE … SET reminder_sent_at = now WHERE id = … AND
reminder_sent_at IS NULL`` before its message is sent, so several workers running this job
at once send each reminder once. A message that fails is unclaimed and tried again later.
Reminders go out only between 08:00 and 20:00 in Warsaw: nobody wants a text at night.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, select, update

from web.catalog import load_catalog
from web.db.models import Reservation
from web.i18n import translations
from web.reservations import store
from web.reservations.booking import TZ, Status
from web.reservations.flow import SEND_ERRORS, manage_url, visit_facts, when_text
from web.reservations.notices import home_url

log = logging.getLogger("okienko.web.reminders")
R = cast(Table, Reservation.__table__)
SEND_FROM = time(8, 0)
SEND_UNTIL = time(20, 0)


def sending_hours(now: datetime) -> bool:
    return SEND_FROM <= now.astimezone(TZ).time() < SEND_UNTIL


def tomorrow(now: datetime) -> tuple[datetime, datetime]:
    """Tomorrow in Warsaw as [start, end) in UTC (a DST day has 23 or 25 hours)."""
    day = now.astimezone(TZ).date() + timedelta(days=1)
    lo = datetime.combine(day, time.min, TZ)
    hi = datetime.combine(day + timedelta(days=1), time.min, TZ)
    return lo.astimezone(UTC), hi.astimezone(UTC)


def reminder_text(when: str, place: str, link: str, language: str) -> str:
    t = translations(language)
    return t.gettext(
        "Reminder: your visit at the city office is %(when)s, %(place)s. To cancel: %(link)s"
    ) % {"when": when, "place": place, "link": link}


async def send_reminders(app: Any, now: datetime) -> int:
    """Send tomorrow's reminders not sent yet; returns how many were sent."""
    if not sending_hours(now):
        return 0
    engine = app.state.engine
    lo, hi = tomorrow(now)
    async with engine.connect() as conn:
        ids = list(
            await conn.scalars(
                select(R.c.id).where(
                    (R.c.status == Status.CONFIRMED)
                    & R.c.reminder_sent_at.is_(None)
                    & (R.c.start >= lo)
                    & (R.c.start < hi)
                )
            )
        )
    if not ids:
        return 0
    catalog = await load_catalog(engine)
    base = home_url(app)
    sent = 0
    for rid in ids:
        if not await store.claim(engine, rid, R.c.reminder_sent_at.is_(None), reminder_sent_at=now):
            continue  # another worker has it
        r = await store.get(engine, reservation_id=rid)
        if r is None or r.status != Status.CONFIRMED:
            continue
        language = r.language or "pl"  # the language the visitor booked in
        facts = visit_facts(catalog, r, language)
        text = reminder_text(
            when_text(r.start, language), facts.place, manage_url(base, r), language
        )
        subject = translations(language).gettext("Reminder: your visit tomorrow")
        try:
            for contact in r.contacts():
                await app.state.notifier.send(contact, subject, text)
        except SEND_ERRORS as exc:
            log.warning("reminder for reservation %s not sent: %s", rid, type(exc).__name__)
            async with engine.begin() as conn:
                await conn.execute(update(R).where(R.c.id == rid).values(reminder_sent_at=None))
            continue
        sent += 1
    if sent:
        log.info("sent %d visit reminders", sent)
    return sent
