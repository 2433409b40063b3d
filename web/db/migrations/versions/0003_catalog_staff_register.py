"""catalog (departments, locations, services, service points, calendars), staff accounts,
password resets, reservation history, settings; reservations get kind, manage token, reminder

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="online"))
        batch.add_column(sa.Column("manage_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("location", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("number", sa.Integer, nullable=True))
        batch.create_unique_constraint("uq_reservations_manage_token", ["manage_token"])
    op.create_index("ix_reservations_start", "reservations", ["start"])
    op.create_table(
        "reservation_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "reservation_id",
            sa.String(32),
            sa.ForeignKey("reservations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index(
        "ix_reservation_events_reservation_id", "reservation_events", ["reservation_id"]
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False, server_default=""),
        sa.Column("building_limit", sa.Integer, nullable=True),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("department_id", sa.String(40), sa.ForeignKey("departments.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=True),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("duration_min", sa.Integer, nullable=False, server_default="15"),
        sa.Column("horizon_days", sa.Integer, nullable=False, server_default="30"),
        sa.Column("notice_min", sa.Integer, nullable=False, server_default="60"),
        sa.Column("hold_min", sa.Integer, nullable=False, server_default="15"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "service_points",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("location_id", sa.String(40), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("room", sa.String(100), nullable=False, server_default=""),
        sa.Column("hours", sa.Text, nullable=False, server_default="{}"),
        sa.Column("breaks", sa.Text, nullable=False, server_default="{}"),
        sa.Column("public_holidays", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "service_point_services",
        sa.Column(
            "service_point_id",
            sa.String(40),
            sa.ForeignKey("service_points.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "service_id",
            sa.String(40),
            sa.ForeignKey("services.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("capacity", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_table(
        "calendar_exceptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "service_point_id",
            sa.String(40),
            sa.ForeignKey("service_points.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("spans", sa.String(200), nullable=False, server_default=""),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.UniqueConstraint("service_point_id", "day", name="uq_exception_day"),
    )
    op.create_index(
        "ix_calendar_exceptions_service_point_id", "calendar_exceptions", ["service_point_id"]
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("location_id", sa.String(40), nullable=True),
        sa.Column("service_point_id", sa.String(40), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "password_resets",
        sa.Column("token_digest", sa.String(64), primary_key=True),
        sa.Column(
            "staff_id", sa.Integer, sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "settings",
        "password_resets",
        "staff",
        "calendar_exceptions",
        "service_point_services",
        "service_points",
        "services",
        "locations",
        "departments",
        "reservation_events",
    ):
        op.drop_table(table)
    op.drop_index("ix_reservations_start", "reservations")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_constraint("uq_reservations_manage_token", type_="unique")
        for column in ("number", "location", "reminder_sent_at", "manage_token", "kind"):
            batch.drop_column(column)
