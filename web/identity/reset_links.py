"""One-time links that set a password, for the accounts of every part: a random token goes
into the e-mail, only its sha256 digest is stored; used once (claimed by a conditional UPDATE,
so two tabs cannot both use it), only while the account is active, and every unused link of
the account dies when one is used, when its e-mail changes or when it is deactivated: a link
must not outlive what it was sent for.

A part keeps its links beside its accounts (``Links``: the links table, the column naming the
account, the accounts table); the one reset (web/identity/reset.py) gives a person's accounts
in every part the same token, so one link sets the one password of all of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from web.identity import sessions


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Links:
    realm: str  # the part's sessions end when a link sets the password
    links: Table  # token_digest, <owner>, expires_at, used_at
    owner: str  # the links' column naming the account
    accounts: Table  # id, email, name, active, directory_name, password_hash, session_epoch

    def _usable(self, token_digest: str, now: datetime) -> ColumnElement[bool]:
        L, A = self.links.c, self.accounts.c
        return (
            (L.token_digest == token_digest)
            & L.used_at.is_(None)
            & (L.expires_at > now)
            & L[self.owner].in_(select(A.id).where(A.active.is_(True)))
        )

    async def issue(
        self, conn: AsyncConnection, email: str, token_digest: str, until: datetime
    ) -> Any:
        """A link for the active local account of ``email`` (the account's row), or None. The
        directory keeps a directory account's password, not a link of ours."""
        A = self.accounts.c
        row = (
            await conn.execute(
                select(self.accounts).where(
                    func.lower(A.email) == email.strip().lower(),
                    A.active.is_(True),
                    A.directory_name.is_(None),
                )
            )
        ).first()
        if row is not None:
            await self.add(conn, row.id, token_digest, until)
        return row

    async def add(
        self, conn: AsyncConnection, account_id: int, token_digest: str, until: datetime
    ) -> None:
        await conn.execute(
            self.links.insert().values(
                {"token_digest": token_digest, self.owner: account_id, "expires_at": until}
            )
        )

    async def holder(self, conn: AsyncConnection, token_digest: str, now: datetime) -> Any:
        """The account a usable link sets the password of, or None."""
        owner = self.links.c[self.owner]
        found = select(owner).where(self._usable(token_digest, now))
        return (
            await conn.execute(select(self.accounts).where(self.accounts.c.id.in_(found)))
        ).first()

    async def claim(self, conn: AsyncConnection, token_digest: str, now: datetime) -> int | None:
        """Uses the link: the account's id, or None (unknown, used, old, account inactive)."""
        claimed = (
            await conn.execute(
                update(self.links)
                .where(self._usable(token_digest, now))
                .values(used_at=now)
                .returning(self.links.c[self.owner])
            )
        ).first()
        return None if claimed is None else int(claimed[0])

    async def end(self, conn: AsyncConnection, account_id: int) -> None:
        """Every unused link of the account dies."""
        L = self.links.c
        await conn.execute(
            update(self.links)
            .where((L[self.owner] == account_id) & L.used_at.is_(None))
            .values(used_at=datetime.now(UTC))
        )

    async def set_password(self, conn: AsyncConnection, account_id: int, hashed: str) -> None:
        """The new password signs the account out everywhere (the session epoch moves on, the
        sessions end) and ends its other links, in the caller's transaction."""
        A = self.accounts.c
        await conn.execute(
            update(self.accounts)
            .where(A.id == account_id)
            .values(password_hash=hashed, session_epoch=A.session_epoch + 1)
        )
        await sessions.end_all(conn, self.realm, account_id)
        await self.end(conn, account_id)
