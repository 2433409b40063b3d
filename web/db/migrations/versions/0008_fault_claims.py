"""fault reports' jobs safe in several workers: reminder and escalation claims, one open
report per device and problem

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("fault_reports", sa.Column("reminded_at", TS, nullable=True))
    op.add_column("fault_reports", sa.Column("escalated_at", TS, nullable=True))
    # Mails already sent count as claimed, so the upgrade sends nothing twice.
    op.execute(
        """
        UPDATE fault_reports SET escalated_at = (
            SELECT min(m.at) FROM fault_mails m
            WHERE m.report_id = fault_reports.id AND m.subject LIKE 'Zgłoszenie po terminie%')
        """
    )
    op.execute(
        """
        UPDATE fault_reports SET reminded_at = (
            SELECT min(m.at) FROM fault_mails m
            WHERE m.report_id = fault_reports.id AND m.subject LIKE 'Przypomnienie%'
              AND m.at >= fault_reports.handed_at)
        WHERE handed_at IS NOT NULL
        """
    )
    # Duplicates a race may have left: the oldest stays the device's report, the others are
    # kept for people but no longer resolved by the device.
    op.execute(
        """
        UPDATE fault_reports SET device_key = NULL
        WHERE device_key IS NOT NULL AND NOT finished AND id > (
            SELECT min(o.id) FROM fault_reports o
            WHERE o.device_key = fault_reports.device_key AND NOT o.finished)
        """
    )
    op.create_index(
        "uq_fault_reports_open_device",
        "fault_reports",
        ["device_key"],
        unique=True,
        sqlite_where=sa.text("NOT finished"),
        postgresql_where=sa.text("NOT finished"),
    )


def downgrade() -> None:
    op.drop_index("uq_fault_reports_open_device", table_name="fault_reports")
    op.drop_column("fault_reports", "escalated_at")
    op.drop_column("fault_reports", "reminded_at")
