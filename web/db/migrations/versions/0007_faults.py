"""citizen fault reports ("Usterka"): dictionary, roles, reports, history, files, replies, mail
records, Open311 keys, monthly counts; seeded with a starting dictionary

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# The starting dictionary (Procedura § 7, the annex's groups), frozen here as it was: offices
# change theirs on the administration page. (code, name)
DEPARTMENTS = [
    ("ZDIT", "Zarząd Dróg i Transportu"),
    ("ZZM", "Zarząd Zieleni Miejskiej"),
    ("WGK", "Wydział Gospodarki Komunalnej"),
    ("BIM", "Biuro Inżyniera Miasta"),
    ("TECH", "Obsługa techniczna punktów obsługi"),
]
# (department, kind, code, name)
GROUPS = [
    ("ZDIT", "coordinator", "ZDIT-K-DROGI", "ZDiT – koordynatorzy dróg"),
    ("ZDIT", "coordinator", "ZDIT-K-TRANSPORT", "ZDiT – koordynatorzy transportu"),
    ("ZDIT", "realizer", "ZDIT-R-DROGI", "ZDiT – utrzymanie dróg"),
    ("ZDIT", "realizer", "ZDIT-R-OZNAKOWANIE", "ZDiT – oznakowanie i sygnalizacja"),
    ("ZDIT", "realizer", "ZDIT-R-TRANSPORT", "ZDiT – infrastruktura przystankowa"),
    ("ZZM", "coordinator", "ZZM-K", "ZZM – koordynatorzy"),
    ("ZZM", "realizer", "ZZM-R-DRZEWA", "ZZM – drzewa"),
    ("ZZM", "realizer", "ZZM-R-TERENY", "ZZM – tereny zieleni"),
    ("WGK", "coordinator", "WGK-K", "WGK – koordynatorzy"),
    ("WGK", "realizer", "WGK-R-CZYSTOSC", "WGK – czystość"),
    ("WGK", "realizer", "WGK-R-ZWIERZETA", "WGK – zwierzęta"),
    ("BIM", "coordinator", "BIM-K", "BIM – koordynatorzy"),
    ("BIM", "realizer", "BIM-R", "BIM – obiekty i mała architektura"),
    ("TECH", "coordinator", "TECH-K", "Obsługa techniczna – koordynatorzy"),
    ("TECH", "realizer", "TECH-R", "Obsługa techniczna – serwis"),
]
CATEGORIES = [
    ("chodniki", "Chodniki"),
    ("ciagi-piesze", "Ciągi piesze"),
    ("czystosc", "Czystość"),
    ("drogi", "Drogi"),
    ("drogi-rowerowe", "Drogi rowerowe"),
    ("mala-architektura", "Mała architektura"),
    ("obiekty", "Obiekty"),
    ("odpady", "Odpady"),
    ("transport", "Transport zbiorowy"),
    ("zielen", "Zieleń"),
    ("zwierzeta", "Zwierzęta"),
    ("urzadzenia", "Urządzenia punktów obsługi"),
]
DEPTH = {"code": "depth_cm", "description": "Głębokość (cm)", "datatype": "number"}
SIGN = {"code": "sign", "description": "Rodzaj znaku", "datatype": "string", "required": True}
# (category, code, name, coordinator group, attributes)
SUBCATEGORIES = [
    ("chodniki", "chodnik-plyta", "Uszkodzona płyta chodnikowa", "ZDIT-K-DROGI", []),
    ("ciagi-piesze", "ciag-pieszy", "Uszkodzony ciąg pieszy", "ZDIT-K-DROGI", []),
    ("czystosc", "zasmiecenie", "Zaśmiecony teren", "WGK-K", []),
    ("drogi", "dziura", "Dziura w jezdni", "ZDIT-K-DROGI", [DEPTH]),
    ("drogi", "znak", "Uszkodzony znak drogowy", "ZDIT-K-DROGI", [SIGN]),
    ("drogi", "sygnalizacja", "Niedziałająca sygnalizacja świetlna", "ZDIT-K-DROGI", []),
    ("drogi-rowerowe", "droga-rowerowa", "Uszkodzona droga rowerowa", "ZDIT-K-DROGI", []),
    ("mala-architektura", "lawka", "Zniszczona ławka", "BIM-K", []),
    ("obiekty", "wiata", "Uszkodzona wiata przystankowa", "ZDIT-K-TRANSPORT", []),
    ("odpady", "kosz", "Przepełniony kosz na śmieci", "WGK-K", []),
    ("odpady", "wysypisko", "Dzikie wysypisko", "WGK-K", []),
    ("transport", "rozklad", "Uszkodzony rozkład jazdy", "ZDIT-K-TRANSPORT", []),
    ("zielen", "drzewo", "Złamane drzewo lub gałąź", "ZZM-K", []),
    ("zielen", "trawnik", "Zniszczony trawnik", "ZZM-K", []),
    ("zwierzeta", "martwe-zwierze", "Martwe zwierzę", "WGK-K", []),
    ("urzadzenia", "brak-papieru", "Biletomat bez papieru", "TECH-K", []),
    ("urzadzenia", "urzadzenie-offline", "Urządzenie niedostępne", "TECH-K", []),
]


def upgrade() -> None:
    op.create_table(
        "fault_departments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(20), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "fault_groups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "department_id", sa.Integer, sa.ForeignKey("fault_departments.id"), nullable=False
        ),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "fault_categories",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "fault_subcategories",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("fault_categories.id"), nullable=False),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "coordinator_group_id", sa.Integer, sa.ForeignKey("fault_groups.id"), nullable=True
        ),
        sa.Column("attributes", sa.String(None), nullable=False, server_default="[]"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "fault_members",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("hd_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column(
            "department_id", sa.Integer, sa.ForeignKey("fault_departments.id"), nullable=True
        ),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("fault_groups.id"), nullable=True),
    )
    op.create_table(
        "fault_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_digest", sa.String(64), nullable=True, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("finished", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("category_id", sa.Integer, sa.ForeignKey("fault_categories.id"), nullable=False),
        sa.Column(
            "subcategory_id", sa.Integer, sa.ForeignKey("fault_subcategories.id"), nullable=False
        ),
        sa.Column("department_id", sa.Integer, nullable=True),
        sa.Column("coordinator_group_id", sa.Integer, nullable=True),
        sa.Column("realizer_group_id", sa.Integer, nullable=True),
        sa.Column("taken", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("handler_id", sa.Integer, nullable=True),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("description", sa.String(None), nullable=False),
        sa.Column("scope", sa.String(None), nullable=False, server_default=""),
        sa.Column("family_id", sa.Integer, nullable=True),
        sa.Column("address", sa.String(300), nullable=False, server_default=""),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("precinct", sa.String(60), nullable=False, server_default=""),
        sa.Column("parcel", sa.String(60), nullable=False, server_default=""),
        sa.Column("rpw_id", sa.String(60), nullable=True),
        sa.Column("attributes", sa.String(None), nullable=False, server_default="{}"),
        sa.Column("source_message", sa.String(None), nullable=False, server_default=""),
        sa.Column("reply_wanted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reporter_name", sa.String(120), nullable=True),
        sa.Column("reporter_email", sa.String(200), nullable=True),
        sa.Column("reporter_phone", sa.String(40), nullable=True),
        sa.Column("consent_at", TS, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("handed_at", TS, nullable=True),
        sa.Column("taken_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("realise_due", TS, nullable=False),
        sa.Column("suspended_until", sa.Date, nullable=True),
        sa.Column("contractor", sa.String(200), nullable=True),
        sa.Column("contractor_ordered_on", sa.Date, nullable=True),
        sa.Column("contractor_due_on", sa.Date, nullable=True),
        sa.Column("done_on", sa.Date, nullable=True),
        sa.Column("closure", sa.String(20), nullable=True),
        sa.Column("close_reason", sa.String(None), nullable=True),
        sa.Column("delay_reason", sa.String(None), nullable=True),
        sa.Column("planned_on", sa.Date, nullable=True),
        sa.Column("replied_at", TS, nullable=True),
        sa.Column("device_key", sa.String(120), nullable=True),
        sa.Column("forget_on", sa.Date, nullable=False),
        sa.Column("last_change_at", TS, nullable=False),
    )
    op.create_index(
        "ix_fault_reports_realizer", "fault_reports", ["realizer_group_id", "last_change_at"]
    )
    op.create_index(
        "ix_fault_reports_department", "fault_reports", ["department_id", "last_change_at"]
    )
    op.create_index("ix_fault_reports_forget", "fault_reports", ["finished", "forget_on"])
    op.create_index("ix_fault_reports_status_change", "fault_reports", ["status", "last_change_at"])
    op.create_index("ix_fault_reports_device_key", "fault_reports", ["device_key"])
    op.create_index("ix_fault_reports_family_id", "fault_reports", ["family_id"])
    op.create_index(
        "ix_fault_reports_coordinator", "fault_reports", ["coordinator_group_id", "last_change_at"]
    )
    op.create_table(
        "fault_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("fault_reports.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("group_id", sa.Integer, nullable=True),
        sa.Column("note", sa.String(None), nullable=False, server_default=""),
    )
    op.create_index("ix_fault_events_report_id", "fault_events", ["report_id"])
    op.create_table(
        "fault_attachments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("fault_reports.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_fault_attachments_report_id", "fault_attachments", ["report_id"])
    op.create_table(
        "fault_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("fault_reports.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("replied_on", sa.Date, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("note", sa.String(None), nullable=False, server_default=""),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_index("ix_fault_replies_report_id", "fault_replies", ["report_id"])
    op.create_table(
        "fault_mails",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("fault_reports.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", TS, nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
    )
    op.create_index("ix_fault_mails_report_id", "fault_mails", ["report_id"])
    op.create_table(
        "fault_api_keys",
        sa.Column("key_digest", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "fault_stats",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("category_id", sa.Integer, primary_key=True),
        sa.Column("department_id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(12), primary_key=True),
        sa.Column("finished", sa.Integer, nullable=False, server_default="0"),
        sa.Column("on_time", sa.Integer, nullable=False, server_default="0"),
    )
    seed()


def seed() -> None:
    conn = op.get_bind()
    for code, name in DEPARTMENTS:
        conn.execute(
            sa.text("INSERT INTO fault_departments (code, name, active) VALUES (:c, :n, :a)"),
            {"c": code, "n": name, "a": True},
        )
    for dept, kind, code, name in GROUPS:
        conn.execute(
            sa.text(
                "INSERT INTO fault_groups (department_id, kind, code, name, active) "
                "SELECT id, :k, :c, :n, :a FROM fault_departments WHERE code = :d"
            ),
            {"d": dept, "k": kind, "c": code, "n": name, "a": True},
        )
    for code, name in CATEGORIES:
        conn.execute(
            sa.text("INSERT INTO fault_categories (code, name, active) VALUES (:c, :n, :a)"),
            {"c": code, "n": name, "a": True},
        )
    for cat, code, name, group, attributes in SUBCATEGORIES:
        conn.execute(
            sa.text(
                "INSERT INTO fault_subcategories "
                "(category_id, code, name, coordinator_group_id, attributes, active) "
                "SELECT c.id, :code, :name, g.id, :attrs, :a FROM fault_categories c, "
                "fault_groups g WHERE c.code = :cat AND g.code = :group"
            ),
            {
                "cat": cat,
                "code": code,
                "name": name,
                "group": group,
                "attrs": json.dumps(attributes, ensure_ascii=False),
                "a": True,
            },
        )


def downgrade() -> None:
    for table in (
        "fault_stats",
        "fault_api_keys",
        "fault_mails",
        "fault_replies",
        "fault_attachments",
        "fault_events",
        "fault_reports",
        "fault_members",
        "fault_subcategories",
        "fault_categories",
        "fault_groups",
        "fault_departments",
    ):
        op.drop_table(table)
