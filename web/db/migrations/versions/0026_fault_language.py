"""fault reports: the reporter's language, for the e-mails to them

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fault_reports") as batch:
        batch.add_column(sa.Column("language", sa.String(5), nullable=False, server_default="pl"))


def downgrade() -> None:
    with op.batch_alter_table("fault_reports") as batch:
        batch.drop_column("language")
