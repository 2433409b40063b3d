"""One-time links that set an account's password, for every part at once: a random token goes
into the e-mail, only its sha256 digest is stored (``password_links``); used once (claimed by a
conditional UPDATE, so two tabs cannot both use it), only while the account is active, and
every unused link of the account dies when one is used, when its e-mail changes or when it is
deactivated: a link must not outlive what it was sent for."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from web.db.models import PasswordLink
from web.identity import accounts

L = cast(Table, PasswordLink.__table__)
A = accounts.A


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _usable(token_digest: str, now: datetime) -> ColumnElement[bool]:
    return (
        (L.c.token_digest == token_digest)
        & L.c.used_at.is_(None)
        & (L.c.expires_at > now)
        & L.c.account_id.in_(select(A.c.id).where(A.c.active.is_(True)))
    )


async def issue(conn: AsyncConnection, email: str, token_digest: str, until: datetime) -> Any:
    """A link for the active local account of ``email`` with a role in force in some part
    (the account's row), or None. The directory keeps a directory account's password, not a
    link of ours."""
    in_force = union(
        *(select(r.c.account_id).where(r.c.active.is_(True)) for r in accounts.ROLES.values())
    )
    row = (
        await conn.execute(
            select(A)
            .where(
                func.lower(A.c.email) == email.strip().lower(),
                A.c.active.is_(True),
                A.c.directory_name.is_(None),
                A.c.id.in_(in_force),
            )
            .order_by(A.c.id)
        )
    ).first()
    if row is not None:
        await add(conn, row.id, token_digest, until)
    return row


async def add(conn: AsyncConnection, account_id: int, token_digest: str, until: datetime) -> None:
    await conn.execute(
        L.insert().values(token_digest=token_digest, account_id=account_id, expires_at=until)
    )


async def holder(conn: AsyncConnection, token_digest: str, now: datetime) -> Any:
    """The account a usable link sets the password of, or None."""
    found = select(L.c.account_id).where(_usable(token_digest, now))
    return (await conn.execute(select(A).where(A.c.id.in_(found)))).first()


async def claim(conn: AsyncConnection, token_digest: str, now: datetime) -> int | None:
    """Uses the link: the account's id, or None (unknown, used, old, account inactive)."""
    claimed = (
        await conn.execute(
            update(L)
            .where(_usable(token_digest, now))
            .values(used_at=now)
            .returning(L.c.account_id)
        )
    ).first()
    return None if claimed is None else int(claimed[0])


async def end(conn: AsyncConnection, account_id: int) -> None:
    """Every unused link of the account dies."""
    await conn.execute(
        update(L)
        .where((L.c.account_id == account_id) & L.c.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )


async def set_password(conn: AsyncConnection, account_id: int, hashed: str) -> None:
    """The new password signs the person out of every part (the session epoch moves on, the
    sessions end) and ends their other links, in the caller's transaction."""
    await conn.execute(update(A).where(A.c.id == account_id).values(password_hash=hashed))
    await accounts.sign_out_everywhere(conn, account_id)
    await end(conn, account_id)
