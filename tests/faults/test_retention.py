"""Retention of personal data (§ 27) on reports 5 and 7 months old, everywhere the data lived,
idempotent, with the counts kept; and reminders only in working hours."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import People
from web.faults import notices, retention, store
from web.faults import tables as t
from web.faults.domain import Action, Channel, Closure, Status, Step

WAW = ZoneInfo("Europe/Warsaw")
TODAY = datetime(2026, 10, 20, 10, tzinfo=WAW)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def finished_report(engine: AsyncEngine, p: People, received: datetime) -> int:
    rid, _ = await store.file_report(
        engine,
        store.Draft(
            p.subs["kosz"],
            "Kosz pełny",
            Channel.WEB,
            address="Plac Wolności 1",
            reply_wanted=True,
            email="anna.nowak@example.com",
            name="Anna Nowak",
            source_message="Od: anna.nowak@example.com",
            files=[store.File("kosz.png", "image/png", PNG)],
        ),
        received,
    )
    await store.record_reply(engine, p.operator, rid, received.date(), "e-mail", "ok", received)
    await store.act(
        engine,
        p.operator,
        rid,
        Step(Action.CLOSE_BY_OPERATOR, closure=Closure.OUTSIDE, reason="MPO", rpw_id="R/9"),
        received + timedelta(hours=1),
    )
    async with engine.begin() as conn:
        await conn.execute(
            insert(t.mails).values(
                report_id=rid, at=received, recipient="anna.nowak@example.com", subject="Nr"
            )
        )
    return rid


async def rows_of(engine: AsyncEngine, rid: int) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table.name: int(
                await conn.scalar(
                    select(func.count()).select_from(table).where(table.c.report_id == rid)
                )
                or 0
            )
            for table in (t.events, t.replies, t.mails, t.attachments)
        }


async def test_reports_seven_months_old_go_everywhere_and_five_months_old_stay(
    engine: AsyncEngine, people: People, caplog: pytest.LogCaptureFixture
):
    p = people
    old = await finished_report(engine, p, datetime(2026, 3, 20, 10, tzinfo=WAW))  # 7 months
    young = await finished_report(engine, p, datetime(2026, 5, 20, 10, tzinfo=WAW))  # 5 months
    open_old, _ = await store.file_report(
        engine,
        store.Draft(
            p.subs["kosz"],
            "Nadal pełny",
            Channel.PHONE,
            address="ul. Długa 2",
            reply_wanted=True,
            phone="600100200",
        ),
        datetime(2026, 3, 10, 10, tzinfo=WAW),
    )
    assert (await rows_of(engine, old))["fault_attachments"] == 1
    caplog.set_level(logging.INFO, "okienko.web.faults")
    outcome = await retention.run(engine, TODAY)
    assert (outcome.deleted, outcome.anonymised) == (1, 1)
    assert await store.load(engine, p.super, old) is None
    assert await rows_of(engine, old) == {
        "fault_events": 0,
        "fault_replies": 0,
        "fault_mails": 0,
        "fault_attachments": 0,
    }
    kept = await store.load(engine, p.super, young)
    assert kept is not None and kept.reporter_email == "anna.nowak@example.com"
    unfinished = await store.load(engine, p.super, open_old)
    assert unfinished is not None and unfinished.reporter_phone is None
    assert unfinished.status == str(Status.NEW)
    # The counts stay; the log has no personal data; a second run changes nothing.
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.sum(t.stats.c.finished))) == 1
    assert "anna" not in caplog.text.lower() and "1 deleted" in caplog.text
    again = await retention.run(engine, TODAY)
    assert (again.deleted, again.anonymised) == (0, 0)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.sum(t.stats.c.finished))) == 1
    # The month of registration does not count: 31 March's report stays until 1 October.
    assert store.forget_on(datetime(2026, 3, 31, 23, 30, tzinfo=WAW)) == date(2026, 10, 1)
    assert store.forget_on(datetime(2026, 12, 1, tzinfo=WAW)) == date(2027, 7, 1)


async def test_withdrawn_consent_removes_the_contact_data_at_once(
    engine: AsyncEngine, people: People
):
    rid, token = await store.file_report(
        engine,
        store.Draft(
            people.subs["lawka"], "x", Channel.WEB, address="a", reply_wanted=True, email="a@b.pl"
        ),
        TODAY,
    )
    assert await store.withdraw_consent(engine, token, TODAY)
    row = await store.load(engine, people.super, rid)
    assert row is not None and row.reporter_email is None and row.consent_at is None


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, to: str, subject: str, text: str) -> None:
        self.sent.append((to, subject))


async def test_reminders_go_out_only_in_working_hours_and_once(engine: AsyncEngine, people: People):
    p = people
    friday = datetime(2026, 3, 6, 15, tzinfo=WAW)
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x"), friday
    )
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), friday
    )
    outbox = Outbox()
    app: Any = SimpleNamespace(state=SimpleNamespace(engine=engine, notifier=outbox))
    # Due Monday 15:00; Monday 23:00 and Saturday are outside hours: nothing is sent.
    assert await notices.remind(app, datetime(2026, 3, 9, 14, 59, tzinfo=WAW)) == 0
    assert await notices.remind(app, datetime(2026, 3, 9, 23, 0, tzinfo=WAW)) == 0
    assert outbox.sent == []
    tuesday = datetime(2026, 3, 10, 8, 0, tzinfo=WAW)
    assert await notices.remind(app, tuesday) == 1
    assert outbox.sent == [("coord.roads@uml.example", f"Przypomnienie: zgłoszenie nr {rid}")]
    assert await notices.remind(app, tuesday + timedelta(hours=1)) == 0  # once


def _app(engine: AsyncEngine, outbox: Outbox) -> Any:
    return SimpleNamespace(state=SimpleNamespace(engine=engine, notifier=outbox))


async def test_several_workers_reminding_at_once_send_each_mail_once(
    engine: AsyncEngine, people: People
):
    p = people
    friday = datetime(2026, 3, 6, 15, tzinfo=WAW)
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x"), friday
    )
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), friday
    )
    outbox = Outbox()
    tuesday = datetime(2026, 3, 10, 8, 0, tzinfo=WAW)
    counts = await asyncio.gather(
        *(notices.remind(_app(engine, outbox), tuesday) for _ in range(4))
    )
    assert sum(counts) == 1 and len(outbox.sent) == 1
    # A new hand-over starts a new clock: one more reminder when that one is missed too.
    nine = tuesday + timedelta(hours=1)
    step = Step(Action.FORWARD_COORDINATOR, group_id=p.groups["ZDIT-K-TRANSPORT"], reason="tr")
    await store.act(engine, p.coord_roads, rid, step, nine)
    assert await notices.remind(_app(engine, outbox), nine + timedelta(hours=2)) == 0
    wednesday = nine + timedelta(days=1, minutes=1)
    counts = await asyncio.gather(
        *(notices.remind(_app(engine, outbox), wednesday) for _ in range(4))
    )
    assert sum(counts) == 1
    assert outbox.sent[-1] == ("coord.transport@uml.example", f"Przypomnienie: zgłoszenie nr {rid}")


async def test_an_escalation_waits_for_working_hours_and_goes_once_to_the_supervisors(
    engine: AsyncEngine, people: People
):
    p = people
    filed = datetime(2026, 2, 20, 9, tzinfo=WAW)  # due ten working days later, 6 March 9:00
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x"), filed
    )
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), filed
    )
    await store.act(engine, p.coord_roads, rid, Step(Action.TAKE), filed)  # no reminder due
    outbox = Outbox()
    app = _app(engine, outbox)
    for night_or_weekend in (
        datetime(2026, 3, 6, 16, 0, tzinfo=WAW),  # Friday, the end of hours
        datetime(2026, 3, 7, 11, 0, tzinfo=WAW),  # Saturday
        datetime(2026, 3, 9, 0, 0, tzinfo=WAW),  # Monday midnight
        datetime(2026, 3, 9, 7, 59, tzinfo=WAW),
    ):
        assert await notices.remind(app, night_or_weekend) == 0
    assert outbox.sent == []
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=WAW)
    counts = await asyncio.gather(*(notices.remind(app, monday) for _ in range(3)))
    assert sum(counts) == 1
    assert outbox.sent == [("supervisor.zdit@uml.example", f"Zgłoszenie po terminie: nr {rid}")]
    assert await notices.remind(app, monday + timedelta(days=1)) == 0  # once per report


async def test_old_unfinished_reports_never_keep_finished_ones_from_being_deleted(
    engine: AsyncEngine, people: People
):
    p = people
    march = datetime(2026, 3, 10, 10, tzinfo=WAW)
    first, _ = await store.file_report(
        engine, store.Draft(p.subs["kosz"], "Nadal pełny", Channel.PHONE, address="a"), march
    )
    async with engine.begin() as conn:  # more unfinished old reports than one run's batch
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == first))).one()
        base = {k: v for k, v in row._mapping.items() if k not in ("id", "token_digest")}
        await conn.execute(insert(t.reports), [base] * retention.BATCH)
    finished = await finished_report(engine, p, march)  # the newest id, finished
    outcome = await retention.run(engine, TODAY)
    assert outcome.deleted == 1
    assert await store.load(engine, p.super, finished) is None
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(t.reports)) == (
            retention.BATCH + 1
        )
