"""reservations and slot counts

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
        "slot_counts",
        sa.Column("service_point", sa.String(40), primary_key=True),
        sa.Column("service", sa.String(40), primary_key=True),
        sa.Column("start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("taken", sa.Integer, nullable=False),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("access_code", sa.String(16), nullable=False),
        sa.Column("service_point", sa.String(40), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("contact", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("access_code", name="uq_reservations_access_code"),
    )
    op.create_index("ix_reservations_slot", "reservations", ["service_point", "service", "start"])
    op.create_index("ix_reservations_hold", "reservations", ["status", "hold_until"])


def downgrade() -> None:
    op.drop_table("reservations")
    op.drop_table("slot_counts")
