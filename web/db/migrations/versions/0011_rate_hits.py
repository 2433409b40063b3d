"""rate limits shared by every worker of the cloud (they were in each process's memory)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_hits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_rate_hits_key", "rate_hits", ["key_digest", "at"])
    op.create_index("ix_rate_hits_at", "rate_hits", ["at"])


def downgrade() -> None:
    op.drop_table("rate_hits")
