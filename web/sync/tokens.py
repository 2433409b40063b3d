"""Site tokens: each hub's revocable credential for the sync API. Only a digest is stored;
the token is shown once when created."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Location, SiteToken

T = cast(Table, SiteToken.__table__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UnknownSite(Exception):
    """A token asked for a site this cloud does not have (a typo would sync into nowhere)."""


async def create(engine: AsyncEngine, location: str) -> str:
    token = f"okn_{secrets.token_urlsafe(32)}"
    async with engine.begin() as conn:
        known = list(await conn.scalars(select(Location.id).order_by(Location.id)))
        if location not in known:
            listed = ", ".join(known) or "none yet: start okienko web with --site FILE first"
            raise UnknownSite(f"no site {location!r} in this cloud; its sites: {listed}")
        await conn.execute(
            T.insert().values(
                location_id=location, token_digest=_digest(token), created_at=datetime.now(UTC)
            )
        )
    return token


async def revoke(engine: AsyncEngine, location: str) -> int:
    """Revoke every token of the site; its hub is refused until it gets a new one."""
    async with engine.begin() as conn:
        done = await conn.execute(
            update(T)
            .where((T.c.location_id == location) & T.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return int(done.rowcount)


async def site_of(engine: AsyncEngine, token: str) -> str | None:
    """The site a live token belongs to, or None."""
    async with engine.connect() as conn:
        return await conn.scalar(
            select(T.c.location_id).where(
                (T.c.token_digest == _digest(token)) & T.c.revoked_at.is_(None)
            )
        )
