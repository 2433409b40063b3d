"""Creating and changing staff accounts (the administration pages and ``okienko staff-add``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.auth.roles import Role, sees_all_locations_by_default
from web.auth.session import T
from web.identity import accounts
from web.identity.passwords import hash_password, password_problem


class AccountError(ValueError):
    """A clear reason (English msgid) why the account cannot be saved."""


async def create_staff(
    engine: AsyncEngine,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    location_id: str | None = None,
    service_point_id: str | None = None,
    all_locations: bool | None = None,
) -> int:
    """A new staff role (on the person's account, created when they have none);
    ``all_locations`` None: the role's default (web/auth/roles.py)."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 200:
        raise AccountError("Enter a valid e-mail address.")
    if role not in set(Role):
        raise AccountError("Choose a role.")
    if not name.strip():
        raise AccountError("Enter the name.")
    if problem := password_problem(password):
        raise AccountError(problem)
    hashed = await asyncio.to_thread(hash_password, password)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        if await conn.scalar(select(T.c.id).where(func.lower(T.c.email) == email)) is not None:
            raise AccountError("An account with this e-mail already exists.")
        # A person with a helpdesk role gets the staff role on the same account (and keeps
        # the password they have).
        account_id = await accounts.ensure(
            conn, email=email, name=name.strip(), now=now, password_hash=hashed
        )
        result = await conn.execute(
            T.insert().values(
                account_id=account_id,
                email=email,
                name=name.strip(),
                role=role,
                location_id=location_id or None,
                service_point_id=service_point_id or None,
                all_locations=(
                    sees_all_locations_by_default(role) if all_locations is None else all_locations
                ),
                active=True,
                created_at=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])
