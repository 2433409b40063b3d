"""events and commands

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_events_day", "events", ["day"])
    op.create_index("ix_events_ticket", "events", ["ticket_id"])
    op.create_table(
        "commands",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("device", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("reply", sa.Text, nullable=False),
    )
    op.create_index("ix_commands_day", "commands", ["day"])


def downgrade() -> None:
    op.drop_table("commands")
    op.drop_table("events")
