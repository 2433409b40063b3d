"""The identity's migrations (0020 sign-in audit, 0021 directory accounts) on SQLite and on
PostgreSQL: the tables and columns are there, and one directory user name is one account
(since 0027 on the one account table)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from web.identity import audit
from web.identity.accounts import A


async def test_the_audit_and_directory_accounts_migrate_on_both_databases(engine: AsyncEngine):
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            audit.A.insert().values(
                at=now, realm="staff", email="a@um.example", outcome="failed", source="127.0.0.1"
            )
        )
        person = dict(name="A", active=True, session_epoch=0, created_at=now)
        first = A.insert().values(email="a@um.example", directory_name="a", **person)
        await conn.execute(first)
        await conn.execute(A.insert().values(email="b@um.example", **person))  # local: None
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                A.insert().values(email="c@um.example", directory_name="a", **person)
            )
