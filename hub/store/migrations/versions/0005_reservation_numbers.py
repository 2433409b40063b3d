"""a reservation's number (R007), so the ticket issued at check-in carries it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("number", sa.String(8), nullable=True))
    # Pull the site's reservations again from the start, so those already here get theirs.
    op.execute("DELETE FROM sync_state WHERE key = 'reservations'")


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("number")
