"""Staff API tokens: an integration's (an EZD system's) revocable credential for the register's
read API, made and revoked by an administrator with ``okienko staff-api-token``. As with site
tokens, only a digest is stored and the token is shown once; a token may be limited to one
location."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Location, StaffApiToken

T = cast(Table, StaffApiToken.__table__)
PREFIX = "okr_"


class UnknownLocation(Exception):
    """A token for a location this cloud does not have."""


@dataclass(frozen=True)
class Holder:
    """Who a live token was given to, and the location it may read (None: every one)."""

    name: str
    location: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(engine: AsyncEngine, name: str, location: str | None = None) -> str:
    token = f"{PREFIX}{secrets.token_urlsafe(32)}"
    async with engine.begin() as conn:
        if location is not None:
            known = list(await conn.scalars(select(Location.id).order_by(Location.id)))
            if location not in known:
                listed = ", ".join(known) or "none yet"
                raise UnknownLocation(f"no location {location!r} in this cloud; its: {listed}")
        await conn.execute(
            T.insert().values(
                name=name[:120],
                location_id=location,
                token_digest=_digest(token),
                created_at=datetime.now(UTC),
            )
        )
    return token


async def revoke(engine: AsyncEngine, name: str) -> int:
    """Revoke every live token given to ``name`` (a leaked token, an integration retired)."""
    async with engine.begin() as conn:
        done = await conn.execute(
            update(T)
            .where((T.c.name == name) & T.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return int(done.rowcount)


async def holder(engine: AsyncEngine, token: str) -> Holder | None:
    if not token.startswith(PREFIX):
        return None
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(T.c.name, T.c.location_id).where(
                    (T.c.token_digest == _digest(token)) & T.c.revoked_at.is_(None)
                )
            )
        ).first()
    return None if row is None else Holder(row.name, row.location_id)


@dataclass(frozen=True)
class Issued:
    """A token as the administration lists it: never the token, which only its holder has."""

    name: str
    location: str | None
    created_at: datetime
    revoked_at: datetime | None


async def listing(engine: AsyncEngine) -> list[Issued]:
    """Every token ever issued, live ones first, newest first."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(T.c.name, T.c.location_id, T.c.created_at, T.c.revoked_at).order_by(
                T.c.revoked_at.is_not(None), T.c.created_at.desc(), T.c.id.desc()
            )
        )
        return [Issued(r.name, r.location_id, r.created_at, r.revoked_at) for r in rows]
