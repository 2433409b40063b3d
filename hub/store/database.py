"""The hub's durable store: SQLite in WAL mode through SQLAlchemy 2 async (aiosqlite).

A batch of commands is written in one transaction (group commit) and only then acknowledged,
so a kill -9 at any moment loses nothing that a device was told had happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from sqlalchemy import delete, event, select
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hub.domain.events import Event, event_from_json, ticket_of
from hub.store.schema import commands, events

MIGRATIONS = Path(__file__).with_name("migrations")

# The hot path writes through one dedicated aiosqlite connection with these statements, compiled
# once from the SQLAlchemy tables: it halves the commit latency (measured in bench/), which is
# most of the time between a clerk's button and the hall display.
_DIALECT = sqlite_dialect.dialect(paramstyle="qmark")
_EVENT_COLUMNS = ("day", "at", "type", "ticket_id", "request_id", "body")
_COMMAND_COLUMNS = ("request_id", "device", "day", "at", "reply")
_INSERT_EVENT = str(
    events.insert().values({c: None for c in _EVENT_COLUMNS}).compile(dialect=_DIALECT)
)
_INSERT_COMMAND = str(
    commands.insert().values({c: None for c in _COMMAND_COLUMNS}).compile(dialect=_DIALECT)
)


@dataclass(frozen=True)
class StoredCommand:
    request_id: str
    device: str
    reply: str  # the reply's JSON, sent again verbatim on a repeat


@dataclass(frozen=True)
class Batch:
    """What one group commit writes: the events, and the replies of the commands behind them."""

    day: date
    at: datetime
    events: Sequence[tuple[Event, str | None]]  # (event, request id that caused it)
    replies: Sequence[StoredCommand]


class StoreError(Exception):
    """The database could not be opened or written."""


def _run_upgrade(connection: Connection) -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    alembic_command.upgrade(cfg, "head")


class EventStore:
    def __init__(self, path: Path, *, durability: str = "full") -> None:
        self.path = path
        self._sync_mode = "FULL" if durability == "full" else "NORMAL"
        self.engine: AsyncEngine = create_async_engine(f"sqlite+aiosqlite:///{path}")
        event.listen(self.engine.sync_engine, "connect", self._on_connect)
        self._writer: aiosqlite.Connection | None = None

    def _pragmas(self) -> list[str]:
        # FULL syncs the WAL on every commit: an acknowledged ticket survives a power cut too;
        # NORMAL survives a crash of the hub (kill -9) but may lose the last commits on power loss.
        return [
            "PRAGMA journal_mode=WAL",
            f"PRAGMA synchronous={self._sync_mode}",
            "PRAGMA busy_timeout=5000",
        ]

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        for pragma in self._pragmas():
            cur.execute(pragma)
        cur.close()

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            async with self.engine.begin() as conn:
                await conn.run_sync(_run_upgrade)
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            for pragma in self._pragmas():
                await self._writer.execute(pragma)
        except Exception as exc:
            raise StoreError(f"cannot open the queue database {self.path}: {exc}") from exc

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        await self.engine.dispose()

    async def load_day(self, day: date) -> tuple[list[Event], dict[str, StoredCommand]]:
        """The day's events in order, and the replies already given that day."""
        key = day.isoformat()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(events.c.body).where(events.c.day == key).order_by(events.c.seq)
            )
            evs = [event_from_json(r.body) for r in rows]
            rows = await conn.execute(
                select(commands.c.request_id, commands.c.device, commands.c.reply).where(
                    commands.c.day == key
                )
            )
            replies = {r.request_id: StoredCommand(r.request_id, r.device, r.reply) for r in rows}
        return evs, replies

    async def write(self, batch: Batch) -> None:
        """All of the batch in one transaction, or nothing."""
        if self._writer is None:
            raise StoreError("the store is not open")
        day = batch.day.isoformat()
        at = batch.at.isoformat()
        event_rows = [
            (day, e.at.isoformat(), e.type, ticket_of(e), rid, e.model_dump_json())
            for e, rid in batch.events
        ]
        reply_rows = [(c.request_id, c.device, day, at, c.reply) for c in batch.replies]
        db = self._writer
        await db.execute("BEGIN IMMEDIATE")
        try:
            if event_rows:
                await db.executemany(_INSERT_EVENT, event_rows)
            if reply_rows:
                await db.executemany(_INSERT_COMMAND, reply_rows)
            await db.execute("COMMIT")
        except BaseException:
            await db.execute("ROLLBACK")
            raise

    async def forget_replies_before(self, day: date) -> None:
        """Old replies are no use for idempotency once their day is over."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(commands).where(commands.c.day < day.isoformat()))

    async def events_since(self, seq: int, limit: int = 1000) -> list[tuple[int, str]]:
        """(seq, body) of stored events after ``seq``: the cloud sync's outbox."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(events.c.seq, events.c.body)
                .where(events.c.seq > seq)
                .order_by(events.c.seq)
                .limit(limit)
            )
            return [(r.seq, r.body) for r in rows]
