"""Staff API tokens and the register's day on SQLite and PostgreSQL: a token is stored only as
its digest, works until revoked, keeps its location; a location's day is the Warsaw day (a
visit at 23:30 belongs to its own day, not the next), in time order, without expired holds."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Location
from web.reservations.booking import TZ, Status
from web.reservations.store import R
from web.staff import api_tokens
from web.staff.queries import PLAN_STATUSES, day_of_location

LOC = cast(Table, Location.__table__)


async def test_a_token_is_a_digest_that_works_until_revoked(engine: AsyncEngine):
    async with engine.begin() as conn:
        await conn.execute(LOC.insert().values(id="torun", name="Toruń", address=""))
    with pytest.raises(api_tokens.UnknownLocation):
        await api_tokens.create(engine, "EZD", "nowhere")
    token = await api_tokens.create(engine, "EZD", "torun")
    other = await api_tokens.create(engine, "Portal")
    async with engine.connect() as conn:
        stored = [tuple(r) for r in await conn.execute(select(api_tokens.T))]
    assert not any(token in str(v) or other in str(v) for row in stored for v in row)
    assert any(hashlib.sha256(token.encode()).hexdigest() in row for row in stored)
    assert await api_tokens.holder(engine, token) == api_tokens.Holder("EZD", "torun")
    assert await api_tokens.holder(engine, other) == api_tokens.Holder("Portal", None)
    assert await api_tokens.holder(engine, token + "x") is None
    assert await api_tokens.revoke(engine, "EZD") == 1
    assert await api_tokens.holder(engine, token) is None
    assert await api_tokens.holder(engine, other) is not None
    listed = await api_tokens.listing(engine)
    assert [(t.name, t.revoked_at is None) for t in listed] == [("Portal", True), ("EZD", False)]


async def test_a_locations_day_is_the_warsaw_day_in_time_order(engine: AsyncEngine):
    day = date(2026, 12, 8)

    def at(d: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 12, d, hour, minute, tzinfo=TZ).astimezone(UTC)

    rows = [
        ("before", at(7, 23, 30), Status.CONFIRMED, "torun"),
        ("late", at(8, 23, 30), Status.CONFIRMED, "torun"),
        ("early", at(8, 0, 15), Status.CHECKED_IN, "torun"),
        ("expired", at(8, 10), Status.EXPIRED, "torun"),
        ("cancelled", at(8, 11), Status.CANCELLED, "torun"),
        ("elsewhere", at(8, 12), Status.CONFIRMED, "bydgoszcz"),
        ("after", at(9, 0, 10), Status.CONFIRMED, "torun"),
    ]
    async with engine.begin() as conn:
        for i, (name, start, status, location) in enumerate(rows):
            await conn.execute(
                R.insert().values(
                    id=f"r{i}",
                    access_code=f"CODE{i:04d}",
                    service_point="p",
                    service="s",
                    start=start,
                    status=status,
                    name=name,
                    contact="x@example.org",
                    created_at=at(1, 9),
                    confirm_attempts=0,
                    kind="online",
                    location=location,
                    number=i + 1,
                )
            )
    found = await day_of_location(engine, "torun", day, PLAN_STATUSES)
    assert [r.name for r in found] == ["early", "cancelled", "late"]
