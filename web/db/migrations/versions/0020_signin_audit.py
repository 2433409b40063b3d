"""the sign-in audit: who signed in or out, or failed to, when and from where

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("realm", sa.String(16), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("account_id", sa.Integer, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
    )
    op.create_index("ix_signin_audit_at", "signin_audit", ["at"])


def downgrade() -> None:
    op.drop_table("signin_audit")
