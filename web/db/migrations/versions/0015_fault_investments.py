"""fault reports: the investment tasks' group of the dictionary (Procedura § 21 ust. 2 pkt 1)

The realizer makes the final classification: an investment report is moved to the group of
investment tasks. The starting dictionary had none; an office that already made its own (code
``inwestycje``) keeps it.

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
    conn = op.get_bind()
    found = conn.scalar(sa.text("SELECT id FROM fault_categories WHERE code = 'inwestycje'"))
    if found is None:
        conn.execute(
            sa.text(
                "INSERT INTO fault_categories (code, name, active) "
                "VALUES ('inwestycje', 'Zadania inwestycyjne', :a)"
            ),
            {"a": True},
        )
    conn.execute(
        sa.text(
            "INSERT INTO fault_subcategories "
            "(category_id, code, name, coordinator_group_id, attributes, active) "
            "SELECT c.id, 'inwestycja', 'Zadanie inwestycyjne', "
            "(SELECT g.id FROM fault_groups g WHERE g.code = 'BIM-K'), '[]', :a "
            "FROM fault_categories c WHERE c.code = 'inwestycje' AND NOT EXISTS "
            "(SELECT 1 FROM fault_subcategories s WHERE s.code = 'inwestycja')"
        ),
        {"a": True},
    )


def downgrade() -> None:
    conn = op.get_bind()
    used = conn.scalar(
        sa.text(
            "SELECT COUNT(*) FROM fault_reports r JOIN fault_subcategories s "
            "ON s.id = r.subcategory_id WHERE s.code = 'inwestycja'"
        )
    )
    if used:
        return  # reports were classified there: the group stays
    conn.execute(sa.text("DELETE FROM fault_subcategories WHERE code = 'inwestycja'"))
    conn.execute(
        sa.text(
            "DELETE FROM fault_categories WHERE code = 'inwestycje' AND NOT EXISTS "
            "(SELECT 1 FROM fault_subcategories s WHERE s.category_id = fault_categories.id)"
        )
    )
