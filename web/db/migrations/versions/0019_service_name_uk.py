"""a service's Ukrainian name, beside the English one, and the language of an e-ticket alert
(visitors' pages speak Ukrainian; the alert is sent in the language it was asked in)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Null: the Polish name is shown, as for a service without an English name.
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("name_uk", sa.String(200), nullable=True))
    # Alerts asked for before this revision were Polish: they stay so.
    with op.batch_alter_table("ticket_alerts") as batch:
        batch.add_column(sa.Column("language", sa.String(5), nullable=False, server_default="pl"))


def downgrade() -> None:
    with op.batch_alter_table("ticket_alerts") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("name_uk")
