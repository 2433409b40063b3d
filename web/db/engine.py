"""The cloud's database engine from DATABASE_URL: SQLite (aiosqlite, WAL) with no
configuration, PostgreSQL (asyncpg) in production."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_URL = "sqlite+aiosqlite:///var/web.sqlite3"


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


def make_engine(url: str | None = None) -> AsyncEngine:
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")  # writers queue instead of failing
            cur.close()

        event.listen(engine.sync_engine, "connect", on_connect)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20)
