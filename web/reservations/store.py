"""Reservations in the database: holding a slot atomically, confirming, cancelling.

A booking increments the slot's counter with ``UPDATE … SET taken = taken + 1 WHERE taken <
capacity`` in the same transaction that inserts the reservation. The row update is the lock:
PostgreSQL re-checks the condition after waiting for a concurrent booking's lock, SQLite
serialises writers; either way no more than the capacity is ever taken.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from web.db.models import Reservation, SlotCount
from web.reservations.booking import (
    BookingError,
    InvalidTransition,
    Offer,
    SlotFull,
    Status,
    access_code,
    transition,
)

R = cast(Table, Reservation.__table__)
S = cast(Table, SlotCount.__table__)


class NotFound(BookingError):
    code = "not_found"


class HoldExpired(BookingError):
    code = "hold_expired"


def _slot(offer: Offer, start: datetime):  # type: ignore[no-untyped-def]
    return (
        (S.c.service_point == offer.service_point)
        & (S.c.service == offer.service)
        & (S.c.start == start)
    )


async def _ensure_counter(conn: AsyncConnection, offer: Offer, start: datetime) -> None:
    values = {
        "service_point": offer.service_point,
        "service": offer.service,
        "start": start,
        "taken": 0,
    }
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(insert(S).values(**values).on_conflict_do_nothing())


async def _release_stale_holds(
    conn: AsyncConnection, offer: Offer, start: datetime, now: datetime
) -> None:
    stale = await conn.execute(
        update(R)
        .where(
            (R.c.service_point == offer.service_point)
            & (R.c.service == offer.service)
            & (R.c.start == start)
            & (R.c.status == Status.PENDING)
            & (R.c.hold_until <= now)
        )
        .values(status=Status.EXPIRED, hold_until=None)
    )
    if stale.rowcount:
        await conn.execute(
            update(S).where(_slot(offer, start)).values(taken=S.c.taken - stale.rowcount)
        )


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
) -> Reservation:
    """Take one place in the slot for ``offer.hold_min`` minutes, or raise SlotFull."""
    start, now = _utc(start), _utc(now)
    async with engine.begin() as conn:
        await _release_stale_holds(conn, offer, start, now)
        await _ensure_counter(conn, offer, start)
        taken = await conn.execute(
            update(S)
            .where(_slot(offer, start) & (S.c.taken < offer.capacity))
            .values(taken=S.c.taken + 1)
        )
        if taken.rowcount != 1:
            raise SlotFull("this hour has just been taken")
        rid = uuid.uuid4().hex
        reservation = Reservation(
            id=rid,
            confirm_digest=code_digest(rid, confirm_code) if confirm_code else None,
            confirm_attempts=0,
            access_code=access_code(),
            service_point=offer.service_point,
            service=offer.service,
            start=start,
            status=Status.PENDING,
            hold_until=now + timedelta(minutes=offer.hold_min),
            name=name,
            contact=contact,
            created_at=now,
        )
        await conn.execute(
            R.insert().values({c.name: getattr(reservation, c.name) for c in R.columns})
        )
        return reservation


async def _change(engine: AsyncEngine, code: str, new: Status, now: datetime) -> Status:
    now = _utc(now)
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(
                    R.c.id, R.c.status, R.c.hold_until, R.c.service_point, R.c.service, R.c.start
                ).where(R.c.access_code == code)
            )
        ).first()
        if row is None:
            raise NotFound("no reservation with this code")
        current = Status(row.status)
        late = current is Status.EXPIRED or (
            current is Status.PENDING and (row.hold_until is None or _aware(row.hold_until) <= now)
        )
        if new is Status.CONFIRMED and late:
            raise HoldExpired("the confirmation came too late; the hour is free again")
        transition(current, new)
        changed = await conn.execute(
            update(R)
            .where((R.c.id == row.id) & (R.c.status == current))
            .values(status=new, hold_until=None)
        )
        if changed.rowcount != 1:  # someone else changed it meanwhile
            raise InvalidTransition("the reservation changed meanwhile; try again")
        if new is Status.CANCELLED:
            await conn.execute(
                update(S)
                .where(
                    (S.c.service_point == row.service_point)
                    & (S.c.service == row.service)
                    & (S.c.start == row.start)
                )
                .values(taken=S.c.taken - 1)
            )
        return new


async def confirm(engine: AsyncEngine, code: str, now: datetime) -> Status:
    return await _change(engine, code, Status.CONFIRMED, now)


async def confirm_with_code(
    engine: AsyncEngine, reservation_id: str, code: str, now: datetime
) -> Reservation:
    """The visitor's 6-digit code confirms the hold; five wrong tries lock it."""
    wrong: WrongCode | None = None
    async with engine.begin() as conn:
        row = (await conn.execute(select(R).where(R.c.id == reservation_id))).first()
        if row is None:
            raise NotFound("no such reservation")
        if row.confirm_attempts >= MAX_CODE_ATTEMPTS:
            raise TooManyAttempts("too many wrong codes; book again")
        if row.confirm_digest is None or not hmac.compare_digest(
            row.confirm_digest, code_digest(reservation_id, code)
        ):
            await conn.execute(
                update(R)
                .where(R.c.id == reservation_id)
                .values(confirm_attempts=R.c.confirm_attempts + 1)
            )
            wrong = WrongCode(MAX_CODE_ATTEMPTS - row.confirm_attempts - 1)
        access = row.access_code
    if wrong is not None:  # raised after the commit, so the attempt is counted
        raise wrong
    await confirm(engine, access, now)
    async with engine.connect() as conn:
        fresh = (await conn.execute(select(R).where(R.c.id == reservation_id))).first()
    assert fresh is not None
    return Reservation(**{c.name: getattr(fresh, c.name) for c in R.columns})


async def cancel(engine: AsyncEngine, code: str, now: datetime) -> Status:
    return await _change(engine, code, Status.CANCELLED, now)


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
