"""Free hours of a service at a location, and holding one, across the location's service
points: the booking pages, the JSON API and the staff's "book for a caller" all use these."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.catalog import Catalog
from web.db.models import Reservation, SlotCount
from web.reservations import store
from web.reservations.booking import (
    TZ,
    BookingError,
    NotASlot,
    SlotFull,
    Span,
    Status,
    building_room,
    check_request,
    free_slots,
)

S = cast(Table, SlotCount.__table__)


async def taken_counts(
    engine: AsyncEngine, points: list[str], service: str, day: date
) -> dict[tuple[str, datetime], int]:
    """Places taken per (service point, slot start) on ``day``, with expired holds discounted
    only by the sweeper (every 30 s), so the count is never too low."""
    lo = datetime.combine(day, datetime.min.time(), TZ).astimezone(UTC)
    hi = lo + timedelta(days=1, hours=1)
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(S.c.service_point, S.c.start, S.c.taken).where(
                S.c.service_point.in_(points)
                & (S.c.service == service)
                & (S.c.start >= lo)
                & (S.c.start < hi)
            )
        )
        return {(r.service_point, _aware(r.start)): r.taken for r in rows}


async def free_hours(
    engine: AsyncEngine,
    catalog: Catalog,
    service: str,
    location: str,
    day: date,
    now: datetime,
    *,
    staff: bool = False,
) -> list[tuple[datetime, int]]:
    """(start in Europe/Warsaw, free places) of ``day``, summed over the location's points;
    ``staff``: as staff may book them (without the public notice)."""
    points = catalog.points_for(service, location)
    if not points:
        return []
    taken = await taken_counts(engine, [p.id for p in points], service, day)
    loc = catalog.locations[location]
    visits: list[Span] = []
    if loc.building_limit:
        lo = datetime.combine(day, datetime.min.time(), TZ)
        visits = await store.building_visits(engine, location, lo, lo + timedelta(days=1), now)
    free: dict[datetime, int] = defaultdict(int)
    length = timedelta(minutes=catalog.services[service].duration_min)
    for p in points:
        offer = catalog.offer(service, p.id, staff=staff)
        mine = {start.astimezone(TZ): n for (pid, start), n in taken.items() if pid == p.id}
        for fs in free_slots(
            p.calendar,
            offer,
            day,
            now,
            mine,
            building_limit=loc.building_limit,
            building_visits=visits,
        ):
            free[fs.slot.start] += fs.free
    if loc.building_limit:  # summed places cannot exceed the building's room at that time
        for start in list(free):
            room = building_room(loc.building_limit, visits, start, start + length)
            free[start] = min(free[start], room)
    return sorted((s, n) for s, n in free.items() if n > 0)


async def hold_at(
    engine: AsyncEngine,
    catalog: Catalog,
    service: str,
    location: str | None,
    start: datetime,
    now: datetime,
    *,
    name: str,
    contact: str,
    contact_extra: str = "",
    confirm_code: str | None = None,
    kind: str = "online",
    actor: str = "visitor",
    status: Status = Status.PENDING,
    language: str = "pl",
    staff: bool = False,
) -> Reservation:
    """Hold (or book) ``start`` at the first service point of the location that has a place;
    ``staff`` (booking for a caller or at the desk) without the public notice.

    Raises NotASlot / OutsideWindow when no point has such a slot, SlotFull when all are full."""
    points = catalog.points_for(service, location)
    last: BookingError = NotASlot("no such slot")
    for p in points:
        offer = catalog.offer(service, p.id, staff=staff)
        try:
            slot = check_request(p.calendar, offer, start, now)
        except BookingError as exc:
            if not isinstance(last, SlotFull):
                last = exc
            continue
        loc = catalog.locations.get(p.location)
        try:
            return await store.hold(
                engine,
                offer,
                slot.start,
                name=name,
                contact=contact,
                contact_extra=contact_extra,
                now=now,
                confirm_code=confirm_code,
                location=p.location,
                building_limit=loc.building_limit if loc else None,
                kind=kind,
                actor=actor,
                status=status,
                language=language,
            )
        except store.BuildingFull:
            raise
        except SlotFull as exc:
            last = exc
    raise last


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
