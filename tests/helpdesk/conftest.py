"""The helpdesk's tests use the cloud's database fixture (SQLite and PostgreSQL) and a small
catalogue: two units, two services (one with its own field and every option)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.web.conftest import engine  # noqa: F401  (the fixture, SQLite and PostgreSQL)
from web.helpdesk import accounts
from web.helpdesk.domain import Actor, Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Catalogue:
    unit_a: int
    unit_b: int
    address_a: int
    address_b: int
    it: int  # plain service
    bhp: int  # own field "Number of people", due date, scheduling, repetition
    alice: Actor  # unit A
    bob: Actor  # unit B
    staff: Actor


async def make_catalogue(engine: AsyncEngine) -> Catalogue:  # noqa: F811
    from sqlalchemy import select

    from web.helpdesk import tables as t

    it = await accounts.create_service(engine, "IT support")
    bhp = await accounts.create_service(
        engine,
        "BHP training",
        fields=accounts.parse_fields("*Number of people #"),
        allow_due=True,
        allow_schedule=True,
        allow_repeat=True,
    )
    a = await accounts.create_unit(engine, "Szkoła nr 1", ["ul. Prosta 1"], [it, bhp], NOW)
    b = await accounts.create_unit(engine, "Przedszkole nr 7", ["ul. Krzywa 7"], [it], NOW)
    async with engine.connect() as conn:
        addr = {r.unit_id: r.id for r in await conn.execute(select(t.addresses))}
    ids = {}
    for email, role, unit in [
        ("alice@szkola.example", Role.UNIT, a),
        ("bob@przedszkole.example", Role.UNIT, b),
        ("obsluga@cum.example", Role.SERVICE, None),
    ]:
        ids[email], _ = await accounts.create_user(
            engine, email=email, name=email.split("@")[0].title(), role=role, unit_id=unit, now=NOW
        )
    return Catalogue(
        a,
        b,
        addr[a],
        addr[b],
        it,
        bhp,
        Actor(ids["alice@szkola.example"], Role.UNIT, a),
        Actor(ids["bob@przedszkole.example"], Role.UNIT, b),
        Actor(ids["obsluga@cum.example"], Role.SERVICE),
    )


@pytest.fixture
async def cat(engine: AsyncEngine) -> Catalogue:  # noqa: F811
    return await make_catalogue(engine)
