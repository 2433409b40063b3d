"""accounts from the directory (staff and helpdesk): their directory user name (None: local)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLES = ("hd_users", "staff")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("directory_name", sa.String(128), nullable=True))
            batch.create_unique_constraint(f"uq_{table}_directory_name", ["directory_name"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_directory_name", type_="unique")
            batch.drop_column("directory_name")
