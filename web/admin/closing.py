"""Closing a service point for a day (or giving it other hours): the visits the new exception
leaves outside the point's hours, and what the administrator chose for them: move each to the
next free hour of the same service at the same location, or cancel it; the visitor is told
either way. What cannot be moved stays, flagged wherever the visit is shown (fit.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.admin.forms import ExceptionValues
from web.catalog import Catalog
from web.db.models import Reservation
from web.i18n import translations
from web.reservations import notices, store
from web.reservations.booking import TZ, BookingError, Status
from web.reservations.fit import OPEN, visit_fits, with_exception, within
from web.reservations.slots import free_hours
from web.reservations.store import R
from web.staff import queries
from web.staff.moving import move, tell_moved

HOW = ("move", "cancel", "keep")


async def affected_visits(
    engine: AsyncEngine, catalog: Catalog, point_id: str, values: ExceptionValues
) -> list[Reservation]:
    """The point's visits still to happen that day which the exception leaves outside its
    hours, by time."""
    point = catalog.points[point_id]
    calendar = with_exception(point, values.day, values.spans)
    rows = await queries.day_of_point(engine, point_id, values.day, tuple(OPEN))
    out = []
    for row in rows:
        service = catalog.services.get(row.service)
        if within(calendar, row.start, service.duration_min if service else 15):
            continue
        r = await store.get(engine, reservation_id=row.id)
        if r is not None and Status(r.status) in OPEN:
            out.append(r)
    return out


async def next_free(
    engine: AsyncEngine, catalog: Catalog, r: Reservation, now: datetime
) -> datetime | None:
    """The first free hour of the visit's service at its location from the visit's own time
    on, within the booking window (so the visitor gets the usual notice)."""
    service = catalog.services.get(r.service)
    if service is None or not r.location or r.location not in catalog.locations:
        return None
    today = now.astimezone(TZ).date()
    day = max(r.start.astimezone(TZ).date(), today)
    last = today + timedelta(days=service.horizon_days)
    while day <= last:
        for start, _free in await free_hours(engine, catalog, r.service, r.location, day, now):
            if start >= r.start:
                return start
        day += timedelta(days=1)
    return None


@dataclass
class Outcome:
    moved: int = 0
    cancelled: int = 0
    left: int = 0  # stay as they are, flagged
    unsent: int = 0  # moved or cancelled, but the visitor's message could not be sent

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


async def settle(
    app: Any,
    catalog: Catalog,
    visits: list[Reservation],
    how: str,
    *,
    actor: str,
    reason: str,
    base_url: str,
    now: datetime,
) -> Outcome:
    """Move or cancel each visit (``catalog``: with the exception saved), telling its visitor.
    Earlier visits first, so they get the earlier free hours."""
    engine: AsyncEngine = app.state.engine
    out = Outcome()
    for r in sorted(visits, key=lambda v: v.start):
        if how == "move":
            start = await next_free(engine, catalog, r, now)
            if start is None:
                out.left += 1
                continue
            try:
                moved = await move(engine, catalog, r, start, now, actor=actor)
            except BookingError:
                out.left += 1
                continue
            out.moved += 1
            out.unsent += not await tell_moved(app, catalog, moved, base_url)
        elif how == "cancel":
            try:
                await store.set_status(
                    engine, r.id, Status.CANCELLED, now, actor=actor, detail=reason
                )
            except BookingError:
                out.left += 1
                continue
            out.cancelled += 1
            closed = translations(r.language or "pl").gettext(
                "The service point is closed at that time."
            )
            why = f"{closed} ({reason})" if reason else closed
            out.unsent += not await notices.tell_cancelled(
                app, catalog, r, by_office=True, reason=why
            )
        else:
            out.left += 1
    return out


async def upcoming_off_schedule(
    engine: AsyncEngine, catalog: Catalog, point_id: str, now: datetime
) -> int:
    """How many of the point's visits still to come no longer fit its schedule (after a day
    was closed and they were left, or its weekly hours changed, or it was deactivated)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(R.c.service, R.c.start).where(
                (R.c.service_point == point_id)
                & (R.c.start >= now)
                & R.c.status.in_([str(s) for s in OPEN])
            )
        )
        return sum(not visit_fits(catalog, point_id, r.service, _aware(r.start)) for r in rows)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
