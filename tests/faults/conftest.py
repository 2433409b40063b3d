"""Citizen fault reports' tests: the cloud's database fixture (SQLite and PostgreSQL) with the
migration's starting dictionary, and one person in each role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.web.conftest import engine  # noqa: F401  (the fixture, SQLite and PostgreSQL)
from web.faults import store
from web.faults import tables as t
from web.faults.domain import Actor, Role
from web.helpdesk import accounts
from web.helpdesk.domain import Role as HdRole

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 10:00 in Warsaw


@dataclass
class People:
    groups: dict[str, int]  # group code → id
    subs: dict[str, int]  # subcategory code → id
    departments: dict[str, int]
    operator: Actor
    super: Actor
    supervisor_zdit: Actor
    supervisor_zzm: Actor
    coord_roads: Actor  # ZDIT-K-DROGI
    coord_transport: Actor  # ZDIT-K-TRANSPORT
    coord_zzm: Actor
    real_roads: Actor  # ZDIT-R-DROGI
    real_signs: Actor  # ZDIT-R-OZNAKOWANIE
    emails: dict[str, str]  # role name → e-mail (password "Usterka-2026!")


PASSWORD = "Usterka-2026!"


async def make_people(engine: AsyncEngine, *, passwords: bool = False) -> People:  # noqa: F811
    async with engine.connect() as conn:
        groups = {r.code: r.id for r in await conn.execute(select(t.groups))}
        subs = {r.code: r.id for r in await conn.execute(select(t.subcategories))}
        deps = {r.code: r.id for r in await conn.execute(select(t.departments))}
    spec = [
        ("operator", Role.OPERATOR, None, None),
        ("super", Role.SUPER_SUPERVISOR, None, None),
        ("supervisor_zdit", Role.SUPERVISOR, deps["ZDIT"], None),
        ("supervisor_zzm", Role.SUPERVISOR, deps["ZZM"], None),
        ("coord_roads", Role.COORDINATOR, None, groups["ZDIT-K-DROGI"]),
        ("coord_transport", Role.COORDINATOR, None, groups["ZDIT-K-TRANSPORT"]),
        ("coord_zzm", Role.COORDINATOR, None, groups["ZZM-K"]),
        ("real_roads", Role.REALIZER, None, groups["ZDIT-R-DROGI"]),
        ("real_signs", Role.REALIZER, None, groups["ZDIT-R-OZNAKOWANIE"]),
    ]
    actors, emails = {}, {}
    for name, role, dep, group in spec:
        email = f"{name.replace('_', '.')}@uml.example"
        uid, _ = await accounts.create_user(
            engine,
            email=email,
            name=name.replace("_", " ").title(),
            role=HdRole.FAULTS,
            now=NOW,
            password=PASSWORD if passwords else None,
        )
        await store.set_member(engine, uid, role, department_id=dep, group_id=group)
        async with engine.connect() as conn:
            actor = await store.actor_of(conn, uid, "faults")
        assert actor is not None
        actors[name], emails[name] = actor, email
    return People(groups, subs, deps, emails=emails, **actors)  # type: ignore[arg-type]


@pytest.fixture
async def people(engine: AsyncEngine) -> People:  # noqa: F811
    return await make_people(engine)
