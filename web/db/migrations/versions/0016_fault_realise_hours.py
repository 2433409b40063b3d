"""fault reports: a deadline in working hours for the devices' categories

A report in a category with its own deadline in hours (a dispenser out of paper, a device
offline: ``[sla.hours]`` of the fault settings) keeps that number, so its deadline is counted
in working hours rather than the residents' 10 working days. Null: the days of ``[sla]``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fault_reports") as batch:
        batch.add_column(sa.Column("realise_hours", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(
        "fault_reports", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("realise_hours")
