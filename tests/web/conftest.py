"""Database fixtures: a fresh SQLite file, and a fresh database on the real PostgreSQL server
(127.0.0.1:5432; `bootstrap test` starts it and creates the okienko role)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import PG_ADMIN
from web.db.engine import make_engine
from web.db.migrate import upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}")
        name = None
    else:
        name = f"okienko_test_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        eng = make_engine(
            PG_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
            + f"/{name}"
        )
    await upgrade(eng)  # the real migrations, so they are tested on both databases
    yield eng
    await eng.dispose()
    if name is not None:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
