"""The booking pages in Debian's Chromium: a visitor books by keyboard (Tab, Enter, Space),
reads the code from the mail that reached the SMTP server, confirms, sees the access code,
opens the manage link and cancels; and the pages that stop a booking (a wrong code, too many
of them, a hold that ran out, an expired form, too many requests, an error). axe (WCAG 2.1
AA) checks every page on the way, wide and at a phone's 390 px; each is photographed at both
widths (copies in /tmp/okienko-shots/public/)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import Smtp, WebProcess, body_text, six_digit_code
from tests.web.test_public_booking import prepare_catalog, write_site
from web.reservations.booking import TZ

COPIES = Path("/tmp/okienko-shots/public")
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
ENDED = "Rezerwacja nie została dokończona"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebProcess, Smtp]]:
    tmp = tmp_path_factory.mktemp("public-browser")
    smtp = Smtp.start()
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=write_site(tmp))
    prepare_catalog(proc, no_hold="dowody")  # its holds run out at once
    yield proc, smtp
    proc.stop()
    smtp.stop()


class Pages:
    """Checks each page with axe and photographs it wide and at phone width."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page, self.shots = page, shots

    def check(self, name: str) -> None:
        assert_accessible(self.page, self.shots, name)
        self.page.set_viewport_size(MOBILE)  # reflowed for a phone: checked again
        assert_accessible(self.page, self.shots, f"{name}-390")
        self.page.set_viewport_size(DESKTOP)


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focus is on ``selector`` (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement?.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def test_a_visitor_books_by_keyboard_confirms_with_the_mailed_code_and_cancels(
    web: tuple[WebProcess, Smtp], tmp_path: Path
):
    proc, smtp = web
    contact = "browser.visitor@example.org"
    shots = tmp_path / "shots"
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        pages = Pages(page, shots)
        page.goto(f"{proc.url}/")
        expect(page.get_by_text("Krok 1 z 5")).to_be_visible()
        pages.check("1-matter")

        # Steps 1-4 by keyboard only.
        tab_to(page, "#q")
        page.keyboard.type("meldun")
        page.keyboard.press("Enter")
        page.wait_for_url("**/?q=meldun")
        pages.check("1-search")
        tab_to(page, 'a[href^="/book/place?service=meldunki"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**/book/place?**")
        expect(page.get_by_role("heading", name="Wybierz miejsce")).to_be_visible()
        pages.check("2-place")
        tab_to(page, 'a[href*="location=filia"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**/book/day?**")
        pages.check("3-day")
        tab_to(page, 'a[href^="/book/hour"]')
        page.keyboard.press("Enter")
        page.wait_for_url("**/book/hour?**")
        pages.check("3-hour")
        tab_to(page, 'button[name="time"]')
        page.keyboard.press("Space")
        page.wait_for_url("**/book/details?**")
        expect(page.get_by_text("Krok 4 z 5")).to_be_visible()
        pages.check("4-details")

        tab_to(page, "button.primary")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Wystąpił problem")).to_be_visible()
        expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
        pages.check("4-details-errors")
        tab_to(page, "#name")
        page.keyboard.type("Zofia Klawiaturowa")
        tab_to(page, "#contact")
        page.keyboard.type(contact)
        tab_to(page, "#terms")
        page.keyboard.press("Space")
        tab_to(page, "#privacy")
        page.keyboard.press("Space")
        tab_to(page, "button.primary")
        page.keyboard.press("Enter")
        page.wait_for_url("**/book/code/**")
        expect(page.get_by_text("Krok 5 z 5")).to_be_visible()
        pages.check("5-code")

        code = six_digit_code(smtp.inbox.wait_for(contact)[-1])
        page.get_by_label("Kod potwierdzenia").fill(code)
        page.get_by_role("button", name="Potwierdź wizytę").click()
        page.wait_for_url("**/book/done/**")
        shown = page.locator(".access-code").inner_text()
        assert re.fullmatch(r"[2-9A-Z]{4} [2-9A-Z]{4}", shown)  # grouped for reading aloud
        access = shown.replace(" ", "")
        qr = page.get_by_role("img", name=f"Kod QR z kodem dostępu {' '.join(access)}", exact=False)
        expect(qr).to_be_visible()  # for reception's scanner
        assert qr.bounding_box()["width"] >= 150  # type: ignore[index]
        assert shown in body_text(smtp.inbox.wait_for(contact, 2)[-1])
        expect(page.get_by_text("Filia Urzędu").first).to_be_visible()
        pages.check("5-done")

        page.get_by_role("link", name="Zobacz lub odwołaj wizytę").click()
        page.wait_for_url(re.compile(r".*/visit/[\w-]+$"))
        expect(page.locator(".access-code")).to_have_text(shown)
        pages.check("visit")
        page.get_by_role("link", name="Odwołaj wizytę").click()
        expect(page.get_by_role("heading", name="Odwołać wizytę?")).to_be_visible()
        pages.check("cancel")
        page.get_by_role("button", name="Tak, odwołaj wizytę").click()
        page.wait_for_url("**/cancelled")
        expect(page.get_by_role("heading", name="Wizyta odwołana")).to_be_visible()
        pages.check("cancelled")

        for path, name, heading in (
            ("/terms", "terms", "Regulamin rezerwacji wizyt"),
            ("/privacy", "privacy", "Klauzula informacyjna (RODO)"),
            ("/visit/no-such-visit", "404", "Nie znaleziono strony"),
            ("/?lang=en", "1-matter-en", "Book a visit at the city office"),
        ):
            page.goto(f"{proc.url}{path}")
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            pages.check(name)
    keep(shots)


def keep(shots: Path) -> None:
    COPIES.mkdir(parents=True, exist_ok=True)
    for shot in shots.glob("*.png"):
        shutil.copy(shot, COPIES / shot.name)


def hold_by_form(page: Page, url: str, service: str, location: str, days: int) -> None:
    """The hour step of ``service`` in ``days`` days, its first free hour, the details: the
    code page."""
    day = (datetime.now(TZ) + timedelta(days=days)).date().isoformat()
    page.goto(f"{url}/book/hour?service={service}&location={location}&day={day}")
    page.locator('button[name="time"]').first.click()
    page.wait_for_url("**/book/details?**")
    page.locator("#name").fill("Ola Błędna")
    page.locator("#contact").fill(f"{service}.ended@example.org")
    page.locator("#terms").check()
    page.locator("#privacy").check()
    page.locator("button.primary").click()


def test_pages_that_stop_a_booking_are_accessible_on_a_phone_too(
    web: tuple[WebProcess, Smtp], tmp_path: Path
):
    proc, _smtp = web
    shots = tmp_path / "shots"
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        pages = Pages(page, shots)

        hold_by_form(page, proc.url, "meldunki", "filia", days=3)
        page.wait_for_url("**/book/code/**")
        for left in (4, 3, 2, 1):
            page.get_by_label("Kod potwierdzenia").fill("000000")
            page.get_by_role("button", name="Potwierdź wizytę").click()
            expect(page.get_by_text(f"Pozostałe próby: {left}.").first).to_be_visible()
        expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
        pages.check("5-code-wrong")
        page.get_by_label("Kod potwierdzenia").fill("000000")
        page.get_by_role("button", name="Potwierdź wizytę").click()
        expect(
            page.get_by_role("heading", name="Rezerwacja nie została dokończona")
        ).to_be_visible()
        expect(page.get_by_text("zbyt wiele razy")).to_be_visible()
        pages.check("5-ended-attempts")

        hold_by_form(page, proc.url, "dowody", "test-site", days=3)
        page.wait_for_url("**/book/code/**")  # a hold of 0 minutes: already over
        expect(
            page.get_by_role("heading", name="Rezerwacja nie została dokończona")
        ).to_be_visible()
        expect(page.get_by_text("Czas na wpisanie kodu minął")).to_be_visible()
        pages.check("5-ended-expired")

        hold_by_form(page, proc.url, "meldunki", "filia", days=4)
        page.wait_for_url("**/book/code/**")
        page.locator('input[name="csrf_token"]').evaluate("e => e.value = 'forged'")
        page.get_by_label("Kod potwierdzenia").fill("123456")
        page.get_by_role("button", name="Potwierdź wizytę").click()
        expect(page.get_by_role("heading", name="Formularz wygasł")).to_be_visible()
        pages.check("403-csrf")

        page.goto(f"{proc.url}/staff/logout")  # a GET where only a POST is taken
        expect(page.get_by_role("heading", name="Coś poszło nie tak")).to_be_visible()
        pages.check("error")

        # Last: this browser's address uses up its visit-page budget.
        with httpx.Client(base_url=proc.url) as client:
            answers = [client.get("/visit/no-such-visit").status_code for _ in range(130)]
            assert answers[-1] == 429
        page.goto(f"{proc.url}/visit/no-such-visit")
        expect(page.get_by_role("heading", name="Zbyt wiele zapytań")).to_be_visible()
        pages.check("429")
    keep(shots)
