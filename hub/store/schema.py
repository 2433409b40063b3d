"""Tables of the hub's SQLite file. The queue is stored as its events (append-only); the day's
state is rebuilt by replaying them. Replies are kept by request id so a repeated command gets
the same answer after a restart too."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),  # local date, YYYY-MM-DD
    Column("at", String(32), nullable=False),  # UTC ISO 8601
    Column("type", String(32), nullable=False),
    Column("ticket_id", String(32), nullable=True),
    Column("request_id", String(64), nullable=True),
    Column("body", Text, nullable=False),  # the event as JSON (hub.domain.events)
    Index("ix_events_day", "day"),
    Index("ix_events_ticket", "ticket_id"),
)

commands = Table(
    "commands",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("device", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    Column("at", String(32), nullable=False),
    Column("reply", Text, nullable=False),
    Index("ix_commands_day", "day"),
)

# The hub's copy of the site's reservations, so check-in works while the internet is down.
reservations = Table(
    "reservations",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("service", String(32), nullable=False),
    Column("start", String(32), nullable=False),  # UTC ISO 8601
    Column("cancelled", Boolean, nullable=False, default=False),
    Column("number", String(8), nullable=True),  # R007; null when the cloud sent none
    Index("ix_reservations_start", "start"),
)

# How far the cloud has the events ("pushed") and the reservations feed ("reservations").
sync_state = Table(
    "sync_state",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

# Wrong clerk PINs of the last minutes: one row per failure and per count it goes into
# (kind "clerk" with the clerk id, kind "device" with the terminal), so lockouts survive a
# restart and each count is cleared on its own (hub.clerks).
pin_failures = Table(
    "pin_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("key", String(64), nullable=False),
    Column("at", String(32), nullable=False),  # UTC ISO 8601
    Index("ix_pin_failures_key", "kind", "key"),
)
