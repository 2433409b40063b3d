"""Helpdesk people and the catalogue they work with: units (at most five users each), their
addresses, services (with their own fields) assigned per unit, accounts, sign-in and the
one-time links that set a password (a new account, or a reset)."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from web.helpdesk import tables as t
from web.helpdesk.domain import MAX_UNIT_USERS, Actor, Role, UnitFull
from web.identity import accounts as identity
from web.identity import reset_links, sessions
from web.identity.passwords import hash_password, password_problem
from web.identity.reset_links import digest

WELCOME_VALID = timedelta(days=7)


class AccountError(ValueError):
    """Why an account or catalogue entry cannot be saved (English msgid)."""


# A service's own field: its key names its value in the request (stored JSON), and the form
# names its input FIELD_INPUT + key, so a key never clashes with the form's other inputs and
# the filing route takes every field, whatever the admin page or the demo called it.
FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
FIELD_INPUT = "field-"


@dataclass(frozen=True)
class Field:
    """A service's own field on the request form (e.g. the number of people for BHP)."""

    key: str
    label: str
    number: bool = False
    required: bool = False

    def __post_init__(self) -> None:
        if not FIELD_KEY.fullmatch(self.key):
            raise ValueError(f"a field's key is lower-case letters, digits and _: {self.key!r}")

    @property
    def input_name(self) -> str:
        """The name (and id) of its input on the request form."""
        return FIELD_INPUT + self.key


def field_values(form: Any) -> dict[str, str]:
    """The service's own fields from a submitted request form, by key."""
    return {
        k.removeprefix(FIELD_INPUT): str(v)
        for k, v in form.multi_items()
        if k.startswith(FIELD_INPUT) and isinstance(v, str)
    }


def parse_fields(spec: str) -> list[Field]:
    """One field a line: ``*Number of people #``: ``*`` = required, a trailing ``#`` = a
    whole number."""
    found: list[Field] = []
    for line in spec.splitlines():
        label = line.strip()
        if not label:
            continue
        required = label.startswith("*")
        number = label.endswith("#")
        label = label.strip("*#").strip()[:100]
        if label:
            found.append(Field(f"f{len(found) + 1}", label, number, required))
    return found


def fields_of(raw: str) -> list[Field]:
    return [Field(**f) for f in json.loads(raw or "[]")]


def _email(value: str) -> str:
    email = value.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or len(email) > 200:
        raise AccountError("Enter a valid e-mail address.")
    return email


async def create_unit(
    engine: AsyncEngine, name: str, addresses: list[str], service_ids: list[int], now: datetime
) -> int:
    name = name.strip()
    if not name:
        raise AccountError("Enter the unit's name.")
    labels = [a.strip()[:200] for a in addresses if a.strip()]
    if not labels:
        raise AccountError("Enter at least one address.")
    async with engine.begin() as conn:
        if await conn.scalar(select(t.units.c.id).where(t.units.c.name == name)):
            raise AccountError("A unit with this name already exists.")
        unit_id = (
            await conn.execute(insert(t.units).values(name=name, created_at=now, user_count=0))
        ).inserted_primary_key[0]  # type: ignore[index]
        for label in labels:
            await conn.execute(insert(t.addresses).values(unit_id=unit_id, label=label))
        for sid in set(service_ids):
            await conn.execute(insert(t.unit_services).values(unit_id=unit_id, service_id=sid))
    return int(unit_id)


async def set_unit_services(engine: AsyncEngine, unit_id: int, service_ids: list[int]) -> None:
    async with engine.begin() as conn:
        await conn.execute(delete(t.unit_services).where(t.unit_services.c.unit_id == unit_id))
        for sid in set(service_ids):
            await conn.execute(insert(t.unit_services).values(unit_id=unit_id, service_id=sid))


async def create_service(
    engine: AsyncEngine,
    name: str,
    *,
    fields: list[Field] = (),  # type: ignore[assignment]
    allow_due: bool = False,
    allow_schedule: bool = False,
    allow_repeat: bool = False,
) -> int:
    name = name.strip()
    if not name:
        raise AccountError("Enter the service's name.")
    async with engine.begin() as conn:
        if await conn.scalar(select(t.services.c.id).where(t.services.c.name == name)):
            raise AccountError("A service with this name already exists.")
        result = await conn.execute(
            insert(t.services).values(
                name=name,
                fields=json.dumps([f.__dict__ for f in fields], ensure_ascii=False),
                allow_due=allow_due,
                allow_schedule=allow_schedule,
                allow_repeat=allow_repeat,
            )
        )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def _new_link(conn: AsyncConnection, account_id: int, valid: timedelta, now: datetime) -> str:
    """A link that sets the account's password (the one reset: web/identity/reset.py)."""
    token = secrets.token_urlsafe(32)
    await reset_links.add(conn, account_id, digest(token), now + valid)
    return token


async def create_user(
    engine: AsyncEngine,
    *,
    email: str,
    name: str,
    role: Role,
    now: datetime,
    unit_id: int | None = None,
    phone: str = "",
    password: str | None = None,
) -> tuple[int, str]:
    """The new helpdesk role's id and the token of its "set your password" link (on the
    person's account, created when they have none; one who has a password keeps it). A unit's
    user takes one of its five places: the conditional update on the unit's row is the lock."""
    email = _email(email)
    if not name.strip():
        raise AccountError("Enter the name.")
    if (role == Role.UNIT) != (unit_id is not None):
        raise AccountError("A unit's user belongs to exactly one unit; staff to none.")
    if password is not None and (problem := password_problem(password)):
        raise AccountError(problem)
    hashed = await asyncio.to_thread(hash_password, password) if password else None
    async with engine.begin() as conn:
        taken = select(t.users.c.id).where(func.lower(t.users.c.email) == email)
        if await conn.scalar(taken) is not None:
            raise AccountError("An account with this e-mail already exists.")
        if unit_id is not None:
            claimed = await conn.execute(
                update(t.units)
                .where(t.units.c.id == unit_id, t.units.c.user_count < MAX_UNIT_USERS)
                .values(user_count=t.units.c.user_count + 1)
            )
            if claimed.rowcount != 1:
                raise UnitFull()
        account_id = await identity.ensure(
            conn, email=email, name=name.strip()[:120], phone=phone.strip()[:40], now=now,
            password_hash=hashed,
        )  # fmt: skip
        result = await conn.execute(
            insert(t.users).values(
                account_id=account_id,
                email=email,
                name=name.strip()[:120],
                phone=phone.strip()[:40],
                role=str(role),
                unit_id=unit_id,
                active=True,
                created_at=now,
            )
        )
        user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        token = await _new_link(conn, account_id, WELCOME_VALID, now)
    return user_id, token


async def deactivate_user(engine: AsyncEngine, user_id: int) -> None:
    """Frees the unit's place and ends the role's sessions and the person's password links."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                update(t.users)
                .where(t.users.c.id == user_id, t.users.c.active.is_(True))
                .values(active=False)
                .returning(t.users.c.unit_id, t.users.c.account_id)
            )
        ).first()
        await sessions.end_all(conn, sessions.HELPDESK, user_id)
        if row is not None:
            await reset_links.end(conn, row.account_id)
        if row is not None and row.unit_id is not None:
            await conn.execute(
                update(t.units)
                .where(t.units.c.id == row.unit_id)
                .values(user_count=t.units.c.user_count - 1)
            )


async def change_email(engine: AsyncEngine, user_id: int, email: str) -> None:
    """Only an administrator changes an e-mail address (the pages allow it nowhere else); it is
    the account's, so every part's; links mailed to the old address die."""
    email = _email(email)
    async with engine.begin() as conn:
        account_id = await identity.account_of(conn, t.users, user_id)
        if account_id is None:
            return
        A = identity.A
        clash = select(A.c.id).where(func.lower(A.c.email) == email, A.c.id != account_id)
        if await conn.scalar(clash) is not None:
            raise AccountError("An account with this e-mail already exists.")
        old = await conn.scalar(select(A.c.email).where(A.c.id == account_id))
        if str(old).lower() != email:
            await identity.set_person(conn, account_id, email=email)
            await reset_links.end(conn, account_id)


async def find_by_email(engine: AsyncEngine, email: str) -> Row[Any] | None:
    """The helpdesk role of an e-mail's account, with the account's password and epoch, active
    or not (the sign-in check decides)."""
    async with engine.connect() as conn:
        return (await conn.execute(identity.role_of_email(t.users, email))).first()


def actor_of(row: Any) -> Actor:
    return Actor(row.id, Role(row.role), row.unit_id)


async def staff_emails(conn: AsyncConnection) -> list[str]:
    """The service staff (administrators too) who receive "Nowe zgłoszenie"."""
    rows = await conn.execute(
        select(t.users.c.email).where(
            t.users.c.role.in_([str(Role.SERVICE), str(Role.ADMIN)]), t.users.c.active.is_(True)
        )
    )
    return [r.email for r in rows]


# -- maintaining what exists -------------------------------------------------------------------


async def add_unit_address(engine: AsyncEngine, unit_id: int, label: str) -> None:
    label = label.strip()[:200]
    if not label:
        raise AccountError("Enter at least one address.")
    async with engine.begin() as conn:
        if await conn.scalar(select(t.units.c.id).where(t.units.c.id == unit_id)) is None:
            raise AccountError("No such unit.")
        same = select(t.addresses.c.id).where(
            t.addresses.c.unit_id == unit_id, t.addresses.c.label == label
        )
        if await conn.scalar(same) is not None:
            raise AccountError("The unit already has this address.")
        await conn.execute(insert(t.addresses).values(unit_id=unit_id, label=label))


def refit_fields(spec: str, old: list[Field]) -> list[Field]:
    """The edited list of a service's own fields. A field whose label stays keeps its key, so
    the values in earlier requests keep their labels; a new one gets a key never used."""
    keys = {f.label: f.key for f in old}
    used = {int(f.key[1:]) for f in old if f.key[1:].isdigit()}
    found: list[Field] = []
    for f in parse_fields(spec):
        key = keys.pop(f.label, None)
        if key is None:
            number = max(used | {0}) + 1
            used.add(number)
            key = f"f{number}"
        found.append(Field(key, f.label, f.number, f.required))
    return found


async def update_service(
    engine: AsyncEngine,
    service_id: int,
    *,
    fields_spec: str,
    allow_due: bool,
    allow_schedule: bool,
    allow_repeat: bool,
) -> None:
    async with engine.begin() as conn:
        row = (await conn.execute(select(t.services).where(t.services.c.id == service_id))).first()
        if row is None:
            raise AccountError("No such service.")
        fields = refit_fields(fields_spec, fields_of(row.fields))
        await conn.execute(
            update(t.services)
            .where(t.services.c.id == service_id)
            .values(
                fields=json.dumps([f.__dict__ for f in fields], ensure_ascii=False),
                allow_due=allow_due,
                allow_schedule=allow_schedule,
                allow_repeat=allow_repeat,
            )
        )


def fields_spec(fields: list[Field]) -> str:
    """The fields as the administrator types them (the inverse of ``parse_fields``)."""
    return "\n".join(
        ("*" if f.required else "") + f.label + (" #" if f.number else "") for f in fields
    )


async def change_profile(engine: AsyncEngine, user_id: int, name: str, phone: str) -> None:
    name = name.strip()[:120]
    if not name:
        raise AccountError("Enter the name.")
    async with engine.begin() as conn:
        account_id = await identity.account_of(conn, t.users, user_id)
        if account_id is not None:
            await identity.set_person(conn, account_id, name=name, phone=phone.strip()[:40])


async def reactivate_user(engine: AsyncEngine, user_id: int) -> None:
    """Back to work with the old password; a unit's user takes one of its places again."""
    async with engine.begin() as conn:
        row = (await conn.execute(select(t.users).where(t.users.c.id == user_id))).first()
        if row is None or row.active:
            return
        if row.unit_id is not None:
            claimed = await conn.execute(
                update(t.units)
                .where(t.units.c.id == row.unit_id, t.units.c.user_count < MAX_UNIT_USERS)
                .values(user_count=t.units.c.user_count + 1)
            )
            if claimed.rowcount != 1:
                raise UnitFull()
        await conn.execute(update(t.users).where(t.users.c.id == user_id).values(active=True))
