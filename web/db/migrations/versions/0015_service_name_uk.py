"""a service's Ukrainian name, beside the English one (visitors' pages speak Ukrainian)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null: the Polish name is shown, as for a service without an English name.
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("name_uk", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.drop_column("name_uk")
