"""server-side sessions of staff and helpdesk accounts (logout ends every copy of a cookie)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("token_digest", sa.String(64), primary_key=True),
        sa.Column("realm", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("ix_auth_sessions_account", "auth_sessions", ["realm", "account_id"])
    op.create_index("ix_auth_sessions_created", "auth_sessions", ["created_at"])


def downgrade() -> None:
    op.drop_table("auth_sessions")
