"""One-time password-reset links for staff accounts: a random token goes into the e-mail,
only its sha256 digest is stored; valid for an hour, used once (claimed by a conditional
UPDATE, so two tabs cannot both use it)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from web.auth.accounts import set_password
from web.auth.session import T as STAFF
from web.db.models import PasswordReset

P = cast(Table, PasswordReset.__table__)
VALID = timedelta(minutes=60)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ResetLink:
    token: str
    email: str
    name: str


async def create(engine: AsyncEngine, email: str, now: datetime) -> ResetLink | None:
    """A new link for the active account with this e-mail, or None."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(STAFF.c.id, STAFF.c.email, STAFF.c.name).where(
                    (func.lower(STAFF.c.email) == email.strip().lower())
                    & STAFF.c.active
                    # The directory keeps a directory account's password, not a link of ours.
                    & STAFF.c.directory_name.is_(None)
                )
            )
        ).first()
        if row is None:
            return None
        token = secrets.token_urlsafe(32)
        await conn.execute(
            P.insert().values(
                token_digest=digest(token), staff_id=row.id, expires_at=now + VALID, used_at=None
            )
        )
    return ResetLink(token, row.email, row.name)


def _usable(token: str, now: datetime):  # type: ignore[no-untyped-def]
    return (P.c.token_digest == digest(token)) & P.c.used_at.is_(None) & (P.c.expires_at > now)


async def is_valid(engine: AsyncEngine, token: str, now: datetime) -> bool:
    async with engine.connect() as conn:
        return await conn.scalar(select(P.c.staff_id).where(_usable(token, now))) is not None


async def use(engine: AsyncEngine, token: str, password: str, now: datetime) -> bool:
    """Set the new password through the link; False when the link is unknown, used or old.
    The caller checks the password's rules first, so a weak password does not burn it."""
    async with engine.begin() as conn:
        staff_id = await conn.scalar(select(P.c.staff_id).where(_usable(token, now)))
        if staff_id is None:
            return False
        claimed = await conn.execute(update(P).where(_usable(token, now)).values(used_at=now))
        if claimed.rowcount != 1:
            return False
        # The account's other links die with this one: only the newest reset counts.
        await conn.execute(
            update(P).where((P.c.staff_id == staff_id) & P.c.used_at.is_(None)).values(used_at=now)
        )
    await set_password(engine, int(staff_id), password)
    return True


def utcnow() -> datetime:
    return datetime.now(UTC)
