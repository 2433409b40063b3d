"""Reservations in the database: holding a slot atomically, confirming, cancelling.

A booking increments the slot's counter with ``UPDATE … SET taken = taken + 1 WHERE taken <
capacity`` in the same transaction that inserts the reservation. The row update is the lock:
PostgreSQL re-checks the condition after waiting for a concurrent booking's lock, SQLite
serialises writers; either way no more than the capacity is ever taken.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from web import metrics
from web.db.models import Reservation, ReservationEvent, SlotCount
from web.reservations.booking import (
    HOLDS_CAPACITY,
    TZ,
    BookingError,
    InvalidTransition,
    Offer,
    SlotFull,
    Span,
    Status,
    access_code,
    building_room,
    check_timing,
    transition,
)

R = cast(Table, Reservation.__table__)
S = cast(Table, SlotCount.__table__)
E = cast(Table, ReservationEvent.__table__)


class NotFound(BookingError):
    code = "not_found"


class BuildingFull(SlotFull):
    code = "building_full"


class HoldExpired(BookingError):
    code = "hold_expired"


def _slot(offer: Offer, start: datetime):  # type: ignore[no-untyped-def]
    return (
        (S.c.service_point == offer.service_point)
        & (S.c.service == offer.service)
        & (S.c.start == start)
    )


async def _ensure_counter(
    conn: AsyncConnection, service_point: str, service: str, start: datetime
) -> None:
    values = {
        "service_point": service_point,
        "service": service,
        "start": start,
        "taken": 0,
    }
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(insert(S).values(**values).on_conflict_do_nothing())


# The building limit (seed 003) counts the visits inside at the same moment: each holding
# reservation occupies [start, start + its length). A booking locks its location's day row
# first, so two bookings of one building check and insert one after the other.
BUILDING = "#building"
LONGEST_VISIT = timedelta(hours=12)  # how far back a visit may have begun and still be on
DEFAULT_MIN = 15  # a reservation stored before lengths were kept


def _local_midnight(start: datetime) -> datetime:
    return start.astimezone(TZ).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


async def _visits_inside(
    conn: AsyncConnection,
    location: str,
    lo: datetime,
    hi: datetime,
    now: datetime,
    *,
    but: str | None = None,
) -> list[Span]:
    """(start, end) of the location's reservations holding a place that overlap [lo, hi)."""
    rows = await conn.execute(
        select(R.c.id, R.c.start, R.c.duration_min, R.c.status, R.c.hold_until).where(
            (R.c.location == location)
            & (R.c.start < hi)
            & (R.c.start > lo - LONGEST_VISIT)
            & R.c.status.in_([str(x) for x in HOLDS_CAPACITY])
        )
    )
    spans = []
    for r in rows:
        pending = Status(r.status) is Status.PENDING
        if r.id == but or (pending and (r.hold_until is None or _aware(r.hold_until) <= now)):
            continue  # the visit being moved, or a hold that ran out
        start = _aware(r.start)
        spans.append((start, start + timedelta(minutes=r.duration_min or DEFAULT_MIN)))
    return [(s, e) for s, e in spans if e > lo]


async def _check_building(
    conn: AsyncConnection,
    location: str,
    limit: int,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    but: str | None = None,
) -> None:
    day = _local_midnight(start)
    await _ensure_counter(conn, location, BUILDING, day)
    key = (S.c.service_point == location) & (S.c.service == BUILDING) & (S.c.start == day)
    await conn.execute(update(S).where(key).values(taken=S.c.taken + 1))  # the lock
    visits = await _visits_inside(conn, location, start, end, now, but=but)
    if building_room(limit, visits, start, end) <= 0:
        raise BuildingFull("the building is full at this time")


async def building_visits(
    engine: AsyncEngine, location: str, lo: datetime, hi: datetime, now: datetime
) -> list[Span]:
    """The visits in the building between ``lo`` and ``hi`` (for the free hours' pages)."""
    async with engine.connect() as conn:
        return await _visits_inside(conn, location, _utc(lo), _utc(hi), _utc(now))


async def _visibly_full(engine: AsyncEngine, offer: Offer, start: datetime, now: datetime) -> bool:
    """A read-only look before the write transaction: in a rush most visitors ask for a slot
    that is already full, and answering them without taking the write lock keeps the
    writers' queue (SQLite) or row lock (PostgreSQL) for those who can still get a place.
    Only a "full" answer is trusted here; "free" is decided under the lock."""
    async with engine.connect() as conn:
        taken = await conn.scalar(select(S.c.taken).where(_slot(offer, start)))
        if taken is None or taken < offer.capacity:
            return False
        stale = await conn.scalar(
            select(func.count())
            .select_from(R)
            .where(
                (R.c.service_point == offer.service_point)
                & (R.c.service == offer.service)
                & (R.c.start == start)
                & (R.c.status == Status.PENDING)
                & (R.c.hold_until <= now)
            )
        )
        return not stale


async def _next_number(conn: AsyncConnection, location: str, start: datetime) -> int:
    """The next visit number at the location that day, from a counter row (atomic on both
    databases: the UPDATE takes the row lock)."""
    day = start.astimezone(TZ).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    await _ensure_counter(conn, location, "#number", day)
    row = (
        await conn.execute(
            update(S)
            .where(
                (S.c.service_point == location) & (S.c.service == "#number") & (S.c.start == day)
            )
            .values(taken=S.c.taken + 1)
            .returning(S.c.taken)
        )
    ).one()
    return int(row.taken)


def ticket_label(number: int | None) -> str:
    """How a visit's number is shown and said: R007."""
    return f"R{number:03d}" if number is not None else ""


async def _free_places(conn: AsyncConnection, rows: list[Row]) -> None:
    """Give back the slot place of each released row (the building counts reservations)."""
    for row in rows:
        await conn.execute(
            update(S)
            .where(
                (S.c.service_point == row.service_point)
                & (S.c.service == row.service)
                & (S.c.start == row.start)
            )
            .values(taken=S.c.taken - 1)
        )


async def _expire(conn: AsyncConnection, where, now: datetime) -> int:  # type: ignore[no-untyped-def]
    stale = (
        await conn.execute(
            update(R)
            .where(where & (R.c.status == Status.PENDING) & (R.c.hold_until <= now))
            # hold_until stays until the visitor is told (reservations/notices.py)
            .values(status=Status.EXPIRED)
            .returning(R.c.id, R.c.service_point, R.c.service, R.c.start, R.c.location)
        )
    ).all()
    await _free_places(conn, list(stale))
    for row in stale:
        await _log(conn, row.id, now, "system", "expired")
    return len(stale)


async def _release_stale_holds(
    conn: AsyncConnection, offer: Offer, start: datetime, now: datetime
) -> None:
    await _expire(
        conn,
        (R.c.service_point == offer.service_point)
        & (R.c.service == offer.service)
        & (R.c.start == start),
        now,
    )


async def claim(engine: AsyncEngine, reservation_id: str, unclaimed: Any, **values: Any) -> bool:
    """Mark one reservation as handled by this worker (``UPDATE … WHERE id AND unclaimed``):
    False when another worker got there first, so jobs on several workers act once."""
    async with engine.begin() as conn:
        done = await conn.execute(
            update(R).where((R.c.id == reservation_id) & unclaimed).values(**values)
        )
    return bool(done.rowcount == 1)


async def sweep_expired(engine: AsyncEngine, now: datetime) -> int:
    """Free every slot whose code was not confirmed in time (a background job runs this)."""
    async with engine.begin() as conn:
        return await _expire(conn, R.c.id.is_not(None), _utc(now))


async def _log(
    conn: AsyncConnection,
    reservation_id: str,
    at: datetime,
    actor: str,
    action: str,
    detail: str = "",
) -> None:
    """Every change is recorded (the register's history) and moves the reservation to the end
    of its location's change feed, which the site's hub pulls."""
    await conn.execute(
        E.insert().values(
            reservation_id=reservation_id, at=at, actor=actor, action=action, detail=detail
        )
    )
    if action != "note":
        await _feed(conn, reservation_id)


FEED = "#sync"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


async def _feed(conn: AsyncConnection, reservation_id: str) -> None:
    # A counter row per location: the UPDATE's row lock orders the feed as the commits are
    # ordered, so a hub reading "after N" never skips a change committed later with a lower N.
    location = await conn.scalar(select(R.c.location).where(R.c.id == reservation_id))
    if not location:
        return
    await _ensure_counter(conn, location, FEED, _EPOCH)
    seq = (
        await conn.execute(
            update(S)
            .where((S.c.service_point == location) & (S.c.service == FEED) & (S.c.start == _EPOCH))
            .values(taken=S.c.taken + 1)
            .returning(S.c.taken)
        )
    ).scalar_one()
    await conn.execute(update(R).where(R.c.id == reservation_id).values(sync_seq=seq))


async def changed_since(
    engine: AsyncEngine, location: str, after: int, limit: int = 500
) -> list[Reservation]:
    """The location's reservations changed after feed position ``after``, in feed order."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(R)
            .where((R.c.location == location) & (R.c.sync_seq > after))
            .order_by(R.c.sync_seq)
            .limit(limit)
        )
        return [_entity(r) for r in rows]


MAX_CODE_ATTEMPTS = 5


class WrongCode(BookingError):
    code = "wrong_code"

    def __init__(self, attempts_left: int) -> None:
        super().__init__("wrong confirmation code")
        self.attempts_left = attempts_left


class TooManyAttempts(BookingError):
    code = "too_many_attempts"


def code_digest(reservation_id: str, code: str) -> str:
    return hashlib.sha256(f"{reservation_id}:{code}".encode()).hexdigest()


async def hold(
    engine: AsyncEngine,
    offer: Offer,
    start: datetime,
    *,
    name: str,
    contact: str,
    now: datetime,
    confirm_code: str | None = None,
    contact_extra: str = "",
    location: str = "",
    building_limit: int | None = None,
    kind: str = "online",
    actor: str = "visitor",
    status: Status = Status.PENDING,
    language: str = "pl",
) -> Reservation:
    """Take one place in the slot for ``offer.hold_min`` minutes, or raise SlotFull.

    ``status=CONFIRMED`` books outright (staff booking for a caller). With a ``location`` and
    a ``building_limit``, the visitors inside at any moment of the visit stay within it."""
    start, now = _utc(start), _utc(now)
    if await _visibly_full(engine, offer, start, now):
        raise SlotFull("this hour has just been taken")
    async with engine.begin() as conn:
        await _release_stale_holds(conn, offer, start, now)
        await _ensure_counter(conn, offer.service_point, offer.service, start)
        taken = await conn.execute(
            update(S)
            .where(_slot(offer, start) & (S.c.taken < offer.capacity))
            .values(taken=S.c.taken + 1)
        )
        if taken.rowcount != 1:
            raise SlotFull("this hour has just been taken")
        if location and building_limit is not None:
            end = start + timedelta(minutes=offer.duration_min)
            await _check_building(conn, location, building_limit, start, end, now)
        rid = uuid.uuid4().hex
        pending = status is Status.PENDING
        number = await _next_number(conn, location or offer.service_point, start)
        reservation = Reservation(
            id=rid,
            confirm_digest=code_digest(rid, confirm_code) if confirm_code else None,
            confirm_attempts=0,
            access_code=access_code(),
            service_point=offer.service_point,
            service=offer.service,
            start=start,
            status=status,
            hold_until=now + timedelta(minutes=offer.hold_min) if pending else None,
            name=name,
            contact=contact,
            contact_extra=contact_extra,
            created_at=now,
            kind=kind,
            manage_token=secrets.token_urlsafe(32),
            reminder_sent_at=None,
            location=location,
            number=number,
            language=language,
            duration_min=offer.duration_min,
        )
        await conn.execute(
            R.insert().values({c.name: getattr(reservation, c.name) for c in R.columns})
        )
        await _log(conn, rid, now, actor, "created" if pending else "booked", kind)
    if not pending:
        metrics.BOOKINGS.inc()
    return reservation


async def _change(
    engine: AsyncEngine,
    new: Status,
    now: datetime,
    *,
    code: str | None = None,
    reservation_id: str | None = None,
    actor: str = "visitor",
    detail: str = "",
) -> Status:
    """Move one reservation (by access code or id) to ``new``, releasing its place when it is
    cancelled; refuses what the state machine forbids."""
    now = _utc(now)
    where = R.c.access_code == code if code is not None else R.c.id == reservation_id
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(
                    R.c.id,
                    R.c.status,
                    R.c.hold_until,
                    R.c.service_point,
                    R.c.service,
                    R.c.start,
                    R.c.location,
                ).where(where)
            )
        ).first()
        if row is None:
            raise NotFound("no such reservation")
        current = Status(row.status)
        late = current is Status.EXPIRED or (
            current is Status.PENDING and (row.hold_until is None or _aware(row.hold_until) <= now)
        )
        if new is Status.CONFIRMED and late:
            raise HoldExpired("the confirmation came too late; the hour is free again")
        transition(current, new)
        check_timing(current, new, _aware(row.start), now)
        changed = await conn.execute(
            update(R)
            .where((R.c.id == row.id) & (R.c.status == current))
            .values(status=new, hold_until=None)
        )
        if changed.rowcount != 1:  # someone else changed it meanwhile
            raise InvalidTransition("the reservation changed meanwhile; try again")
        if new is Status.CANCELLED:
            await _free_places(conn, [row])
        undone = current is Status.NO_SHOW and new is Status.CONFIRMED
        await _log(conn, row.id, now, actor, "no_show_undone" if undone else str(new), detail)
    # Counted once committed: a transition that rolled back booked nothing.
    if new is Status.CONFIRMED and not undone:
        metrics.BOOKINGS.inc()
    elif new is Status.CANCELLED:
        metrics.CANCELLATIONS.inc()
    return new


async def confirm(engine: AsyncEngine, code: str, now: datetime, actor: str = "visitor") -> Status:
    return await _change(engine, Status.CONFIRMED, now, code=code, actor=actor)


async def confirm_with_code(
    engine: AsyncEngine, reservation_id: str, code: str, now: datetime
) -> Reservation:
    """The visitor's 6-digit code confirms the hold; five wrong tries lock it.

    The try is taken before the code is compared, by one conditional UPDATE: parallel guesses
    queue on the row lock (PostgreSQL re-checks the condition after the wait, SQLite
    serialises writers), so no more than five are ever compared, however many arrive at once."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                update(R)
                .where((R.c.id == reservation_id) & (R.c.confirm_attempts < MAX_CODE_ATTEMPTS))
                .values(confirm_attempts=R.c.confirm_attempts + 1)
                .returning(R.c.confirm_attempts, R.c.confirm_digest, R.c.access_code)
            )
        ).first()
        if row is None:
            if await conn.scalar(select(R.c.id).where(R.c.id == reservation_id)) is None:
                raise NotFound("no such reservation")
            raise TooManyAttempts("too many wrong codes; book again")
    # Compared after the commit, so a wrong try stays counted.
    if row.confirm_digest is None or not hmac.compare_digest(
        row.confirm_digest, code_digest(reservation_id, code)
    ):
        raise WrongCode(MAX_CODE_ATTEMPTS - row.confirm_attempts)
    await confirm(engine, row.access_code, now)
    async with engine.connect() as conn:
        fresh = (await conn.execute(select(R).where(R.c.id == reservation_id))).first()
    assert fresh is not None
    return _entity(fresh)


async def cancel(
    engine: AsyncEngine, code: str, now: datetime, actor: str = "visitor", detail: str = ""
) -> Status:
    return await _change(engine, Status.CANCELLED, now, code=code, actor=actor, detail=detail)


async def set_status(
    engine: AsyncEngine,
    reservation_id: str,
    new: Status,
    now: datetime,
    *,
    actor: str,
    detail: str = "",
) -> Status:
    """Staff actions on the register: confirm, cancel, check in, mark as not kept."""
    return await _change(
        engine, new, now, reservation_id=reservation_id, actor=actor, detail=detail
    )


async def annotate(
    engine: AsyncEngine, reservation_id: str, text: str, now: datetime, *, actor: str
) -> None:
    async with engine.begin() as conn:
        if await conn.scalar(select(R.c.id).where(R.c.id == reservation_id)) is None:
            raise NotFound("no such reservation")
        await _log(conn, reservation_id, _utc(now), actor, "note", text)


async def history(engine: AsyncEngine, reservation_id: str) -> list[Row]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(E).where(E.c.reservation_id == reservation_id).order_by(E.c.at, E.c.id)
            )
        )


async def get(
    engine: AsyncEngine,
    *,
    code: str | None = None,
    token: str | None = None,
    reservation_id: str | None = None,
) -> Reservation | None:
    """One reservation by access code, manage-link token or id."""
    if code is not None:
        where = R.c.access_code == code
    elif token is not None:
        where = R.c.manage_token == token
    else:
        where = R.c.id == reservation_id
    async with engine.connect() as conn:
        row = (await conn.execute(select(R).where(where))).first()
    return None if row is None else _entity(row)


def _entity(row: Row) -> Reservation:
    values = {c.name: getattr(row, c.name) for c in R.columns}
    for key in ("start", "hold_until", "created_at", "reminder_sent_at"):
        if values[key] is not None:
            values[key] = _aware(values[key])
    return Reservation(**values)


async def taken(engine: AsyncEngine, offer: Offer, start: datetime) -> int:
    start = _utc(start)
    async with engine.connect() as conn:
        value = await conn.scalar(select(S.c.taken).where(_slot(offer, start)))
        return int(value or 0)


def _utc(value: datetime) -> datetime:
    """Everything is stored and compared in UTC (SQLite keeps no offsets)."""
    return value.astimezone(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite gives naive datetimes back; they were stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def reschedule(
    engine: AsyncEngine,
    reservation_id: str,
    offer: Offer,
    start: datetime,
    now: datetime,
    *,
    actor: str,
    building_limit: int | None = None,
) -> Reservation:
    """Move a confirmed (or pending) reservation to another slot in one transaction: the new
    place is taken before the old one is given back, so a full slot leaves it untouched."""
    start, now = _utc(start), _utc(now)
    async with engine.begin() as conn:
        row = (await conn.execute(select(R).where(R.c.id == reservation_id))).first()
        if row is None:
            raise NotFound("no such reservation")
        if Status(row.status) not in (Status.PENDING, Status.CONFIRMED):
            raise InvalidTransition(f"a {row.status} reservation cannot be moved")
        await _release_stale_holds(conn, offer, start, now)
        await _ensure_counter(conn, offer.service_point, offer.service, start)
        got = await conn.execute(
            update(S)
            .where(_slot(offer, start) & (S.c.taken < offer.capacity))
            .values(taken=S.c.taken + 1)
        )
        if got.rowcount != 1:
            raise SlotFull("this hour has just been taken")
        if row.location and building_limit is not None:
            end = start + timedelta(minutes=offer.duration_min)
            await _check_building(
                conn, row.location, building_limit, start, end, now, but=reservation_id
            )
        await _free_places(conn, [row])
        old = _aware(row.start).astimezone(TZ)
        number = row.number
        if old.date() != start.astimezone(TZ).date():
            # Numbers are per location and day: the new day's docket gets the next one, so no
            # two visits of a day share a number.
            number = await _next_number(conn, row.location or offer.service_point, start)
        await conn.execute(
            update(R)
            .where(R.c.id == reservation_id)
            .values(
                number=number,
                start=start,
                service_point=offer.service_point,
                service=offer.service,
                duration_min=offer.duration_min,
                reminder_sent_at=None,
            )
        )
        renumbered = (
            f" {ticket_label(row.number)} → {ticket_label(number)}" if number != row.number else ""
        )
        await _log(
            conn,
            reservation_id,
            now,
            actor,
            "rescheduled",
            f"{old:%Y-%m-%d %H:%M} → {start.astimezone(TZ):%Y-%m-%d %H:%M} {offer.service_point}"
            + renumbered,
        )
        fresh = (await conn.execute(select(R).where(R.c.id == reservation_id))).first()
    assert fresh is not None
    return _entity(fresh)


async def checked_in_at_site(conn: AsyncConnection, location: str, code: str, at: datetime) -> None:
    """The site's dispenser turned the reservation into a ticket (from the hub's events).
    Only a reservation at that site: a hub's token speaks for its own site alone."""
    row = (
        await conn.execute(
            select(R.c.id, R.c.status).where((R.c.access_code == code) & (R.c.location == location))
        )
    ).first()
    if row is None or Status(row.status) is not Status.CONFIRMED:
        return
    await conn.execute(
        update(R)
        .where((R.c.id == row.id) & (R.c.status == Status.CONFIRMED))
        .values(status=Status.CHECKED_IN)
    )
    await _log(conn, row.id, _utc(at), "dispenser", str(Status.CHECKED_IN))
