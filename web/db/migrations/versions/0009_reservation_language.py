"""the language a visitor booked in, for reminders and notices of a moved visit

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Bookings made before this revision were told in Polish: they keep being told so.
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("language", sa.String(5), nullable=False, server_default="pl"))


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("language")
