"""Helpdesk and fault-report accounts that come from the directory: created at the first
sign-in, their roles set from the directory's groups at every sign-in (web/identity/backends/
ldap.py), deactivated when no mapped group is left. A local account is never taken over: when
its e-mail is the directory user's, the directory sign-in is refused and the local one stays.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from web.faults import store as fault_store
from web.faults import tables as ft
from web.faults.domain import Missing
from web.faults.domain import Role as FaultRole
from web.helpdesk import accounts
from web.helpdesk import tables as t
from web.helpdesk.domain import MAX_UNIT_USERS, Role
from web.identity import accounts as identity
from web.identity import sessions
from web.identity.backends.ldap import DirectoryUser
from web.identity.grants import Grant

log = logging.getLogger("okienko.web.helpdesk")
# The strongest helpdesk role wins when several groups map to the part.
RANK = {str(Role.ADMIN): 3, str(Role.SERVICE): 2, str(Role.UNIT): 1}


def helpdesk_role(grants: tuple[Grant, ...]) -> tuple[Role, int | None] | None:
    """(role, unit id) from the directory's grants, or None when the helpdesk has none."""
    found = [g for g in grants if g.part == "helpdesk"]
    if not found:
        if any(g.part == "faults" for g in grants):
            return Role.FAULTS, None
        return None
    best = max(found, key=lambda g: RANK[g.role])
    return Role(best.role), int(best.scope) if best.scope else None


async def provision(engine: AsyncEngine, user: DirectoryUser, now: datetime) -> Any:
    """The account row to sign in as, or None (no mapped role, a unit full, a local clash)."""
    role_unit = helpdesk_role(user.grants)
    name = user.username.lower()
    A = identity.A
    async with engine.connect() as conn:
        account_id = await conn.scalar(select(A.c.id).where(A.c.directory_name == name))
        row = (
            await conn.execute(select(t.users).where(t.users.c.account_id == account_id))
        ).first()
    if role_unit is None:
        if row is not None and row.active:
            await accounts.deactivate_user(engine, row.id)  # left every mapped group
        return None
    role, unit_id = role_unit
    email = (user.email or f"{name}@katalog.invalid").lower()
    if row is None:
        row_id = await _create(engine, account_id, name, email, user.name, role, unit_id, now)
    else:
        row_id = row.id
        if not await _update(engine, row, role, unit_id, user.name):
            return None
    if row_id is None:
        return None
    try:
        await _fault_role(engine, row_id, user.grants)
    except Missing:
        log.warning("directory sign-in refused: a fault role's scope is not a known group")
        return None
    async with engine.connect() as conn:
        found = identity.with_account(t.users).where(t.users.c.id == row_id)
        return (await conn.execute(found)).first()


async def _claim_place(conn: Any, unit_id: int) -> bool:
    claimed = await conn.execute(
        update(t.units)
        .where(t.units.c.id == unit_id, t.units.c.user_count < MAX_UNIT_USERS)
        .values(user_count=t.units.c.user_count + 1)
    )
    return bool(claimed.rowcount == 1)


async def _create(
    engine: AsyncEngine,
    account_id: int | None,
    name: str,
    email: str,
    full_name: str,
    role: Role,
    unit_id: int | None,
    now: datetime,
) -> int | None:
    """A new helpdesk role, on the directory user's account (created by the first part that
    needed it at this sign-in)."""
    async with engine.begin() as conn:
        if account_id is None:
            if await identity.by_email(conn, email) is not None:
                log.warning("directory sign-in refused: a local account has the same e-mail")
                return None
            account_id = await identity.ensure(
                conn, email=email, name=full_name[:200], now=now, directory_name=name
            )
        else:
            email = str(
                await conn.scalar(select(identity.A.c.email).where(identity.A.c.id == account_id))
            )
        if unit_id is not None and not await _claim_place(conn, unit_id):
            return None
        result = await conn.execute(
            insert(t.users).values(
                account_id=account_id, email=email, name=full_name[:120], phone="",
                role=str(role), unit_id=unit_id, active=True, created_at=now,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]


async def _update(
    engine: AsyncEngine, row: Any, role: Role, unit_id: int | None, full_name: str
) -> bool:
    """The directory's roles replace the ones it gave last time; False when the new unit is
    full."""
    async with engine.begin() as conn:
        if unit_id is not None and (unit_id != row.unit_id or not row.active):
            if not await _claim_place(conn, unit_id):
                return False
        if row.unit_id is not None and row.active and row.unit_id != unit_id:
            await conn.execute(
                update(t.units)
                .where(t.units.c.id == row.unit_id)
                .values(user_count=t.units.c.user_count - 1)
            )
        if str(role) != row.role or unit_id != row.unit_id:
            # Another role: the sessions opened under the old one end.
            await sessions.end_all(conn, sessions.HELPDESK, row.id)
        await conn.execute(
            update(t.users)
            .where(t.users.c.id == row.id)
            .values(role=str(role), unit_id=unit_id, active=True)
        )
        await identity.set_person(conn, row.account_id, name=full_name[:200])
    return True


async def _fault_role(engine: AsyncEngine, user_id: int, grants: tuple[Grant, ...]) -> None:
    found = sorted(g for g in grants if g.part == "faults")
    if not found:
        async with engine.begin() as conn:
            await conn.execute(delete(ft.members).where(ft.members.c.user_id == user_id))
        return
    grant = found[0]
    role = FaultRole(grant.role)
    scope = int(grant.scope) if grant.scope else None
    if role == FaultRole.SUPERVISOR:
        await fault_store.set_member(engine, user_id, role, department_id=scope)
    else:
        await fault_store.set_member(engine, user_id, role, group_id=scope)
