"""whose visits a staff account sees: its own location's, or every location's

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(
            sa.Column("all_locations", sa.Boolean, nullable=False, server_default=sa.false())
        )
    # As each role's default for new accounts: managers and administrators see every location.
    op.execute("UPDATE staff SET all_locations = TRUE WHERE role IN ('administrator', 'manager')")


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("all_locations")
