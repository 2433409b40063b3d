"""The cloud's database engine from DATABASE_URL: SQLite (aiosqlite, WAL) with no
configuration, PostgreSQL (asyncpg) in production.

URLs as hosting panels and ``psql`` write them (``postgresql://…``, ``postgres://…``,
``sqlite:///…``) are given their async driver; anything else is refused with a message that
says what to write instead."""

from __future__ import annotations

import os
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_URL = "sqlite+aiosqlite:///var/web.sqlite3"
DRIVERS = {"postgresql": "asyncpg", "postgres": "asyncpg", "sqlite": "aiosqlite"}
EXAMPLES = "postgresql://user:password@host:5432/okienko or sqlite:///var/web.sqlite3"


class DatabaseUrlError(ValueError):
    """DATABASE_URL (or --database-url) names no database this service can use."""


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_URL)


def masked(url: str) -> str:
    # The message goes to a terminal or a log: never the password.
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def async_url(url: str) -> URL:
    """``url`` with the async driver this service uses, or DatabaseUrlError."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise DatabaseUrlError(
            f"database URL '{masked(url)}' cannot be read; write it like {EXAMPLES}"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    wanted = DRIVERS.get(backend)
    if wanted is None:
        raise DatabaseUrlError(
            f"database URL '{masked(url)}': '{backend}' is not supported, only PostgreSQL "
            f"and SQLite; write it like {EXAMPLES}"
        )
    backend = "postgresql" if backend == "postgres" else backend
    if driver and driver != wanted:
        raise DatabaseUrlError(
            f"database URL '{masked(url)}': the driver '{driver}' is not used here; write "
            f"{backend}://… (or {backend}+{wanted}://…)"
        )
    return parsed.set(drivername=f"{backend}+{wanted}")


def make_engine(url: str | None = None) -> AsyncEngine:
    parsed = async_url(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(parsed, connect_args={"timeout": 30})

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")  # writers queue instead of failing
            cur.close()

        event.listen(engine.sync_engine, "connect", on_connect)
        return engine
    return create_async_engine(parsed, pool_size=10, max_overflow=20)


async def check_reachable(url: str | None = None) -> None:
    """Connect once before serving, so a wrong host, password or database name is one clear
    line (DatabaseUrlError) instead of a failed start-up with a driver's traceback. SQLite is
    left to start-up, which creates the file and its folder."""
    parsed = async_url(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        return
    engine = create_async_engine(parsed, pool_pre_ping=False)
    try:
        async with engine.connect():
            pass
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        shown = parsed.render_as_string(hide_password=True)
        raise DatabaseUrlError(f"cannot connect to the database {shown}: {reason}") from None
    finally:
        await engine.dispose()
