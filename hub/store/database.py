"""The hub's durable store: SQLite in WAL mode through SQLAlchemy 2 async (aiosqlite).

A batch of commands is written in one transaction (group commit) and only then acknowledged,
so a kill -9 at any moment loses nothing that a device was told had happened.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from sqlalchemy import delete, event, func, select
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hub.domain.checkin import LocalReservation
from hub.domain.events import Event, event_from_json, ticket_of
from hub.store.schema import commands, events, pin_failures, reservations, sync_state

MIGRATIONS = Path(__file__).with_name("migrations")

# The hot path writes through one dedicated connection in its own thread, a whole transaction per
# hop, with statements compiled once from the SQLAlchemy tables. Through the async engine a
# commit took ~1.1 ms, through aiosqlite statement by statement ~0.8 ms, this way ~0.45 ms
# (synchronous=FULL, measured here): most of the time between a clerk's button and the display.
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
        self._writer: sqlite3.Connection | None = None
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="okienko-store")

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
            self._writer = await self._in_writer(self._open_writer)
        except Exception as exc:
            raise StoreError(f"cannot open the queue database {self.path}: {exc}") from exc

    def _open_writer(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in self._pragmas():
            con.execute(pragma)
        return con

    async def _in_writer(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer_thread, fn, *args)

    async def close(self) -> None:
        if self._writer is not None:
            await self._in_writer(self._writer.close)
            self._writer = None
        self._writer_thread.shutdown(wait=True)
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
        await self._in_writer(_transaction, self._writer, event_rows, reply_rows)

    async def forget_replies_before(self, day: date) -> None:
        """Old replies are no use for idempotency once their day is over."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(commands).where(commands.c.day < day.isoformat()))

    async def reservation(self, code: str) -> LocalReservation | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(reservations).where(reservations.c.code == code))
            ).first()
        if row is None:
            return None
        return LocalReservation(
            code=row.code,
            service=row.service,
            start=datetime.fromisoformat(row.start),
            cancelled=bool(row.cancelled),
            number=row.number,
        )

    async def save_reservations(self, items: Sequence[LocalReservation]) -> None:
        """Insert or replace (the sync's job; tests use it too)."""
        async with self.engine.begin() as conn:
            for r in items:
                await conn.execute(delete(reservations).where(reservations.c.code == r.code))
                await conn.execute(
                    reservations.insert().values(
                        code=r.code,
                        service=r.service,
                        start=r.start.astimezone(UTC).isoformat(),
                        cancelled=r.cancelled,
                        number=r.number,
                    )
                )

    async def sync_value(self, key: str) -> int:
        async with self.engine.connect() as conn:
            value = await conn.scalar(select(sync_state.c.value).where(sync_state.c.key == key))
        return int(value or 0)

    async def set_sync_value(self, key: str, value: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(sync_state).where(sync_state.c.key == key))
            await conn.execute(sync_state.insert().values(key=key, value=value))

    # --- wrong clerk PINs (hub.clerks) ----------------------------------------------------

    async def pin_failures_since(self, since: datetime) -> list[tuple[str, str, datetime]]:
        """(kind, key, at) of the failures after ``since``; older ones are dropped now."""
        cutoff = since.astimezone(UTC).isoformat()
        async with self.engine.begin() as conn:
            await conn.execute(delete(pin_failures).where(pin_failures.c.at <= cutoff))
            rows = await conn.execute(
                select(pin_failures.c.kind, pin_failures.c.key, pin_failures.c.at)
            )
            return [(r.kind, r.key, datetime.fromisoformat(r.at)) for r in rows]

    async def add_pin_failure(self, clerk: str, device: str, at: datetime) -> None:
        when = at.astimezone(UTC).isoformat()
        async with self.engine.begin() as conn:
            await conn.execute(
                pin_failures.insert(),
                [
                    {"kind": "clerk", "key": clerk[:64], "at": when},
                    {"kind": "device", "key": device[:64], "at": when},
                ],
            )

    async def clear_pin_failures(self, kind: str, key: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(pin_failures).where(
                    (pin_failures.c.kind == kind) & (pin_failures.c.key == key[:64])
                )
            )

    async def count_events_after(self, seq: int) -> int:
        async with self.engine.connect() as conn:
            return int(
                await conn.scalar(
                    select(func.count()).select_from(events).where(events.c.seq > seq)
                )
                or 0
            )

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


def _transaction(
    db: sqlite3.Connection, event_rows: list[tuple[Any, ...]], reply_rows: list[tuple[Any, ...]]
) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        if event_rows:
            db.executemany(_INSERT_EVENT, event_rows)
        if reply_rows:
            db.executemany(_INSERT_COMMAND, reply_rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
