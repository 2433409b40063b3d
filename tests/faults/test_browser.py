"""The fault pages in Chromium with axe (WCAG 2.1 AA): a resident reports on a phone-sized
screen with the keyboard-usable form, then the operator's list, the report page and the
statistics. Screenshots go to /tmp/okienko-shots/faults/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import PASSWORD, People
from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.support.browser import assert_accessible, chromium
from web.db.models import Device, Location
from web.faults import devices, mailbox, store
from web.faults import tables as t
from web.faults.domain import Channel
from web.faults.settings import DEFAULT

SHOTS = Path("/tmp/okienko-shots/faults")


async def more_than_a_page(engine: AsyncEngine) -> None:
    """55 phone reports, some a month old (overdue), for the list's second page."""
    async with engine.connect() as conn:
        sub = int(await conn.scalar(select(t.subcategories.c.id).limit(1)) or 0)
    now = datetime.now(UTC)
    for i in range(55):
        when = now - timedelta(days=40 if i % 3 == 0 else 0)
        draft = store.Draft(
            sub, "Dziura", Channel.PHONE, address=f"ul. Długa {i}", received_at=when
        )
        await store.file_report(engine, draft, when)


def test_the_report_form_and_the_staff_pages_are_accessible(rig: Rig, tmp_path: Path):  # noqa: F811
    photo = tmp_path / "dziura.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    rig.db(more_than_a_page)  # before Playwright's own event loop runs
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        assert_accessible(phone, SHOTS, "1-form-start")
        phone.select_option("#sub", label="Dziura w jezdni")
        phone.click("form[method=get] button")
        phone.fill("#address", "ul. Piotrkowska 104")
        phone.fill("#description", "Głęboka dziura przy przejściu dla pieszych")
        phone.fill("#attr_depth_cm", "15")
        phone.set_input_files("#photos", str(photo))
        assert_accessible(phone, SHOTS, "2-form-details")
        phone.click("button.primary")
        expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
        assert_accessible(phone, SHOTS, "3-status")
        number = re.search(r"nr (\d+)", phone.locator("h1").inner_text()).group(1)  # type: ignore[union-attr]

        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["operator"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        expect(desk).to_have_url(f"{rig.web.url}/usterki/")
        expect(desk.locator(".staff-nav")).to_contain_text("Zarejestruj zgłoszenie")
        assert_accessible(desk, SHOTS, "4-list")
        desk.goto(f"{rig.web.url}/usterki/?status=all")
        desk.click("a[rel=next]")
        expect(desk.locator(".pager")).to_contain_text("Strona 2 z 2")
        assert_accessible(desk, SHOTS, "4-list-page-2")
        desk.goto(f"{rig.web.url}/usterki/?status=all")
        desk.click(f'a[href="/usterki/r/{number}"]')
        assert_accessible(desk, SHOTS, "5-report")
        desk.goto(f"{rig.web.url}/usterki/new")
        assert_accessible(desk, SHOTS, "6-register")
        desk.goto(f"{rig.web.url}/usterki/stats")
        assert_accessible(desk, SHOTS, "7-stats")
        desk.goto(f"{rig.web.url}/usterka?lang=en")
        expect(desk.locator("h1")).to_have_text("Report a fault")


def test_a_deleted_reports_number_is_not_given_to_the_next_report(rig: Rig):  # noqa: F811
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()

        def report(description: str) -> int:
            phone.goto(f"{rig.web.url}/usterka")
            phone.select_option("#sub", label="Dziura w jezdni")
            phone.click("form[method=get] button")
            phone.fill("#address", "ul. Zgierska 12")
            phone.fill("#description", description)
            phone.click("button.primary")
            expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
            found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
            assert found
            return int(found.group(1))

        deleted = report("Dziura przy krawężniku")
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["super"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        desk.goto(f"{rig.web.url}/usterki/r/{deleted}")
        desk.click("button:has-text('Usuń zgłoszenie')")
        expect(desk.locator("p.success")).to_have_text("Zgłoszenie zostało usunięte.")
        assert_accessible(desk, SHOTS, "8-deleted")
        # The next report gets a new number: the deleted one's stays unused.
        again = report("Dziura na przejściu")
        assert again == deleted + 1
        expect(phone.locator("h1")).to_contain_text(f"nr {again}")
        gone = desk.goto(f"{rig.web.url}/usterki/r/{deleted}")
        assert gone is not None and gone.status == 404


def test_the_subject_shows_on_the_list_the_report_and_the_residents_page(rig: Rig):  # noqa: F811
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["operator"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        # § 8 ust. 1 pkt 1: the operator registers a call and gives it a subject.
        desk.goto(f"{rig.web.url}/usterki/new")
        desk.select_option("#sub", label="Dziura w jezdni")
        desk.fill("#title", "Zapadnięta studzienka na skrzyżowaniu")
        desk.fill("#description", "Studzienka zapadła się o kilka centymetrów.")
        desk.fill("#address", "ul. Narutowicza / ul. Kilińskiego")
        desk.click("button.primary")
        expect(desk.locator("h1")).to_contain_text("Zapadnięta studzienka na skrzyżowaniu")
        called = re.search(r"/usterki/r/(\d+)", desk.url)
        assert called
        desk.goto(f"{rig.web.url}/usterki/?number={called.group(1)}&status=all")
        row = desk.locator("tbody tr").first
        expect(row.locator("td").nth(1)).to_contain_text("Zapadnięta studzienka na skrzyżowaniu")
        expect(row.locator("td").nth(1)).to_contain_text("Dziura w jezdni")
        assert_accessible(desk, SHOTS, "9-list-subject")

        # A resident's web report has none; the operator gives it one (§ 9 pkt 3), and the
        # resident's status page shows it.
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        phone.select_option("#sub", label="Dziura w jezdni")
        phone.click("form[method=get] button")
        phone.fill("#address", "ul. Wólczańska 20")
        phone.fill("#description", "Dziura przed bramą")
        phone.click("button.primary")
        expect(phone.locator(".facts")).to_contain_text("Dziura w jezdni")
        found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
        assert found
        desk.goto(f"{rig.web.url}/usterki/r/{found.group(1)}")
        desk.fill("#d-title", "Dziura przed bramą Wólczańska 20")
        desk.click("form[action$='/details'] button")
        expect(desk.locator("h1")).to_contain_text("Dziura przed bramą Wólczańska 20")
        assert_accessible(desk, SHOTS, "10-report-subject")
        phone.reload()
        expect(phone.locator(".facts dd").first).to_have_text("Dziura przed bramą Wólczańska 20")
        assert_accessible(phone, SHOTS, "11-status-subject")


def sign_in(page: Page, rig: Rig, who: str) -> None:  # noqa: F811
    page.goto(f"{rig.web.url}/usterki/")
    page.fill("#email", rig.people.emails[who])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{rig.web.url}/usterki/")


async def a_mailed_report(engine: AsyncEngine) -> int:
    """A mail as the mailbox files it: "Inne / Do sklasyfikowania", no address."""
    raw = (
        b"From: Jan Kowalski <jan.kowalski@example.com>\r\nTo: awaria@uml.example\r\n"
        b"Subject: Dziura na Zgierskiej\r\n\r\nPrzy przystanku na Zgierskiej jest dziura.\r\n"
    )
    return await mailbox.file_message(engine, raw, datetime.now(UTC))


async def at_the_realizer(engine: AsyncEngine, people: People) -> int:
    """A report handed to the road realizers (ZDiT) that is really an investment."""
    async with engine.connect() as conn:
        sub = await conn.scalar(
            select(t.subcategories.c.id).where(t.subcategories.c.code == "dziura")
        )
    now = datetime.now(UTC)
    draft = store.Draft(
        int(sub or 0), "Brak chodnika wzdłuż ul. Rydla", Channel.PHONE, address="ul. Rydla"
    )
    number, _ = await store.file_report(engine, draft, now)
    async with engine.begin() as conn:
        await conn.execute(
            t.reports.update()
            .where(t.reports.c.id == number)
            .values(
                status="realizer",
                department_id=people.departments["ZDIT"],
                coordinator_group_id=people.groups["ZDIT-K-DROGI"],
                realizer_group_id=people.groups["ZDIT-R-DROGI"],
            )
        )
    return number


def test_the_operator_completes_and_reclassifies_a_mailed_report(rig: Rig, tmp_path: Path):  # noqa: F811
    # § 9 pkt 2-4: the operator classifies the mail, moves its data into their fields (the
    # address and the map point) and adds the files that came with it.
    number = rig.db(a_mailed_report)
    investment = rig.db(lambda engine: at_the_realizer(engine, rig.people))
    letter = tmp_path / "pismo.pdf"
    letter.write_bytes(b"%PDF-1.4\n% pismo przewodnie\n")
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        facts = desk.locator(".facts")
        expect(facts).to_contain_text("Inne / Do sklasyfikowania")
        desk.select_option("#d-sub", label="Drogi / Dziura w jezdni")
        desk.fill("#d-address", "ul. Zgierska 71, przystanek Bałucki Rynek")
        desk.fill("#lat", "51.7901")
        desk.fill("#lon", "19.4510")
        desk.set_input_files("#d-files", str(letter))
        desk.click("form[action$='/details'] button[type=submit]")
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        expect(facts).to_contain_text("Drogi / Dziura w jezdni")
        expect(facts).to_contain_text(
            "ul. Zgierska 71, przystanek Bałucki Rynek (51.79010, 19.45100)"
        )
        expect(desk.locator("a", has_text="pismo.pdf")).to_be_visible()
        history = desk.locator("table tbody")
        expect(history).to_contain_text("Dodano pliki")
        expect(history).to_contain_text("pismo.pdf")
        # The forward form now offers the subcategory's coordinator group.
        expect(desk.locator("#forward-group option:checked")).to_have_text(
            "ZDiT – koordynatorzy dróg"
        )
        assert_accessible(desk, SHOTS, "12-report-completed")
        file_link = desk.locator("a", has_text="pismo.pdf").get_attribute("href")
        got = desk.request.get(f"{rig.web.url}{file_link}")
        assert got.body() == letter.read_bytes()

        # § 21 ust. 2 pkt 1: the realizer moves an investment to the investment tasks.
        real = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(real, rig, "real_roads")
        real.goto(f"{rig.web.url}/usterki/r/{investment}")
        expect(real.locator("#d-address")).to_have_count(0)  # the place is the operator's
        real.select_option("#d-sub", label="Zadania inwestycyjne / Zadanie inwestycyjne")
        real.click("form[action$='/details'] button[type=submit]")
        expect(real.locator("p.success")).to_have_text("Zapisano.")
        expect(real.locator(".facts")).to_contain_text(
            "Zadania inwestycyjne / Zadanie inwestycyjne"
        )
        assert_accessible(real, SHOTS, "13-report-investment")


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_the_history_says_what_changed_dates_read_one_way_and_withdrawn_consent_shows(
    rig: Rig,  # noqa: F811
):
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        phone.select_option("#sub", label="Zniszczona ławka")
        phone.click("form[method=get] button")
        phone.fill("#address", "Park Poniatowskiego, przy fontannie")
        phone.fill("#description", "Połamana ławka")
        phone.check("input[name=reply][value=yes]")
        phone.fill("#name", "Alicja Kos")
        phone.fill("#email", "alicja.kos@example.com")
        phone.check("input[name=consent]")
        phone.click("button.primary")
        expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
        found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
        assert found
        number = found.group(1)
        expect(phone.locator("main")).to_contain_text(re.compile(r"\d{1,2}\.\d{2}\.\d{4}, \d"))
        phone.click("button:has-text('Cofnij zgodę')")
        expect(phone.locator(".success")).to_contain_text("Twoje dane kontaktowe zostały usunięte")

        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        facts = desk.locator(".facts")
        expect(facts).to_contain_text(
            "tak, ale dane kontaktowe usunięto (cofnięta zgoda lub upływ okresu przechowywania)"
        )
        expect(facts).not_to_contain_text("tak:")
        desk.fill("#d-rpw", "RPW/15/2026")
        desk.fill("#d-precinct", "S-7")
        desk.click("form[action$='/details'] button[type=submit]")
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        planned = (datetime.now(UTC) + timedelta(days=20)).date()
        desk.fill("#delay_reason", "Czekamy na dostawę desek")
        desk.fill("#planned_on", planned.isoformat())
        desk.click("form[action$='/delay'] button[type=submit]")
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        history = desk.locator("table tbody")
        expect(history).to_contain_text("Identyfikator RPW: RPW/15/2026; Obręb geodezyjny: S-7")
        expect(history).not_to_contain_text("rpw_id")
        expect(history).to_contain_text(
            f"Czekamy na dostawę desek → {planned.day}.{planned.month:02d}.{planned.year}"
        )
        main = desk.locator("main").inner_text()
        assert not ISO_DATE.search(main), ISO_DATE.findall(main)
        assert "Wpłynęło" in main
        assert_accessible(desk, SHOTS, "17-history-readable")


async def a_dispenser_out_of_paper(engine: AsyncEngine, now: datetime) -> int:
    """The Toruń site as its site file imports it, and its dispenser reporting no paper."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(Location.__table__).values(  # type: ignore[arg-type]
                id="torun-um",
                name="Urząd Miasta Torunia – Wydział Spraw Administracyjnych",
                address="ul. Batorego 38/40, 87-100 Toruń",
            )
        )
        await conn.execute(
            insert(Device.__table__).values(  # type: ignore[arg-type]
                location_id="torun-um",
                device_id="dispenser-1",
                role="dispenser",
                online=True,
                printer="paper_out",
                changed_at=now - timedelta(minutes=1),
            )
        )
    assert await devices.watch(engine, now) == (1, 0)
    async with engine.connect() as conn:
        key = "torun-um/dispenser-1/paper"
        return int(await conn.scalar(select(t.reports.c.id).where(t.reports.c.device_key == key)))


def test_a_dispenser_without_paper_has_hours_to_be_fixed_at_its_named_site(rig: Rig):  # noqa: F811
    now = datetime.now(UTC)
    number = rig.db(lambda engine: a_dispenser_out_of_paper(engine, now))
    due = DEFAULT.calendar.add(now, timedelta(hours=4)).astimezone(ZoneInfo("Europe/Warsaw"))
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        facts = desk.locator(".facts")
        expect(facts).to_contain_text(
            "Urząd Miasta Torunia – Wydział Spraw Administracyjnych, ul. Batorego 38/40, "
            "87-100 Toruń"
        )
        expect(facts).not_to_contain_text("torun-um")
        # Four working hours (the settings' [sla.hours]), not the residents' ten working days.
        expect(desk.locator(".counts")).to_contain_text(
            f"Termin realizacji: {due.day}.{due.month:02d}.{due.year}, {due:%H:%M}"
        )
        assert_accessible(desk, SHOTS, "18-device-report")
