"""pin failures: wrong clerk PINs per clerk and per terminal, so a lockout survives a restart

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pin_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_index("ix_pin_failures_key", "pin_failures", ["kind", "key"])


def downgrade() -> None:
    op.drop_index("ix_pin_failures_key", table_name="pin_failures")
    op.drop_table("pin_failures")
