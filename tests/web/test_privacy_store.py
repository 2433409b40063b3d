"""A data-subject request on SQLite and PostgreSQL: one contact, typed any way, finds the
person in every part; the export reads back; the erase leaves visits counted and registers in
place but nothing of the person, and nothing of anybody else is touched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.web import privacy_data as data
from web.db.models import Reservation, ReservationEvent
from web.faults import tables as ft
from web.helpdesk import tables as ht
from web.identity.accounts import with_account
from web.privacy import store
from web.privacy.contact import NotAContact, parse

R = cast(Table, Reservation.__table__)
RE = cast(Table, ReservationEvent.__table__)


@pytest.mark.parametrize(
    "typed", ["+48 600 100 200", "600-100-200", "0048600100200", "(600) 100 200"]
)
def test_a_number_typed_any_way_is_one_contact(typed: str):
    assert parse(typed).value == data.PHONE


def test_what_is_no_contact_is_refused():
    for typed in ("", "jan@", "12", "Jan Kowalski"):
        with pytest.raises(NotAContact):
            parse(typed)


async def test_the_export_finds_the_person_everywhere_and_reads_back(engine: AsyncEngine):
    ids = await data.seed(engine)
    by_phone = await store.find(engine, parse("600 100 200"))
    doc = json.loads(store.dumps(by_phone.export(datetime.now(UTC))))

    assert doc["contact"] == data.PHONE
    assert [r["id"] for r in doc["reservations"]] == ["res-jan-1", "res-jan-2"]
    assert "600-100-200" in doc["reservations"][0]["history"][1]["detail"]
    assert [n["reservation_id"] for n in doc["reservation_notes"]] == ["res-ewa"]
    assert [a["contact"] for a in doc["ticket_alerts"]] == [data.PHONE]
    assert [a["id"] for a in doc["helpdesk_accounts"]] == [ids["jan_account"]]
    assert {r["id"] for r in doc["helpdesk_requests"]} == {ids["jan_request"], ids["ewa_request"]}
    assert [m["body"] for m in doc["helpdesk_messages"]] == ["Jestem w pokoju 12."]
    assert [f["id"] for f in doc["fault_reports"]] == [ids["jan_fault"]]
    assert doc["fault_reports"][0]["kept_until"]  # the register's date, told to the requester
    assert "§ 27" in doc["retention_notice"]["pl"]
    assert doc["signins"] == []  # the audit holds e-mail addresses only

    by_mail = (await store.find(engine, parse(" JAN.Kowalski@example.pl "))).export(
        datetime.now(UTC)
    )
    assert [r["id"] for r in by_mail["reservations"]] == ["res-jan-1"]
    assert {f["id"] for f in by_mail["fault_reports"]} == {ids["jan_fault"], ids["other_fault"]}
    assert [s["source"] for s in by_mail["signins"]] == ["10.0.0.7"]
    assert [a["id"] for a in by_mail["helpdesk_accounts"]] == [ids["jan_account"]]
    # A stranger's report naming him: its text, not the stranger's own contact.
    other = next(f for f in by_mail["fault_reports"] if f["id"] == ids["other_fault"])
    assert not other["you_reported"] and other["reporter_email"] is None
    assert data.OTHER_EMAIL not in store.dumps(by_mail)


async def _texts(engine: AsyncEngine) -> str:
    """Every stored text of every table the request covers, as one string."""
    async with engine.connect() as conn:
        parts: list[Any] = []
        for table in (R, RE, ht.users, ht.requests, ht.messages, ft.reports, ft.events, ft.mails):
            parts += [tuple(r) for r in await conn.execute(select(table))]
        for table_name in ("ticket_alerts", "signin_audit"):
            parts += [tuple(r) for r in await conn.execute(select(Table(table_name, R.metadata)))]
    return repr(parts)


async def test_erase_keeps_the_counts_and_leaves_nothing_of_the_person(engine: AsyncEngine):
    ids = await data.seed(engine)
    before = await _texts(engine)
    assert data.EMAIL in before and "600 100 200" in before and data.NAME in before

    await store.erase(engine, parse("+48600100200"), datetime.now(UTC))
    async with engine.connect() as conn:
        note = await conn.scalar(select(RE.c.detail).where(RE.c.reservation_id == "res-ewa"))
    # His e-mail, known from his own booking, goes from the note with the number.
    assert note == "Przyjdzie mąż (tel. [usunięto], [usunięto])"
    await store.erase(engine, parse(data.EMAIL), datetime.now(UTC))

    for typed in ("600100200", data.EMAIL):
        assert (await store.find(engine, parse(typed))).total == 0
    after = await _texts(engine)
    for trace in (data.EMAIL, "600 100 200", "600-100-200", "600100200", data.NAME, "10.0.0.7"):
        assert trace not in after, trace

    async with engine.connect() as conn:
        # The visits still count, with their time, place and status, and no one's name.
        visits = {r.id: r for r in await conn.execute(select(R))}
        assert len(visits) == 3 and visits["res-jan-1"].status == "confirmed"
        assert visits["res-jan-1"].name == "" and visits["res-jan-1"].contact == "usunięto"
        assert (
            visits["res-ewa"].name == "Ewa Nowak" and visits["res-ewa"].contact == data.OTHER_EMAIL
        )
        assert "[usunięto]" in str(
            await conn.scalar(select(RE.c.detail).where(RE.c.reservation_id == "res-ewa"))
        )
        # The fault register keeps both reports; the stranger's own data stay.
        reports = {r.id: r for r in await conn.execute(select(ft.reports))}
        assert reports[ids["jan_fault"]].description == "Dziura w jezdni przed domem."
        assert reports[ids["jan_fault"]].reporter_email is None
        assert reports[ids["other_fault"]].reporter_email == data.OTHER_EMAIL
        assert reports[ids["other_fault"]].description == "Sąsiad ([usunięto]) też to widział."
        # The helpdesk request he filed stays, from an account that no longer signs in.
        jan = (
            await conn.execute(with_account(ht.users).where(ht.users.c.id == ids["jan_account"]))
        ).one()
        assert not jan.active and jan.password_hash is None
        assert await conn.scalar(select(func.count()).select_from(ht.requests)) == 2
        ewa = (
            await conn.execute(select(ht.users).where(ht.users.c.id == ids["ewa_account"]))
        ).one()
        assert ewa.email == data.OTHER_EMAIL and ewa.active
        alerts = await conn.execute(select(Table("ticket_alerts", R.metadata)))
        assert [a.contact for a in alerts] == [data.OTHER_PHONE]


async def test_the_access_log_is_kept_for_the_configured_days(engine: AsyncEngine):
    from datetime import timedelta
    from types import SimpleNamespace

    from sqlalchemy import update

    from web import jobs
    from web.privacy import access

    await access.record(engine, "ewa@um.example", access.Action.OPENED, "reservation old")
    await access.record(engine, "ewa@um.example", access.Action.OPENED, "reservation new")
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            update(access.A)
            .where(access.A.c.record == "reservation old")
            .values(at=now - timedelta(days=40))
        )
    assert (access.sweep, 3600.0) in jobs.JOBS  # run by the jobs of every worker
    app = SimpleNamespace(state=SimpleNamespace(engine=engine, access_log_days=60))
    assert await access.sweep(app, now) == 0  # 40 days: within a 60-day period
    app.state.access_log_days = 30
    assert await access.sweep(app, now) == 1
    assert [r.record for r in await access.latest(engine)] == ["reservation new"]
    assert access.KEEP_DAYS_DEFAULT == 365
