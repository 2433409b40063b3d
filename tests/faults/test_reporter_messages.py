"""What the reporter and the operator are told, in Chromium: closing a report as out of scope
tells the reporter where it went (§ 14 ust. 2) and records that reply; a coordinator's notice
that part of a report belongs elsewhere (§ 19 ust. 4 pkt 2) is a recorded step with its form
and time, sent to the operators by e-mail."""

from __future__ import annotations

from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import People
from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.faults.test_browser import SHOTS, sign_in
from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import body_text
from web.faults import store
from web.faults import tables as t
from web.faults.domain import Channel


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


async def a_report(engine: AsyncEngine, email: str, description: str, language: str = "pl") -> int:
    async with engine.connect() as conn:
        sub = await conn.scalar(
            select(t.subcategories.c.id).where(t.subcategories.c.code == "sygnalizacja")
        )
    draft = store.Draft(
        int(sub or 0),
        description,
        Channel.WEB,
        address="ul. Limanowskiego 120",
        reply_wanted=True,
        name="Ewa Lis",
        email=email,
        language=language,
    )
    number, _ = await store.file_report(engine, draft, datetime.now(UTC))
    return number


async def at_the_coordinator(engine: AsyncEngine, people: People, number: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            t.reports.update()
            .where(t.reports.c.id == number)
            .values(
                status="coordinator",
                department_id=people.departments["ZDIT"],
                coordinator_group_id=people.groups["ZDIT-K-DROGI"],
                handed_at=datetime.now(UTC),
            )
        )


def test_closing_as_out_of_scope_tells_the_reporter_where_it_went(rig: Rig):  # noqa: F811
    number = rig.db(lambda e: a_report(e, "ewa.lis@example.com", "Nie świeci latarnia"))
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        close = desk.locator("form:has(input[name=action][value=close_by_operator])")
        close.get_by_label("Poza zakresem komórek i jednostek miasta").check()
        close.locator("textarea[name=reason]").fill("Przekazano do PGE Dystrybucja S.A.")
        close.locator("input[name=rpw_id]").fill("RPW/4711/2026")
        close.locator("button[type=submit]").click()
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        mail = rig.smtp.inbox.wait_for("ewa.lis@example.com")[0]
        assert subject_of(mail) == f"Zgłoszenie nr {number} przekazano do właściwego podmiotu"
        text = body_text(mail)
        assert "Przekazano do PGE Dystrybucja S.A." in text and "RPW/4711/2026" in text
        # § 17 ust. 2 pkt 8: the page shows that, and when, the reporter was told.
        expect(desk.locator("h2", has_text="Odpowiedzi dla zgłaszającego")).to_be_visible()
        today = datetime.now(ZoneInfo("Europe/Warsaw")).strftime("%-d.%m.%Y")
        expect(desk.locator("main")).to_contain_text(f"{today} — e-mail")
        assert_accessible(desk, SHOTS, "15-closed-out-of-scope")


def test_a_report_filed_in_ukrainian_is_answered_in_ukrainian(rig: Rig):  # noqa: F811
    """The operator works in Polish; the reporter who wrote from the Ukrainian page reads where
    the report went in Ukrainian (the language is kept with the report)."""
    number = rig.db(
        lambda e: a_report(e, "olena.uk@example.com", "Не світить ліхтар", language="uk")
    )
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        close = desk.locator("form:has(input[name=action][value=close_by_operator])")
        close.get_by_label("Poza zakresem komórek i jednostek miasta").check()
        close.locator("textarea[name=reason]").fill("Przekazano do PGE Dystrybucja S.A.")
        close.locator("input[name=rpw_id]").fill("RPW/4712/2026")
        close.locator("button[type=submit]").click()
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
    mail = rig.smtp.inbox.wait_for("olena.uk@example.com")[0]
    assert subject_of(mail) == f"Повідомлення № {number} передано до компетентного органу"
    text = body_text(mail)
    assert f"Повідомлення № {number} не стосується завдань підрозділів і установ міста" in text
    assert "Куди і чому: Przekazano do PGE Dystrybucja S.A." in text
    assert "Номер листа (RPW): RPW/4712/2026" in text
    assert "Цей лист надіслано автоматично; не відповідайте на нього." in text
    assert "Zgłoszenie" not in text


def test_a_coordinator_records_that_a_part_belongs_elsewhere(rig: Rig):  # noqa: F811
    number = rig.db(lambda e: a_report(e, "jan.wrona@example.com", "Latarnia i dziura"))
    rig.db(lambda e: at_the_coordinator(e, rig.people, number))
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "coord_roads")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        form = desk.locator("form[action$='/part-elsewhere']")
        form.get_by_label("Która część i dla jakiej komórki lub jednostki").fill(
            "Latarnia: oświetlenie uliczne, Wydział Gospodarki Komunalnej"
        )
        form.get_by_label("Pocztą elektroniczną (wiadomość do operatorów wyślemy teraz)").check()
        form.locator("button[type=submit]").click()
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        history = desk.locator("table tbody")
        expect(history).to_contain_text("Część należy do innego adresata")
        expect(history).to_contain_text(
            "Operatora poinformowano pocztą elektroniczną: Latarnia: oświetlenie uliczne"
        )
        assert_accessible(desk, SHOTS, "16-part-elsewhere")
    mail = rig.smtp.inbox.wait_for(rig.people.emails["operator"])[0]
    assert subject_of(mail) == f"Część zgłoszenia nr {number} do powielenia"
    assert "Wydział Gospodarki Komunalnej" in body_text(mail)
