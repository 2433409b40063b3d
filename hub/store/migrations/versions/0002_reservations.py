"""local reservations for check-in

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("start", sa.String(32), nullable=False),  # UTC ISO 8601
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_reservations_start", "reservations", ["start"])


def downgrade() -> None:
    op.drop_table("reservations")
