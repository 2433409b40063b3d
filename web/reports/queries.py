"""Reading what the statistics need: the sites' events of a period, and reservations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.domain import events as ev
from web.db.models import QueueEvent, Reservation
from web.reports.stats import TZ

QE = cast(Table, QueueEvent.__table__)
R = cast(Table, Reservation.__table__)


async def period_events(
    engine: AsyncEngine, first: date, last: date, site: str | None
) -> list[tuple[str, ev.Event]]:
    where = (QE.c.day >= first) & (QE.c.day <= last)
    if site:
        where &= QE.c.location_id == site
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(QE.c.location_id, QE.c.body)
            .where(where)
            .order_by(QE.c.location_id, QE.c.hub_seq)
        )
        return [(r.location_id, ev.event_from_json(r.body)) for r in rows]


async def reservation_statuses(
    engine: AsyncEngine, first: date, last: date, site: str | None
) -> list[tuple[str, datetime]]:
    lo = datetime.combine(first, datetime.min.time(), TZ)
    hi = datetime.combine(last + timedelta(days=1), datetime.min.time(), TZ)
    where = (R.c.start >= lo) & (R.c.start < hi)
    if site:
        where &= R.c.location == site
    async with engine.connect() as conn:
        rows = await conn.execute(select(R.c.status, R.c.start).where(where))
        out = []
        for r in rows:
            start = r.start if r.start.tzinfo else r.start.replace(tzinfo=UTC)
            out.append((r.status, start))
        return out


async def visits_between(
    engine: AsyncEngine, first: date, last: date, site: str | None
) -> list[tuple[datetime, str, str, str]]:
    """(start, service, service point, status) of the reservations of days first..last."""
    lo = datetime.combine(first, datetime.min.time(), TZ)
    hi = datetime.combine(last + timedelta(days=1), datetime.min.time(), TZ)
    where = (R.c.start >= lo) & (R.c.start < hi)
    if site:
        where &= R.c.location == site
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(R.c.start, R.c.service, R.c.service_point, R.c.status).where(where)
        )
        return [(r.start if r.start.tzinfo else r.start.replace(tzinfo=UTC), *r[1:]) for r in rows]
