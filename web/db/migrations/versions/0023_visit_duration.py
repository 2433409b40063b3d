"""a reservation keeps its length, so the building limit counts the visits inside at the same
moment (seed 003: "ile osób może jednocześnie przebywać w budynku") rather than per hour

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("duration_min", sa.Integer, nullable=True))
    # Visits booked before: the length their service has now (null: counted as 15 minutes).
    op.execute(
        "UPDATE reservations SET duration_min = "
        "(SELECT services.duration_min FROM services WHERE services.id = reservations.service)"
    )


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("duration_min")
