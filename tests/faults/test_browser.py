"""The fault pages in Chromium with axe (WCAG 2.1 AA): a resident reports on a phone-sized
screen with the keyboard-usable form, then the operator's list, the report page and the
statistics. Screenshots go to /tmp/okienko-shots/faults/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import PASSWORD
from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.support.browser import assert_accessible, chromium
from web.faults import store
from web.faults import tables as t
from web.faults.domain import Channel

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
