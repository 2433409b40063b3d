"""one account table: a person's e-mail, password, session epoch and directory name live on
``accounts``; ``staff`` and ``hd_users`` become role rows under it; one table of password links

Rows of one e-mail (case-insensitive) in both parts become one account, keeping both role rows.
Two that cannot be one (two different passwords, two directory names, a directory account and
a local password) stay two accounts, and ``account_conflicts`` says so for an administrator to
resolve (README.md, "Upgrade notes"); nothing is guessed and no row is lost.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

log = logging.getLogger("okienko.web.db")
TS = sa.DateTime(timezone=True)
ROLE_TABLES = ("staff", "hd_users")
# Not an argon2 hash: what a staff row from the directory held before (no password at all).
NO_PASSWORD = "!directory"


def _tables() -> tuple[sa.Table, sa.Table, sa.Table]:
    accounts = op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("directory_name", sa.String(128), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("directory_name", name="uq_accounts_directory_name"),
    )
    op.create_index("ix_accounts_email", "accounts", ["email"])
    conflicts = op.create_table(
        "account_conflicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("account_ids", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("found_at", TS, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
    )
    op.create_index("ix_account_conflicts_email", "account_conflicts", ["email"])
    links = op.create_table(
        "password_links",
        sa.Column("token_digest", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
    )
    op.create_index("ix_password_links_account_id", "password_links", ["account_id"])
    return accounts, conflicts, links


def _why_apart(account: dict[str, Any], row: dict[str, Any], table: str) -> str | None:
    """Why ``row`` cannot join ``account`` (None: it can)."""
    if table in account["roles"]:
        return "two accounts of one part"
    mine, theirs = account["password_hash"], row["password_hash"]
    if mine is not None and theirs is not None and mine != theirs:
        return "two different passwords"
    if account["directory_name"] != row["directory_name"]:
        if account["directory_name"] is None or row["directory_name"] is None:
            return "a directory account and a local account"
        return "two different directory user names"
    return None


def _people(rows: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The accounts the role rows of one e-mail make, merged where nothing stands against it;
    each with the reasons rows were kept apart."""
    people: list[dict[str, Any]] = []
    for table, row in rows:
        if row["password_hash"] == NO_PASSWORD:
            row = {**row, "password_hash": None}
        reasons = []
        for person in people:
            why = _why_apart(person, row, table)
            if why is None:
                person["roles"][table] = row["id"]
                person["password_hash"] = person["password_hash"] or row["password_hash"]
                person["phone"] = person["phone"] or row.get("phone", "")
                person["active"] = person["active"] or row["active"]
                person["session_epoch"] = max(person["session_epoch"], row["session_epoch"])
                person["created_at"] = min(person["created_at"], row["created_at"])
                break
            reasons.append(why)
        else:
            people.append(
                {
                    "roles": {table: row["id"]},
                    "email": row["email"].strip().lower(),
                    "name": row["name"],
                    "phone": row.get("phone", ""),
                    "password_hash": row["password_hash"],
                    "active": bool(row["active"]),
                    "session_epoch": row["session_epoch"] or 0,
                    "directory_name": row["directory_name"],
                    "created_at": row["created_at"],
                    "apart": reasons,
                }
            )
    return people


def upgrade() -> None:
    accounts, conflicts, links = _tables()
    for table in ROLE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("account_id", sa.Integer, nullable=True))
    bind = op.get_bind()
    meta = sa.MetaData()
    staff = sa.Table("staff", meta, autoload_with=bind)
    users = sa.Table("hd_users", meta, autoload_with=bind)
    by_email: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for part, roles in (("staff", staff), ("hd_users", users)):
        for r in bind.execute(sa.select(roles).order_by(roles.c.id)).mappings():
            by_email.setdefault(r["email"].strip().lower(), []).append((part, dict(r)))
    role_table = {"staff": staff, "hd_users": users}
    account_of: dict[tuple[str, int], int] = {}
    now = datetime.now(UTC)
    for email, rows in by_email.items():
        people = _people(rows)
        ids = []
        for person in people:
            values = {k: v for k, v in person.items() if k not in ("roles", "apart")}
            result = bind.execute(accounts.insert().values(**values))
            account_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            ids.append(account_id)
            for part, role_id in person["roles"].items():
                account_of[(part, role_id)] = account_id
                t = role_table[part]
                bind.execute(sa.update(t).where(t.c.id == role_id).values(account_id=account_id))
        if len(people) > 1:
            reason = "; ".join(sorted({why for p in people for why in p["apart"]}))
            bind.execute(
                conflicts.insert().values(
                    email=email,
                    account_ids=",".join(map(str, ids))[:200],
                    reason=reason[:200],
                    found_at=now,
                )
            )
            log.warning(
                "one account table: %s kept as %d accounts (%s); an administrator resolves it "
                "(table account_conflicts)",
                email,
                len(people),
                reason,
            )
    # The links mailed before the upgrade keep working (one reset gave both parts one token).
    for old, owner, part in (
        ("password_resets", "staff_id", "staff"),
        ("hd_password_resets", "user_id", "hd_users"),
    ):
        old_links = sa.Table(old, meta, autoload_with=bind)
        for r in bind.execute(sa.select(old_links)).mappings():
            taken = sa.select(links.c.token_digest).where(links.c.token_digest == r["token_digest"])
            linked = account_of.get((part, r[owner]))
            if linked is None or bind.execute(taken).first() is not None:
                continue
            bind.execute(
                links.insert().values(
                    token_digest=r["token_digest"],
                    account_id=linked,
                    expires_at=r["expires_at"],
                    used_at=r["used_at"],
                )
            )
        op.drop_table(old)
    for table in ROLE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("account_id", existing_type=sa.Integer, nullable=False)
            batch.create_foreign_key(f"fk_{table}_account_id", "accounts", ["account_id"], ["id"])
            batch.create_unique_constraint(f"uq_{table}_account_id", ["account_id"])
            batch.drop_constraint(f"uq_{table}_directory_name", type_="unique")
            batch.drop_column("directory_name")
            batch.drop_column("password_hash")
            batch.drop_column("session_epoch")


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(200), nullable=True))
    with op.batch_alter_table("hd_users") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(200), nullable=True))
    for table in ROLE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0")
            )
            batch.add_column(sa.Column("directory_name", sa.String(128), nullable=True))
            batch.create_unique_constraint(f"uq_{table}_directory_name", ["directory_name"])
    bind = op.get_bind()
    meta = sa.MetaData()
    accounts = sa.Table("accounts", meta, autoload_with=bind)
    links = sa.Table("password_links", meta, autoload_with=bind)
    for table in ROLE_TABLES:
        t = sa.Table(table, meta, autoload_with=bind)
        for a in bind.execute(sa.select(accounts)).mappings():
            password = a["password_hash"]
            if table == "staff" and password is None:
                password = NO_PASSWORD  # the staff table had no account without one
            bind.execute(
                sa.update(t)
                .where(t.c.account_id == a["id"])
                .values(
                    password_hash=password,
                    session_epoch=a["session_epoch"],
                    directory_name=a["directory_name"],
                )
            )
    with op.batch_alter_table("staff") as batch:
        batch.alter_column("password_hash", existing_type=sa.String(200), nullable=False)
    for old, owner, parent in (
        ("password_resets", "staff_id", "staff"),
        ("hd_password_resets", "user_id", "hd_users"),
    ):
        restored = op.create_table(
            old,
            sa.Column("token_digest", sa.String(64), primary_key=True),
            sa.Column(
                owner,
                sa.Integer,
                sa.ForeignKey(f"{parent}.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("expires_at", TS, nullable=False),
            sa.Column("used_at", TS, nullable=True),
        )
        t = sa.Table(parent, meta, autoload_with=bind, extend_existing=True)
        found = sa.select(links, t.c.id.label("role_id")).join(
            t, t.c.account_id == links.c.account_id
        )
        for r in bind.execute(found).mappings():
            bind.execute(
                restored.insert().values(
                    token_digest=r["token_digest"],
                    **{owner: r["role_id"]},
                    expires_at=r["expires_at"],
                    used_at=r["used_at"],
                )
            )
    for table in ROLE_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_account_id", type_="unique")
            batch.drop_constraint(f"fk_{table}_account_id", type_="foreignkey")
            batch.drop_column("account_id")
    op.drop_table("password_links")
    op.drop_table("account_conflicts")
    op.drop_table("accounts")
