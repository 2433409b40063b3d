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
