"""Holding, confirming and cancelling in a real database, SQLite and PostgreSQL alike: many
visitors racing for the same hour get exactly its capacity, never more."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Reservation
from web.reservations import store
from web.reservations.booking import TZ, Offer, SlotFull, Status

OFFER = Offer(service="dowody", service_point="s1", duration_min=30, capacity=3, hold_min=15)
START = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)


async def test_a_rush_for_one_hour_books_exactly_its_capacity(engine: AsyncEngine):
    async def visitor(i: int) -> bool:
        try:
            await store.hold(
                engine, OFFER, START, name=f"Osoba {i}", contact=f"5000000{i:02d}", now=NOW
            )
            return True
        except SlotFull:
            return False

    results = await asyncio.gather(*(visitor(i) for i in range(40)))
    assert sum(results) == OFFER.capacity
    async with engine.connect() as conn:
        rows = await conn.scalar(select(func.count()).select_from(Reservation))
    assert rows == OFFER.capacity
    assert await store.taken(engine, OFFER, START) == OFFER.capacity


async def test_an_unconfirmed_hold_expires_and_frees_its_place(engine: AsyncEngine):
    first = [
        await store.hold(engine, OFFER, START, name="A", contact="a@x.pl", now=NOW)
        for _ in range(OFFER.capacity)
    ]
    with pytest.raises(SlotFull):
        await store.hold(engine, OFFER, START, name="B", contact="b@x.pl", now=NOW)
    assert (
        await store.confirm(engine, first[0].access_code, NOW + timedelta(minutes=5))
        is Status.CONFIRMED
    )
    later = NOW + timedelta(minutes=20)  # the other two holds ran out
    await store.hold(engine, OFFER, START, name="B", contact="b@x.pl", now=later)
    await store.hold(engine, OFFER, START, name="C", contact="c@x.pl", now=later)
    with pytest.raises(SlotFull):
        await store.hold(engine, OFFER, START, name="D", contact="d@x.pl", now=later)
    with pytest.raises(store.HoldExpired):
        await store.confirm(engine, first[1].access_code, later)


async def test_cancelling_gives_the_place_back_and_cannot_be_undone(engine: AsyncEngine):
    r = await store.hold(engine, OFFER, START, name="A", contact="a@x.pl", now=NOW)
    await store.confirm(engine, r.access_code, NOW)
    assert await store.cancel(engine, r.access_code, NOW) is Status.CANCELLED
    assert await store.taken(engine, OFFER, START) == 0
    with pytest.raises(store.InvalidTransition):
        await store.confirm(engine, r.access_code, NOW)
    with pytest.raises(store.NotFound):
        await store.cancel(engine, "NOSUCH22", NOW)


async def test_migrations_create_what_the_models_describe(engine: AsyncEngine):
    from sqlalchemy import inspect

    from web.db.models import Base

    def tables(sync_conn):  # type: ignore[no-untyped-def]
        insp = inspect(sync_conn)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}

    async with engine.connect() as conn:
        found = await conn.run_sync(tables)
    for table in Base.metadata.sorted_tables:
        assert {c.name for c in table.columns} == found[table.name], table.name


async def test_the_building_limit_holds_across_service_points_in_a_rush(engine: AsyncEngine):
    # Three desks of three places each, but only four visitors fit in the building at once.
    offers = [
        Offer(service="dowody", service_point=f"s{i}", duration_min=30, capacity=3)
        for i in range(3)
    ]

    async def visitor(i: int) -> bool:
        try:
            await store.hold(
                engine,
                offers[i % 3],
                START + timedelta(minutes=15 * (i % 2)),  # 9:00 and 9:15: both in at 9:15
                name=f"Osoba {i}",
                contact=f"5000000{i:02d}",
                now=NOW,
                location="torun",
                building_limit=4,
            )
            return True
        except SlotFull:
            return False

    assert sum(await asyncio.gather(*(visitor(i) for i in range(30)))) == 4
    # At 9:45 those of 9:00 (30 minutes) have left: room again, though in the same hour.
    await store.hold(
        engine,
        offers[0],
        START + timedelta(minutes=45),
        name="X",
        contact="x@x.pl",
        now=NOW,
        location="torun",
        building_limit=4,
    )


async def test_visits_are_numbered_per_location_and_day_without_gaps_in_a_rush(
    engine: AsyncEngine,
):
    wide = Offer(service="dowody", service_point="s1", duration_min=30, capacity=50)
    held = await asyncio.gather(
        *(
            store.hold(engine, wide, START, name="A", contact="a@x.pl", now=NOW, location="t")
            for _ in range(20)
        )
    )
    assert sorted(r.number for r in held) == list(range(1, 21))
    assert store.ticket_label(7) == "R007"
    other_day = await store.hold(
        engine, wide, START + timedelta(days=1), name="A", contact="a@x.pl", now=NOW, location="t"
    )
    assert other_day.number == 1


async def test_rescheduling_moves_the_place_or_leaves_everything_as_it_was(engine: AsyncEngine):
    small = Offer(service="dowody", service_point="s1", duration_min=30, capacity=1)
    mine = await store.hold(engine, small, START, name="A", contact="a@x.pl", now=NOW)
    await store.confirm(engine, mine.access_code, NOW)
    other = await store.hold(
        engine, small, START + timedelta(hours=1), name="B", contact="b@x.pl", now=NOW
    )
    with pytest.raises(SlotFull):  # taken by B: nothing changes for A
        await store.reschedule(engine, mine.id, small, other.start, NOW, actor="clerk@um")
    assert await store.taken(engine, small, START) == 1
    moved = await store.reschedule(
        engine, mine.id, small, START + timedelta(hours=2), NOW, actor="clerk@um"
    )
    assert moved.start == (START + timedelta(hours=2)).astimezone(moved.start.tzinfo)
    assert await store.taken(engine, small, START) == 0
    assert await store.taken(engine, small, START + timedelta(hours=2)) == 1
    actions = [e.action for e in await store.history(engine, mine.id)]
    assert actions == ["created", "confirmed", "rescheduled"]


async def test_the_sweeper_frees_unconfirmed_holds(engine: AsyncEngine):
    small = Offer(service="dowody", service_point="s1", duration_min=30, capacity=1, hold_min=15)
    held = await store.hold(engine, small, START, name="A", contact="a@x.pl", now=NOW)
    assert await store.sweep_expired(engine, NOW + timedelta(minutes=10)) == 0
    assert await store.sweep_expired(engine, NOW + timedelta(minutes=16)) == 1
    assert await store.taken(engine, small, START) == 0
    again = await store.get(engine, reservation_id=held.id)
    assert again is not None and again.status == Status.EXPIRED


async def test_parallel_wrong_codes_lock_the_hold_after_exactly_five(engine: AsyncEngine):
    r = await store.hold(
        engine, OFFER, START, name="A", contact="a@x.pl", now=NOW, confirm_code="123456"
    )

    async def guess(i: int) -> str:
        try:
            await store.confirm_with_code(engine, r.id, f"{i:06d}", NOW)
        except store.BookingError as exc:
            return exc.code
        return "confirmed"

    # A script firing guesses at once: only five are ever compared with the code.
    answers = await asyncio.gather(*(guess(i) for i in range(600_000, 600_040)))
    assert answers.count("wrong_code") == store.MAX_CODE_ATTEMPTS
    assert answers.count("too_many_attempts") == 40 - store.MAX_CODE_ATTEMPTS
    with pytest.raises(store.TooManyAttempts):  # even the right code comes too late now
        await store.confirm_with_code(engine, r.id, "123456", NOW)
    fresh = await store.get(engine, reservation_id=r.id)
    assert fresh is not None and fresh.status == Status.PENDING
    assert fresh.confirm_attempts == store.MAX_CODE_ATTEMPTS


async def test_the_right_code_confirms_on_the_fifth_try(engine: AsyncEngine):
    r = await store.hold(
        engine, OFFER, START, name="A", contact="a@x.pl", now=NOW, confirm_code="123456"
    )
    for left in (4, 3, 2, 1):
        with pytest.raises(store.WrongCode) as wrong:
            await store.confirm_with_code(engine, r.id, "654321", NOW)
        assert wrong.value.attempts_left == left
    confirmed = await store.confirm_with_code(engine, r.id, "123456", NOW)
    assert confirmed.status == Status.CONFIRMED
    with pytest.raises(store.NotFound):
        await store.confirm_with_code(engine, "no-such-id", "123456", NOW)


async def test_a_visit_moved_to_another_day_gets_that_days_next_number(engine: AsyncEngine):
    offer = Offer(service="dowody", service_point="s1", duration_min=30, capacity=5)
    nxt = START + timedelta(days=1)
    moving = await store.hold(
        engine, offer, START, name="A", contact="a@x.pl", now=NOW, location="t"
    )
    staying = await store.hold(
        engine, offer, nxt, name="B", contact="b@x.pl", now=NOW, location="t"
    )
    assert (moving.number, staying.number) == (1, 1)  # R001 on each day
    moved = await store.reschedule(
        engine, moving.id, offer, nxt + timedelta(hours=1), NOW, actor="k"
    )
    assert moved.number == 2  # not a second R001 on the docket of that day
    again = await store.reschedule(
        engine, moving.id, offer, nxt + timedelta(hours=2), NOW, actor="k"
    )
    assert again.number == 2  # moved within its day: it keeps its number
    later = await store.hold(
        engine, offer, START, name="C", contact="c@x.pl", now=NOW, location="t"
    )
    assert later.number == 2  # the first day's numbers go on; R001 there is not reused
    history = await store.history(engine, moving.id)
    assert "R001 → R002" in history[1].detail
