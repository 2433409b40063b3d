"""fault report numbers never come back: SQLite's fault_reports with AUTOINCREMENT

A report's number is its id. SQLite gives a plain INTEGER PRIMARY KEY the largest id + 1, so
after the newest report was deleted (by a super-supervisor, or by retention) the next one got
its number again. AUTOINCREMENT keeps the highest number ever given (sqlite_sequence), as
PostgreSQL's sequence already does; the table is rebuilt with its rows, ids and indexes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's serial sequence never goes back
    with op.batch_alter_table(
        "fault_reports", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "fault_reports", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
