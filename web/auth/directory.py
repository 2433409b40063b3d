"""Queue and booking staff accounts that come from the directory: created at the first sign-in,
their role and location set from the directory's groups at every sign-in (web/identity/
backends/ldap.py), deactivated with their sessions when no mapped group is left. A local
account is never taken over: when its e-mail is the directory user's, the sign-in is refused.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from web.auth.roles import Role, sees_all_locations_by_default
from web.auth.session import T
from web.identity import sessions
from web.identity.backends.ldap import DirectoryUser

log = logging.getLogger("okienko.web.auth")
# The strongest role wins when several groups map to the part.
RANK = {Role.ADMINISTRATOR: 4, Role.MANAGER: 3, Role.CLERK: 2, Role.RECEPTION: 1}
# Not an argon2 hash: no password ever matches it (the directory keeps the password).
NO_PASSWORD = "!directory"


async def provision(engine: AsyncEngine, user: DirectoryUser, now: datetime) -> Any:
    """The staff row to sign in as, or None (no mapped staff role, a local account's e-mail)."""
    found = [g for g in user.grants if g.part == "staff"]
    name = user.username.lower()
    async with engine.begin() as conn:
        row = (await conn.execute(select(T).where(T.c.directory_name == name))).first()
        if not found:
            if row is not None and row.active:  # left every mapped group
                await conn.execute(
                    update(T)
                    .where(T.c.id == row.id)
                    .values(active=False, session_epoch=T.c.session_epoch + 1)
                )
                await sessions.end_all(conn, sessions.STAFF, row.id)
            return None
        best = max(found, key=lambda g: RANK[Role(g.role)])
        values: dict[str, Any] = {
            "name": user.name[:200],
            "role": best.role,
            "location_id": best.scope,
            "all_locations": sees_all_locations_by_default(best.role),
            "active": True,
        }
        if row is None:
            email = (user.email or f"{name}@katalog.invalid").lower()
            clash = select(T.c.id).where(func.lower(T.c.email) == email)
            if await conn.scalar(clash) is not None:
                log.warning("directory sign-in refused: a local account has the same e-mail")
                return None
            await conn.execute(
                T.insert().values(
                    email=email, password_hash=NO_PASSWORD, created_at=now, session_epoch=0,
                    directory_name=name, **values,
                )
            )  # fmt: skip
        else:
            changed = (row.role, row.location_id) != (best.role, best.scope)
            # Another role or location: the sessions opened under the old one end.
            epoch = T.c.session_epoch + (1 if changed else 0)
            values["session_epoch"] = epoch
            await conn.execute(update(T).where(T.c.id == row.id).values(**values))
        return (await conn.execute(select(T).where(T.c.directory_name == name))).first()
