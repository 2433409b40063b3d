"""the helpdesk's remote-help FAQ; fault reports: suspension pauses the deadline, coordinator
groups that handed a report on keep sight of it

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hd_help_pages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
    )
    op.create_table(
        "fault_past_holders",
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey("fault_reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("group_id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_fault_past_holders_group_id", "fault_past_holders", ["group_id"])
    with op.batch_alter_table("fault_reports") as batch:
        batch.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_s", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("fault_reports") as batch:
        batch.drop_column("paused_s")
        batch.drop_column("suspended_at")
    op.drop_index("ix_fault_past_holders_group_id", table_name="fault_past_holders")
    op.drop_table("fault_past_holders")
    op.drop_table("hd_help_pages")
