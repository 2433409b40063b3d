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

from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from sqlalchemy import delete, event, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hub.domain.events import Event, event_from_json, ticket_of
from hub.store.schema import commands, events

MIGRATIONS = Path(__file__).with_name("migrations")


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

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL syncs the WAL on every commit: an acknowledged ticket survives a power cut too.
        cur.execute(f"PRAGMA synchronous={self._sync_mode}")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()

    async def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            async with self.engine.begin() as conn:
                await conn.run_sync(_run_upgrade)
        except Exception as exc:
            raise StoreError(f"cannot open the queue database {self.path}: {exc}") from exc

    async def close(self) -> None:
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
        day = batch.day.isoformat()
        event_rows = [
            {
                "day": day,
                "at": e.at.isoformat(),
                "type": e.type,
                "ticket_id": ticket_of(e),
                "request_id": rid,
                "body": e.model_dump_json(),
            }
            for e, rid in batch.events
        ]
        reply_rows = [
            {
                "request_id": c.request_id,
                "device": c.device,
                "day": day,
                "at": batch.at.isoformat(),
                "reply": c.reply,
            }
            for c in batch.replies
        ]
        async with self.engine.begin() as conn:
            if event_rows:
                await conn.execute(events.insert(), event_rows)
            if reply_rows:
                await conn.execute(commands.insert(), reply_rows)

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
