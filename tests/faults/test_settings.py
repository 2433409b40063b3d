"""The working calendar and the SLA limits are configuration: a TOML file read at start (errors
name the file and the key), kept in the app and used by filing, the steps, the pages and the
reminders; without one, the seed's Łódź calendar."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import People, make_people
from tests.faults.rig import Rig
from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.faults import listing, notices, store
from web.faults import tables as t
from web.faults.domain import Action, Channel, Step
from web.faults.settings import DEFAULT, FaultSettings
from web.faults.workdays import CalendarError

WAW = ZoneInfo("Europe/Warsaw")
ALWAYS_TOML = """
timezone = "Europe/Warsaw"
holidays = ""
[hours]
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"
[sla]
take_up_days = 1
realise_days = 1
return_days = 2
"""
SATURDAY = datetime(2026, 3, 7, 10, 0, tzinfo=WAW)


def always(tmp_path: Path) -> Path:
    path = tmp_path / "usterka.toml"
    path.write_text(ALWAYS_TOML, encoding="utf-8")
    return path


def test_the_file_is_checked_and_its_errors_name_the_file_and_the_key(tmp_path: Path):
    s = FaultSettings.from_file(always(tmp_path))
    assert s.sla.realise_days == 1 and s.calendar.is_working(SATURDAY)
    assert DEFAULT.sla.realise_days == 10 and not DEFAULT.calendar.is_working(SATURDAY)
    bad = tmp_path / "bad.toml"
    for text, key in (
        ('[hours]\nmon = "08:00"\n', "hours.mon"),
        ('[hours]\nmon = "08:00-16:00"\n[sla]\nrealise_days = "ten"\n', "sla.realise_days"),
        ('[hours]\nmon = "08:00-16:00"\n[sla]\nrealize_days = 3\n', "realize_days"),
        ('timezone = "Europe/Lodz"\n[hours]\nmon = "08:00-16:00"\n', "timezone"),
        ("holidays = 'PL'\n", "hours"),
        ("[hours\n", "bad.toml"),
    ):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(CalendarError, match=re.escape(key)) as err:
            FaultSettings.from_file(bad)
        assert str(bad) in str(err.value)
    with pytest.raises(CalendarError, match=r"missing\.toml"):
        FaultSettings.from_file(tmp_path / "missing.toml")


def test_okienko_web_refuses_a_wrong_calendar_before_starting(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[hours]\nmon = "16:00-08:00"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "web", "--faults-calendar", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "hours.mon" in done.stderr and str(bad) in done.stderr


class Outbox:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, to: str, subject: str, text: str) -> None:
        self.sent.append(subject)


async def test_filing_steps_lists_and_reminders_follow_the_configured_calendar(
    engine: AsyncEngine, people: People, tmp_path: Path
):
    p, s = people, FaultSettings.from_file(always(tmp_path))
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x"), SATURDAY, s
    )
    async with engine.connect() as conn:
        due = await conn.scalar(select(t.reports.c.realise_due).where(t.reports.c.id == rid))
    assert store.aware(due) == SATURDAY + timedelta(days=1)  # Sunday: every day works
    step = Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"])
    await store.act(engine, p.operator, rid, step, SATURDAY, settings=s)
    sunday_night = SATURDAY + timedelta(days=1, hours=13)
    [item] = await listing.reports(engine, p.operator, listing.Filters(), sunday_night, s)
    assert item.sla.overdue and item.sla.take_up_late
    [seed] = await listing.reports(engine, p.operator, listing.Filters(), sunday_night)
    assert not seed.sla.overdue  # by the Łódź calendar it is not late yet
    outbox = Outbox()
    state = SimpleNamespace(engine=engine, notifier=outbox, fault_settings=s)
    app: Any = SimpleNamespace(state=state)
    assert await notices.remind(app, sunday_night) == 2  # at night, on a Sunday: 24/7 here
    assert sorted(outbox.sent) == [
        f"Przypomnienie: zgłoszenie nr {rid}",
        f"Zgłoszenie po terminie: nr {rid}",
    ]
    state.fault_settings = None  # an app given no file: the seed's calendar, so nothing now
    assert await notices.remind(app, sunday_night + timedelta(minutes=1)) == 0


@pytest.fixture(scope="module")
def always_rig(tmp_path_factory: pytest.TempPathFactory) -> Any:
    workdir = tmp_path_factory.mktemp("faults-always")
    smtp = Smtp.start()
    web = WebProcess.start(
        workdir, smtp_port=smtp.port, extra=["--faults-calendar", str(always(workdir))]
    )
    try:
        r = Rig(web, smtp, None, workdir)  # type: ignore[arg-type]
        r.people = r.db(lambda engine: make_people(engine, passwords=True))
        yield r
    finally:
        web.stop()
        smtp.stop()


def test_the_pages_use_the_calendar_given_to_okienko_web(always_rig: Rig):
    p, op = always_rig.people, always_rig.client("operator")
    new = op.get("/usterki/new")
    made = op.post(
        "/usterki/new",
        data={
            "csrf_token": csrf_of(new.text),
            "channel": "phone",
            "sub": str(p.subs["kosz"]),
            "description": "Kosz przepełniony",
            "address": "Plac Wolności",
            "received_at": "2026-03-07T10:00",  # a Saturday, entered after an outage
        },
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    sunday = datetime(2026, 3, 8, 10, 0, tzinfo=WAW)
    page = op.get(url).text
    assert format_datetime(sunday, "short", tzinfo=WAW, locale="pl") in page
    assert "po terminie" in page


def test_the_devices_categories_take_their_deadline_in_working_hours_from_the_file(
    tmp_path: Path,
):
    assert DEFAULT.sla.hours == {"brak-papieru": 4, "urzadzenie-offline": 8}
    own = tmp_path / "hours.toml"
    own.write_text(
        '[hours]\nmon = "08:00-16:00"\n[sla]\nrealise_days = 10\n'
        '[sla.hours]\nbrak-papieru = 2\n"kosz" = 6\n',
        encoding="utf-8",
    )
    s = FaultSettings.from_file(own)
    assert s.sla.hours == {"brak-papieru": 2, "kosz": 6}
    monday_9 = datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert s.sla.realise_due(s.calendar, monday_9, 2) == monday_9 + timedelta(hours=2)
    # Monday's hours end at 16:00: six working hours from 15:00 end on the next Monday.
    late = monday_9.replace(hour=15)
    assert s.sla.realise_due(s.calendar, late, 6) == late + timedelta(days=7, hours=-2)
    own.write_text('[hours]\nmon = "08:00-16:00"\n[sla.hours]\nkosz = 0\n', encoding="utf-8")
    with pytest.raises(CalendarError, match=re.escape("sla.hours.kosz")):
        FaultSettings.from_file(own)
