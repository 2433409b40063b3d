"""The staff pages in Debian's Chromium: sign in, search the register, act on a reservation,
book for a caller, the plan, the docket (also as printed), reception and the password pages.
Every page passes axe (WCAG 2.1 AA); screenshots are kept (also in /tmp/okienko-shots/staff/)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import EMOJI, assert_accessible, chromium, icon_pixels
from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.reservations.booking import TZ

SHOTS_COPY = Path("/tmp/okienko-shots/staff")
PASSWORD = "Haslo-testowe-1"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("staff-browser")
    site = tmp / "site.toml"
    site.write_text(site_toml(database=tmp / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    smtp = Smtp.start()
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    proc.add_staff(
        "admin@um.example", "administrator", PASSWORD, name="Anna Admin", service_point="s1"
    )
    yield proc
    proc.stop()
    smtp.stop()


def tomorrow_at(hh: int, mm: int = 0) -> datetime:
    return datetime.combine(datetime.now(TZ).date() + timedelta(days=1), time(hh, mm), TZ)


def _book(web: WebProcess, people: list[tuple[str, str, datetime]]) -> list[str]:
    """Visits booked for callers over HTTP (fast), so the browser has rows to show."""
    ids = []
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/signin").text)
        client.post(
            "/signin",
            data={"email": "admin@um.example", "password": PASSWORD, "csrf_token": token},
        )
        for name, contact, start in people:
            r = client.post(
                "/staff/book",
                data={
                    "csrf_token": token,
                    "service": "dowody",
                    "location": "test-site",
                    "start": start.isoformat(),
                    "name": name,
                    "contact": contact,
                },
            )
            assert r.status_code == 303, r.text
            ids.append(r.headers["location"].split("/")[-1].split("?")[0])
    return ids


def _sign_in(page: Page, url: str, shots: Path) -> None:
    page.goto(f"{url}/staff/login?next=/staff/register")
    assert_accessible(page, shots, "01-login")
    page.fill("#email", "admin@um.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/staff/register")


def test_staff_pages_work_and_are_accessible(web: WebProcess, tmp_path: Path):
    _book(
        web,
        [
            ("Jan Kowalski", "600 700 800", tomorrow_at(9)),
            ("Maria Wiśniewska", "maria@example.org", tomorrow_at(9, 30)),
            ("Tomasz Zieliński", "601 702 803", tomorrow_at(11)),
        ],
    )
    shots = tmp_path / "shots"
    day = tomorrow_at(0).date().isoformat()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="pl-PL")
        _sign_in(page, web.url, shots)
        assert page.locator("tbody tr").count() >= 3
        assert_accessible(page, shots, "02-register")

        page.fill("#last_name", "kowal")
        page.click("form.search button[type=submit]")
        assert page.locator("tbody tr").count() == 1
        assert_accessible(page, shots, "03-register-search")

        page.click("tbody a")
        page.wait_for_url(re.compile(r".*/staff/register/[0-9a-f]{32}$"))
        assert_accessible(page, shots, "04-reservation")
        page.fill("#note", "Dzwonił w sprawie dokumentów")
        page.click("text=Zapisz adnotację")
        page.wait_for_url(re.compile(r".*\?done=note$"))
        assert page.locator("table.history").inner_text().count("Dzwonił w sprawie") == 1
        assert_accessible(page, shots, "05-reservation-noted")

        page.click("text=Przenieś na inny termin")
        assert page.locator(".slots button").count() > 0
        assert_accessible(page, shots, "06-reschedule")

        page.goto(f"{web.url}/staff/book?service=dowody&location=test-site&day={day}")
        page.click("main form.form button.primary")  # nothing chosen: errors, input kept
        assert page.locator(".error-summary").count() == 1
        assert_accessible(page, shots, "07-book-errors")

        page.goto(f"{web.url}/staff/plan?day={day}")
        assert page.locator("li.visit").count() >= 1
        assert page.get_by_text("Interesant przybył").count() == 0  # not before the day
        assert_accessible(page, shots, "08-plan")
        web.move_visit("Tomasz Zieliński", datetime.now(TZ) - timedelta(minutes=5))
        page.goto(f"{web.url}/staff/plan")
        page.locator("li.visit").first.locator("text=Interesant przybył").click()
        assert page.locator("li.visit .badge-checked_in").count() == 1
        assert_accessible(page, shots, "09-plan-checked-in")

        page.goto(f"{web.url}/staff/docket?point=s1&day={day}")
        assert page.locator(".docket-table tbody tr").count() >= 1
        assert "Kowalski" not in page.locator(".docket").inner_text()
        assert_accessible(page, shots, "10-docket")
        page.emulate_media(media="print")
        assert not page.locator("nav.staff-nav").is_visible()
        assert not page.locator("button:has-text('Drukuj')").is_visible()
        page.screenshot(path=str(shots / "11-docket-print.png"), full_page=True)
        page.emulate_media(media="screen")

        page.goto(f"{web.url}/staff/register?last_name=Wiśniewska")
        page.click("tbody a")
        code = page.locator("dd.mono").first.inner_text()
        page.goto(f"{web.url}/staff/reception")
        assert page.evaluate("document.activeElement.id") == "code"  # ready for the scanner
        page.fill("#code", f"{code[:4].lower()}-{code[4:].lower()}")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/staff/reception\?code=.*"))
        assert "Dowody osobiste" in page.locator("section.found").inner_text()
        assert_accessible(page, shots, "12-reception")
        page.fill("#code", "NIEMA-KODU")
        page.keyboard.press("Enter")
        page.wait_for_selector("#problem")
        assert_accessible(page, shots, "13-reception-unknown")

        other = browser.new_page(viewport={"width": 390, "height": 844}, locale="pl-PL")
        other.goto(f"{web.url}/password/forgot")
        assert_accessible(other, shots, "14-forgot")
        other.fill("#email", "admin@um.example")
        other.click("main button[type=submit]")
        other.wait_for_selector("p.success")
        assert_accessible(other, shots, "15-forgot-sent")
        other.goto(f"{web.url}/password/reset/not-a-token")
        assert_accessible(other, shots, "16-reset-invalid")

    SHOTS_COPY.mkdir(parents=True, exist_ok=True)
    for png in shots.glob("*.png"):
        shutil.copy(png, SHOTS_COPY / png.name)


def test_staff_book_for_a_caller_confirm_move_and_cancel_in_the_register(
    web: WebProcess, tmp_path: Path
):
    """Seed 003's "Rejestr rezerwacji" as a clerk uses it: book a visit for a phone caller,
    confirm a visitor's unconfirmed booking, move it to another hour and cancel it with a
    reason, each seen on the reservation's page and in its history."""
    shots = tmp_path / "shots"
    soon = datetime.now(TZ).date() + timedelta(days=2)
    while soon.weekday() >= 5:  # a working day, with hours to move to
        soon += timedelta(days=1)
    day = soon.isoformat()
    with chromium() as browser:
        # A visitor books on the web and leaves before typing the mailed code: unconfirmed.
        visitor = browser.new_page(viewport={"width": 390, "height": 844}, locale="pl-PL")
        visitor.goto(f"{web.url}/book/hour?service=dowody&location=test-site&day={day}")
        visitor.locator('button[name="time"]').first.click()
        visitor.wait_for_url("**/book/details?**")
        visitor.fill("#name", "Zofia Niepotwierdzona")
        visitor.fill("#contact", "zofia@example.org")
        visitor.check("#terms")
        visitor.check("#privacy")
        visitor.click("button.primary")
        visitor.wait_for_url("**/book/code/**")

        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="pl-PL")
        _sign_in(page, web.url, shots)

        # A caller on the phone: the clerk books for them.
        page.goto(f"{web.url}/staff/book?service=dowody&location=test-site&day={day}")
        page.locator("input[name=start]").nth(1).check()
        page.fill("#name", "Karol Dzwoniący")
        page.fill("#contact", "602 703 804")
        page.click("main form.form button.primary")
        page.wait_for_url(re.compile(r".*/staff/register/[0-9a-f]{32}(\?.*)?$"))
        assert "Karol Dzwoniący" in page.locator("main").inner_text()
        assert_accessible(page, shots, "17-booked-for-caller")

        page.goto(f"{web.url}/staff/register?last_name=Niepotwierdzona")
        assert page.locator("tbody tr").count() == 1
        page.click("tbody a")
        page.wait_for_url(re.compile(r".*/staff/register/[0-9a-f]{32}$"))
        page.click("button:has-text('Potwierdź')")
        page.wait_for_url(re.compile(r".*\?done=confirmed$"))
        assert page.locator("button:has-text('Potwierdź')").count() == 0
        assert_accessible(page, shots, "18-confirmed")

        page.click("text=Przenieś na inny termin")
        slots = page.locator(".slots button")
        moved_to = slots.last.inner_text().strip()
        slots.last.click()
        page.wait_for_url(re.compile(r".*\?done=rescheduled$"))
        assert moved_to in page.locator("main").inner_text()

        page.fill("#reason", "Interesantka zadzwoniła, że nie przyjdzie.")
        page.click("button.danger:has-text('Anuluj rezerwację')")
        page.wait_for_url(re.compile(r".*\?done=cancelled$"))
        history = page.locator("table.history").inner_text()
        assert "Interesantka zadzwoniła, że nie przyjdzie." in history
        assert page.locator("button:has-text('Anuluj rezerwację')").count() == 0
        assert_accessible(page, shots, "19-cancelled")


def test_reception_shows_let_in_do_not_and_not_today_as_distinct_boxes(
    web: WebProcess, tmp_path: Path
):
    """A cancelled, a tomorrow's and a valid visit looked up at reception: each box says in
    words what to do (not by colour alone) and passes axe, on a desk screen and a phone."""
    cancelled, tomorrow, today = _book(
        web,
        [
            ("Celina Odwołana", "603 700 801", tomorrow_at(13)),
            ("Jerzy Jutrzejszy", "603 700 802", tomorrow_at(13, 30)),
            ("Dominik Dzisiejszy", "603 700 803", tomorrow_at(14)),
        ],
    )
    web.move_visit("Dominik Dzisiejszy", datetime.now(TZ) + timedelta(minutes=30))
    shots = tmp_path / "shots"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="pl-PL")
        _sign_in(page, web.url, shots)
        page.goto(f"{web.url}/staff/register/{cancelled}")
        page.fill("#reason", "Interesant zrezygnował")
        page.click("button.danger:has-text('Anuluj rezerwację')")
        page.wait_for_url(re.compile(r".*\?done=cancelled$"))
        codes = {}
        for name, rid in (("stop", cancelled), ("not-today", tomorrow), ("go", today)):
            page.goto(f"{web.url}/staff/register/{rid}")
            codes[name] = page.locator("dd.mono").first.inner_text()
        expected = {
            "stop": ("NIE WPUSZCZAĆ", "Wizyta odwołana"),
            "not-today": ("NIE DZIŚ", "Wizyta jest"),
            "go": ("MOŻNA WPUŚCIĆ", "Potwierdzona wizyta dziś"),
        }
        phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="pl-PL")
        _sign_in(phone, web.url, shots)
        for kind, code in codes.items():
            for p, width in ((page, 1366), (phone, 390)):
                p.goto(f"{web.url}/staff/reception")
                p.fill("#code", code)
                p.keyboard.press("Enter")
                p.wait_for_url(re.compile(r".*/staff/reception\?code=.*"))
                box = p.locator(f"section.found.verdict-{kind}")
                assert box.count() == 1
                title, reason = expected[kind]
                assert p.locator(".verdict-title").inner_text().endswith(title)
                assert reason in p.locator(".verdict-reason").inner_text()
                # The mark is a drawn icon (✓ or ✕ as SVG), not a character a font may lack.
                assert not EMOJI.search(p.locator(".verdict-title").inner_text())
                mark = p.locator(".verdict-mark svg.icon")
                icon_pixels(mark)  # drawn, not blank
                shape = "icon-check" if kind == "go" else "icon-cross"
                expect(mark).to_have_class(re.compile(shape))
                assert_accessible(p, shots, f"20-reception-{kind}-{width}")
        # The boxes differ beyond colour: the border style of "do not" is not that of "go".
        style = page.evaluate(
            "document.querySelector('section.found').computedStyleMap().get('border-top-style').toString()"
        )
        assert style == "solid"  # the last one looked up is the valid visit
    SHOTS_COPY.mkdir(parents=True, exist_ok=True)
    for png in shots.glob("20-*.png"):
        shutil.copy(png, SHOTS_COPY / png.name)
