"""Taking in a hub's batch of queue events: each stored once by (site, seq), applied to the
tickets' live state in order, with the hub's snapshot (people ahead, waits, the hall's state).

One transaction per batch: all of it or nothing, so the hub's cursor and ours never disagree.
On PostgreSQL the commit carries a NOTIFY, so every worker's live pages update.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.contract import sync as contract
from hub.domain import events as ev
from web.db.models import QueueEvent, SiteSync, Ticket
from web.reservations import store
from web.sync import fleet

QE = cast(Table, QueueEvent.__table__)
TK = cast(Table, Ticket.__table__)
SS = cast(Table, SiteSync.__table__)
TZ = ZoneInfo("Europe/Warsaw")
CHANNEL = "okienko_live"


class BadEvent(ValueError):
    """An event the cloud cannot read; the message names its seq."""


def parse(events: Sequence[contract.SyncEvent]) -> list[tuple[int, ev.Event, str]]:
    out = []
    for e in sorted(events, key=lambda e: e.seq):
        raw = json.dumps(e.body)
        try:
            out.append((e.seq, ev.event_from_json(raw), raw))
        except ValueError as exc:
            raise BadEvent(f"event {e.seq} is not a queue event: {exc}") from None
    return out


async def ingest(engine: AsyncEngine, location: str, push: contract.PushRequest) -> int:
    """Store and apply the batch; the highest seq the cloud now has."""
    parsed = parse(push.events)
    now = datetime.now(UTC)
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    async with engine.begin() as conn:
        new: set[int] = set()
        if parsed:
            # One multi-row INSERT … ON CONFLICT DO NOTHING RETURNING: the seqs that are new.
            stored = await conn.execute(
                insert(QE).on_conflict_do_nothing().returning(QE.c.hub_seq),
                [
                    {
                        "location_id": location,
                        "hub_seq": seq,
                        "at": event.at,
                        "day": event.at.astimezone(TZ).date(),
                        "type": event.type,
                        "ticket_id": ev.ticket_of(event),
                        "body": raw,
                    }
                    for seq, event, raw in parsed
                ],
            )
            new = {row.hub_seq for row in stored}
        fresh = [event for seq, event, _ in parsed if seq in new]  # a repeat changes nothing
        await _issue(conn, location, [e for e in fresh if isinstance(e, ev.TicketIssued)], now)
        for event in fresh:
            await _apply(conn, location, event, now)
        if push.snapshot is not None:
            await _snapshot(conn, location, push.snapshot, now)
            await fleet.record(conn, location, push.snapshot.devices, now)
        acked = await _record(conn, location, push, parsed, now)
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_notify(:c, :l)"), {"c": CHANNEL, "l": location})
    return acked


async def _issue(
    conn: AsyncConnection, location: str, issued: list[ev.TicketIssued], now: datetime
) -> None:
    """New tickets in one multi-row insert; check-ins mark their reservations."""
    if not issued:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        insert(TK).on_conflict_do_nothing(),
        [
            {
                "token": e.token,
                "location_id": location,
                "ticket_id": e.ticket_id,
                "number": e.number,
                "service": e.service,
                "day": e.at.astimezone(TZ).date(),
                "status": "waiting",
                "updated_at": now,
                "version": 1,
            }
            for e in issued
        ],
    )
    for e in issued:
        if e.reservation_code:
            await store.checked_in_at_site(conn, location, e.reservation_code, e.at)


async def _apply(conn: AsyncConnection, location: str, event: ev.Event, now: datetime) -> None:
    changes: dict[str, Any] | None = None
    if isinstance(event, ev.TicketCalled):
        changes = {"status": "called", "counter": event.counter, "ahead": 0, "wait_min": 0}
    elif isinstance(event, ev.ServiceStarted):
        changes = {"status": "serving", "counter": event.counter}
    elif isinstance(event, ev.ServiceFinished):
        changes = {"status": "done"}
    elif isinstance(event, ev.TicketNoShow):
        changes = {"status": "missed" if event.removed else "waiting", "counter": None}
    elif isinstance(event, ev.TicketTransferred):
        changes = {"status": "waiting", "service": event.to_service, "counter": None}
    elif isinstance(event, ev.TicketCancelled):
        changes = {"status": "cancelled"}
    if changes is not None:
        await conn.execute(
            update(TK)
            .where((TK.c.location_id == location) & (TK.c.ticket_id == ev.ticket_of(event)))
            .values(**changes, updated_at=now, version=TK.c.version + 1)
        )


async def _snapshot(
    conn: AsyncConnection, location: str, snapshot: contract.Snapshot, now: datetime
) -> None:
    for t in snapshot.tickets:
        wait = None if t.wait_s is None else round(t.wait_s / 60)
        await conn.execute(
            update(TK)
            .where(
                (TK.c.token == t.token)
                & (TK.c.location_id == location)
                & (TK.c.status == "waiting")
                & ((TK.c.ahead.is_(None)) | (TK.c.ahead != t.ahead) | (TK.c.wait_min.is_(None)))
            )
            .values(ahead=t.ahead, wait_min=wait, updated_at=now, version=TK.c.version + 1)
        )


async def _record(
    conn: AsyncConnection,
    location: str,
    push: contract.PushRequest,
    parsed: list[tuple[int, ev.Event, str]],
    now: datetime,
) -> int:
    row = (await conn.execute(select(SS).where(SS.c.location_id == location))).first()
    top = max([seq for seq, _, _ in parsed], default=0)
    values: dict[str, Any] = {
        "last_seen_at": now,
        "backlog": push.backlog,
        "hub_version": push.software,
    }
    if push.snapshot is not None:
        values["snapshot"] = push.snapshot.queue.model_dump_json()
    if row is None:
        await conn.execute(SS.insert().values(location_id=location, last_hub_seq=top, **values))
        return top
    acked = max(int(row.last_hub_seq), top)
    await conn.execute(
        update(SS).where(SS.c.location_id == location).values(last_hub_seq=acked, **values)
    )
    return acked
