"""Signed-in sessions kept on the server, for staff and helpdesk accounts alike.

The signed cookie holds only a random token per realm; the ``auth_sessions`` row (its digest)
says whose session it is, when it began and when it was last used. So signing out, a
password change or a deactivation deletes the row and every copy of the cookie is dead at
once; a session lasts at most ``ABSOLUTE_S`` (12 hours) however active, and ends after the
installation's idle limit.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from web.db.models import AuthSession

S = cast(Table, AuthSession.__table__)
ABSOLUTE_S = 12 * 3600
# The last use is written at most this often (a write per page is waste), and well within
# the idle limit, so an active session is never taken for an idle one.
TOUCH_S = 30
STAFF = "staff"
HELPDESK = "helpdesk"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Live:
    account_id: int


async def start(engine: AsyncEngine, realm: str, account_id: int) -> str:
    """A new session's token (for the cookie)."""
    token, now = secrets.token_urlsafe(32), time.time()
    async with engine.begin() as conn:
        await conn.execute(
            S.insert().values(
                token_digest=_digest(token),
                realm=realm,
                account_id=account_id,
                created_at=now,
                seen_at=now,
            )
        )
    return token


async def find(engine: AsyncEngine, realm: str, token: Any, idle_s: float) -> Live | None:
    """The live session of ``token``, touched; None (and the row deleted) when unknown,
    idle too long or past its absolute lifetime."""
    if not isinstance(token, str) or not token:
        return None
    now, digest = time.time(), _digest(token)
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(S).where((S.c.token_digest == digest) & (S.c.realm == realm)))
        ).first()
    if row is None:
        return None
    if now - row.created_at > ABSOLUTE_S or now - row.seen_at > idle_s:
        await end(engine, token)
        return None
    if now - row.seen_at > min(TOUCH_S, idle_s / 4):
        async with engine.begin() as conn:
            await conn.execute(update(S).where(S.c.token_digest == digest).values(seen_at=now))
    return Live(int(row.account_id))


async def end(engine: AsyncEngine, token: Any) -> None:
    if isinstance(token, str) and token:
        async with engine.begin() as conn:
            await conn.execute(delete(S).where(S.c.token_digest == _digest(token)))


async def end_all(conn: AsyncConnection, realm: str, account_id: int) -> None:
    """Every session of the account (in the caller's transaction: a password change or a
    deactivation and the sessions' end commit together)."""
    await conn.execute(delete(S).where((S.c.realm == realm) & (S.c.account_id == account_id)))


async def sweep(app: Any, now: Any) -> int:
    """The job that deletes sessions past their absolute lifetime."""
    async with app.state.engine.begin() as conn:
        done = await conn.execute(delete(S).where(S.c.created_at < time.time() - ABSOLUTE_S))
    return int(done.rowcount or 0)
