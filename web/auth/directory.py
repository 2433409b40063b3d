"""Queue and booking staff accounts that come from the directory: created at the first sign-in,
their role and location set from the directory's groups at every sign-in (web/identity/
backends/ldap.py), deactivated with their sessions when no mapped group is left. A local
account is never taken over: when its e-mail is the directory user's, the sign-in is refused.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from web.auth.roles import Role, sees_all_locations_by_default
from web.auth.session import T
from web.identity import accounts, sessions
from web.identity.accounts import with_account
from web.identity.backends.ldap import DirectoryUser

log = logging.getLogger("okienko.web.auth")
# The strongest role wins when several groups map to the part.
RANK = {Role.ADMINISTRATOR: 4, Role.MANAGER: 3, Role.CLERK: 2, Role.RECEPTION: 1}


async def provision(engine: AsyncEngine, user: DirectoryUser, now: datetime) -> Any:
    """The staff row to sign in as, or None (no mapped staff role, a local account's e-mail)."""
    found = [g for g in user.grants if g.part == "staff"]
    name = user.username.lower()
    A = accounts.A
    async with engine.begin() as conn:
        account = (await conn.execute(select(A).where(A.c.directory_name == name))).first()
        row = None
        if account is not None:
            row = (await conn.execute(select(T).where(T.c.account_id == account.id))).first()
        if not found:
            if row is not None and row.active:  # left every mapped group
                await conn.execute(update(T).where(T.c.id == row.id).values(active=False))
                await sessions.end_all(conn, sessions.STAFF, row.id)
            return None
        best = max(found, key=lambda g: RANK[Role(g.role)])
        values: dict[str, Any] = {
            "role": best.role,
            "location_id": best.scope,
            "all_locations": sees_all_locations_by_default(best.role),
            "active": True,
        }
        if account is None:
            email = (user.email or f"{name}@katalog.invalid").lower()
            if await accounts.by_email(conn, email) is not None:
                log.warning("directory sign-in refused: a local account has the same e-mail")
                return None
            account_id = await accounts.ensure(
                conn, email=email, name=user.name[:200], now=now, directory_name=name
            )
        else:
            account_id = account.id
            await accounts.set_person(conn, account_id, name=user.name[:200])
        if row is None:
            copy = await conn.scalar(select(A.c.email).where(A.c.id == account_id))
            await conn.execute(
                T.insert().values(
                    account_id=account_id, email=copy, name=user.name[:200], created_at=now,
                    **values,
                )
            )  # fmt: skip
        else:
            if (row.role, row.location_id) != (best.role, best.scope):
                # Another role or location: the sessions opened under the old one end.
                await sessions.end_all(conn, sessions.STAFF, row.id)
            await conn.execute(update(T).where(T.c.id == row.id).values(**values))
        return (await conn.execute(with_account(T).where(T.c.account_id == account_id))).first()
