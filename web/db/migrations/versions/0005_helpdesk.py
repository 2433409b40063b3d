"""helpdesk: units, addresses, services, accounts, requests, messages, history, attachments,
read marks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hd_units",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("user_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "hd_addresses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("hd_units.id"), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_index("ix_hd_addresses_unit_id", "hd_addresses", ["unit_id"])
    op.create_table(
        "hd_services",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("fields", sa.Text, nullable=False, server_default="[]"),
        sa.Column("allow_due", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("allow_schedule", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("allow_repeat", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "hd_unit_services",
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("hd_units.id"), primary_key=True),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("hd_services.id"), primary_key=True),
    )
    op.create_table(
        "hd_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("hd_units.id"), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_hd_users_unit_id", "hd_users", ["unit_id"])
    op.create_table(
        "hd_password_resets",
        sa.Column("token_digest", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("hd_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
    )
    op.create_table(
        "hd_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("hd_units.id"), nullable=False),
        sa.Column("address_id", sa.Integer, sa.ForeignKey("hd_addresses.id"), nullable=False),
        sa.Column("service_id", sa.Integer, sa.ForeignKey("hd_services.id"), nullable=False),
        sa.Column("filed_by", sa.Integer, sa.ForeignKey("hd_users.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("fields", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("publish_at", TS, nullable=True),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("due_on", sa.Date, nullable=True),
        sa.Column("recurring", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("repeat_every", sa.Integer, nullable=True),
        sa.Column("repeat_unit", sa.String(8), nullable=True),
        sa.Column("repeat_start", TS, nullable=True),
        sa.Column("repeat_n", sa.Integer, nullable=False, server_default="0"),
        sa.Column("repeat_next_at", TS, nullable=True),
        sa.Column("repeat_of", sa.Integer, nullable=True),
        sa.Column("handler_id", sa.Integer, nullable=True),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("reject_reason", sa.Text, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("rating_text", sa.Text, nullable=True),
        sa.Column("rated_at", TS, nullable=True),
        sa.Column("rating_token_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("last_change_at", TS, nullable=False),
        sa.Column("last_message_at", TS, nullable=True),
        sa.Column("message_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attachment_count", sa.Integer, nullable=False, server_default="0"),
    )
    for name, columns in [
        ("ix_hd_requests_active_change", ["active", "last_change_at"]),
        ("ix_hd_requests_unit_active_change", ["unit_id", "active", "last_change_at"]),
        # (last change, created): a created range is checked in the index while it is walked.
        ("ix_hd_requests_change", ["last_change_at", "created_at"]),
        ("ix_hd_requests_unit_change", ["unit_id", "last_change_at"]),
        ("ix_hd_requests_status_change", ["status", "last_change_at"]),
        ("ix_hd_requests_service_change", ["service_id", "last_change_at"]),
        ("ix_hd_requests_created", ["created_at"]),
        ("ix_hd_requests_due", ["due_on"]),
        ("ix_hd_requests_publish", ["status", "publish_at"]),
        ("ix_hd_requests_repeat", ["repeat_next_at"]),
    ]:
        op.create_index(name, "hd_requests", columns)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Searching the text ("contains …") over a million requests needs trigrams; pg_trgm is
        # a trusted extension (the database owner may create it). Without it, search scans.
        with bind.begin_nested():
            try:
                op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except sa.exc.DBAPIError:
                pass
        if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname='pg_trgm'")).first():
            op.execute(
                "CREATE INDEX ix_hd_requests_text_trgm ON hd_requests "
                "USING gin (lower(text) gin_trgm_ops)"
            )
    op.create_table(
        "hd_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("hd_requests.id"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("hd_users.id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_hd_messages_request_id", "hd_messages", ["request_id"])
    op.create_table(
        "hd_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("hd_requests.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_hd_events_request_id", "hd_events", ["request_id"])
    op.create_table(
        "hd_attachments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("hd_requests.id"), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("encrypted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("salt", sa.LargeBinary, nullable=True),
        sa.Column("nonce", sa.LargeBinary, nullable=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("hd_users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_hd_attachments_request_id", "hd_attachments", ["request_id"])
    op.create_table(
        "hd_reads",
        sa.Column("user_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seen_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in [
        "hd_reads",
        "hd_attachments",
        "hd_events",
        "hd_messages",
        "hd_requests",
        "hd_password_resets",
        "hd_users",
        "hd_unit_services",
        "hd_services",
        "hd_addresses",
        "hd_units",
    ]:
        op.drop_table(table)
