"""hub ↔ cloud sync: site tokens, queue events, tickets for the e-ticket page, sync status;
reservations get their place in the location's change feed

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("sync_seq", sa.Integer, nullable=True))
    op.create_index("ix_reservations_sync", "reservations", ["location", "sync_seq"])
    op.create_table(
        "site_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("location_id", sa.String(40), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_site_tokens_location_id", "site_tokens", ["location_id"])
    op.create_table(
        "queue_events",
        sa.Column("location_id", sa.String(40), primary_key=True),
        sa.Column("hub_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_queue_events_day", "queue_events", ["location_id", "day"])
    op.create_table(
        "tickets",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("location_id", sa.String(40), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counter", sa.String(40), nullable=True),
        sa.Column("ahead", sa.Integer, nullable=True),
        sa.Column("wait_min", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_tickets_location_id", "tickets", ["location_id"])
    op.create_index("ix_tickets_ticket", "tickets", ["location_id", "ticket_id"])
    op.create_table(
        "site_sync",
        sa.Column("location_id", sa.String(40), primary_key=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_hub_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("backlog", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reservations_cursor", sa.Integer, nullable=False, server_default="0"),
        sa.Column("hub_version", sa.String(40), nullable=False, server_default=""),
        sa.Column("snapshot", sa.Text, nullable=False, server_default="{}"),
    )

    op.create_table(
        "ticket_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("contact", sa.String(120), nullable=False),
        sa.Column("ahead", sa.Integer, nullable=False, server_default="3"),
        sa.Column("sent_ahead_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_called_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ticket_alerts_token", "ticket_alerts", ["token"])


def downgrade() -> None:
    for table in ("ticket_alerts", "site_sync", "tickets", "queue_events", "site_tokens"):
        op.drop_table(table)
    op.drop_index("ix_reservations_sync", "reservations")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("sync_seq")
