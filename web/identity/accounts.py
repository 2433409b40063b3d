"""The one account of a person, under the parts' role rows (``staff``, ``hd_users``): its
e-mail, name and phone, its one password, its session epoch and its directory name.

A part's role row keeps a copy of the e-mail and name for its own lists; ``set_person`` writes
the account's and every copy at once, so the copies never drift. A password, a reset or the end
of every session applies to the account, so to every part at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from web.db.models import Account, AccountConflict, HdUser, PasswordLink, Staff
from web.i18n import N_
from web.identity import sessions

A = cast(Table, Account.__table__)
C = cast(Table, AccountConflict.__table__)
L = cast(Table, PasswordLink.__table__)
# Each part's role table, by its sessions' realm.
ROLES = {
    sessions.STAFF: cast(Table, Staff.__table__),
    sessions.HELPDESK: cast(Table, HdUser.__table__),
}
COPIED = ("email", "name", "phone")  # the account's facts a role row keeps a copy of


def with_account(roles: Table) -> Select[Any]:
    """A part's role rows with their account's password hash, session epoch and directory
    name; ``active`` only while both the role and the account are."""
    own = [c for c in roles.c if c.name != "active"]
    return select(
        *own,
        and_(roles.c.active, A.c.active).label("active"),
        A.c.password_hash,
        A.c.session_epoch,
        A.c.directory_name,
    ).join_from(roles, A, roles.c.account_id == A.c.id)


def role_of_email(roles: Table, email: str) -> Select[Any]:
    """A part's role row of an e-mail with its account (``with_account``): a role in force
    first, ahead of one switched off when a conflict was resolved."""
    return (
        with_account(roles)
        .where(func.lower(A.c.email) == email.strip().lower())
        .order_by(A.c.active.desc(), roles.c.active.desc(), roles.c.id)
    )


async def by_email(conn: AsyncConnection, email: str) -> Any:
    """The account of an e-mail (case-insensitive), or None. The upgrade to one account table
    may have kept two for one e-mail (``account_conflicts``): then the first active one."""
    found = (
        select(A)
        .where(func.lower(A.c.email) == email.strip().lower())
        .order_by(A.c.active.desc(), A.c.id)  # one kept after a conflict before a retired one
    )
    return (await conn.execute(found)).first()


async def ensure(
    conn: AsyncConnection,
    *,
    email: str,
    name: str,
    now: datetime,
    phone: str = "",
    password_hash: str | None = None,
    directory_name: str | None = None,
) -> int:
    """The id of the account of ``email``, created when there is none. A person who already
    has one keeps their password (a new role does not change it); one without a password
    gets ``password_hash``."""
    row = await by_email(conn, email)
    if row is None:
        result = await conn.execute(
            A.insert().values(
                email=email.strip().lower(), name=name, phone=phone,
                password_hash=password_hash, active=True, session_epoch=0,
                directory_name=directory_name, created_at=now,
            )
        )  # fmt: skip
        return int(result.inserted_primary_key[0])  # type: ignore[index]
    if row.password_hash is None and password_hash is not None:
        await conn.execute(update(A).where(A.c.id == row.id).values(password_hash=password_hash))
    return int(row.id)


async def set_person(conn: AsyncConnection, account_id: int, **values: Any) -> None:
    """Changes the account (e-mail, name, phone, password, …) and every role row's copy."""
    await conn.execute(update(A).where(A.c.id == account_id).values(**values))
    for roles in ROLES.values():
        copied = {k: v for k, v in values.items() if k in COPIED and k in roles.c}
        if "name" in copied:
            copied["name"] = str(copied["name"])[: roles.c.name.type.length]  # type: ignore[attr-defined]
        if copied:
            await conn.execute(
                update(roles).where(roles.c.account_id == account_id).values(**copied)
            )


async def end_sessions(conn: AsyncConnection, account_id: int) -> None:
    """Every session of the account, in every part (in the caller's transaction)."""
    for realm, roles in ROLES.items():
        role_ids = await conn.scalars(select(roles.c.id).where(roles.c.account_id == account_id))
        for role_id in role_ids.all():
            await sessions.end_all(conn, realm, role_id)


async def sign_out_everywhere(conn: AsyncConnection, account_id: int) -> None:
    """The session epoch moves on (a copy of an older cookie is dead) and the sessions end."""
    await conn.execute(
        update(A).where(A.c.id == account_id).values(session_epoch=A.c.session_epoch + 1)
    )
    await end_sessions(conn, account_id)


async def account_of(conn: AsyncConnection, roles: Table, role_id: int) -> int | None:
    """The account a part's role row belongs to."""
    found = await conn.scalar(select(roles.c.account_id).where(roles.c.id == role_id))
    return None if found is None else int(found)


@dataclass(frozen=True)
class Held:
    """One of a conflict's accounts as the administrator compares them."""

    id: int
    name: str
    has_password: bool
    directory_name: str | None
    created_at: datetime
    roles: tuple[tuple[str, str], ...]  # (realm, role) of each part it works in


@dataclass(frozen=True)
class Conflict:
    id: int
    email: str
    reason: str
    found_at: datetime
    accounts: tuple[Held, ...]


# Why the upgrade kept two accounts apart (the 0027 migration's words), for the admin page.
REASONS = (
    N_("two accounts of one part"),
    N_("two different passwords"),
    N_("a directory account and a local account"),
    N_("two different directory user names"),
)


class NotInConflict(ValueError):
    """The account chosen is not one of the conflict's (or it is resolved already)."""


async def open_conflicts(conn: AsyncConnection) -> list[Conflict]:
    """The upgrade's conflicts nobody has resolved yet, oldest first."""
    found = []
    rows = await conn.execute(
        select(C).where(C.c.resolved_at.is_(None)).order_by(C.c.found_at, C.c.id)
    )
    for c in rows.all():
        held = []
        for account_id in _ids(c.account_ids):
            a = (await conn.execute(select(A).where(A.c.id == account_id))).first()
            if a is None:
                continue
            roles = []
            for realm, table in ROLES.items():
                role = await conn.scalar(select(table.c.role).where(table.c.account_id == a.id))
                if role is not None:
                    roles.append((realm, str(role)))
            held.append(
                Held(
                    a.id, a.name, a.password_hash is not None, a.directory_name, a.created_at,
                    tuple(roles),
                )
            )  # fmt: skip
        found.append(Conflict(c.id, c.email, c.reason, c.found_at, tuple(held)))
    return found


async def keep(conn: AsyncConnection, conflict_id: int, account_id: int, now: datetime) -> None:
    """Resolve a conflict by keeping ``account_id``: the other accounts' roles in parts it
    lacks move to it (with its password), a role in a part it already has is switched off,
    an account left with no role is deleted and one left with a role is deactivated. Every
    session of each of them ends, so nobody stays signed in under the old split."""
    c = (
        await conn.execute(select(C).where((C.c.id == conflict_id) & C.c.resolved_at.is_(None)))
    ).first()
    ids = _ids(c.account_ids) if c is not None else []
    if account_id not in ids:
        raise NotInConflict(f"account {account_id} is not in open conflict {conflict_id}")
    for each in ids:
        await sign_out_everywhere(conn, each)
    for other in (i for i in ids if i != account_id):
        left = False
        for roles in ROLES.values():
            theirs = await conn.scalar(select(roles.c.id).where(roles.c.account_id == other))
            if theirs is None:
                continue
            mine = await conn.scalar(select(roles.c.id).where(roles.c.account_id == account_id))
            if mine is None:
                await conn.execute(
                    update(roles).where(roles.c.id == theirs).values(account_id=account_id)
                )
            else:
                await conn.execute(update(roles).where(roles.c.id == theirs).values(active=False))
                left = True
        if left:
            await conn.execute(update(A).where(A.c.id == other).values(active=False))
        else:
            await conn.execute(delete(L).where(L.c.account_id == other))
            await conn.execute(delete(A).where(A.c.id == other))
    await conn.execute(update(C).where(C.c.id == conflict_id).values(resolved_at=now))


def _ids(text: str) -> list[int]:
    return [int(part) for part in str(text).split(",") if part.strip().isdigit()]
