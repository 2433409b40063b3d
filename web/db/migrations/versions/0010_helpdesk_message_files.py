"""helpdesk: files attached to chat messages

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Files already stored came with their request: they keep no message.
    with op.batch_alter_table("hd_attachments") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_hd_attachments_message_id", "hd_messages", ["message_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("hd_attachments") as batch:
        batch.drop_constraint("fk_hd_attachments_message_id", type_="foreignkey")
        batch.drop_column("message_id")
