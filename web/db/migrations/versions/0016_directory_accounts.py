"""helpdesk accounts from the directory: their directory user name (None: a local account)

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
    with op.batch_alter_table("hd_users") as batch:
        batch.add_column(sa.Column("directory_name", sa.String(128), nullable=True))
        batch.create_unique_constraint("uq_hd_users_directory_name", ["directory_name"])


def downgrade() -> None:
    with op.batch_alter_table("hd_users") as batch:
        batch.drop_constraint("uq_hd_users_directory_name", type_="unique")
        batch.drop_column("directory_name")
