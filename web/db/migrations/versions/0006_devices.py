"""fleet health: the sites' devices and their history

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("location_id", sa.String(40), primary_key=True),
        sa.Column("device_id", sa.String(40), primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("online", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("software", sa.String(80), nullable=False, server_default=""),
        sa.Column("printer", sa.String(20), nullable=False, server_default="none"),
        sa.Column("detail", sa.String(200), nullable=False, server_default=""),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "device_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("location_id", sa.String(40), nullable=False),
        sa.Column("device_id", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean, nullable=False),
        sa.Column("printer", sa.String(20), nullable=False),
    )
    op.create_index(
        "ix_device_changes_device", "device_changes", ["location_id", "device_id", "at"]
    )


def downgrade() -> None:
    op.drop_table("device_changes")
    op.drop_table("devices")
