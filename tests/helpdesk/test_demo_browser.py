"""The helpdesk with the demo's own data (web/helpdesk/demo.py) in Chromium: what a visitor of
the demo does first works, e.g. the unit user files the "Szkolenie BHP" service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import Smtp, WebProcess
from web.helpdesk.demo import populate_helpdesk

SHOTS = Path("/tmp/okienko-shots/helpdesk-demo")


class Demo:
    def __init__(self, web: WebProcess, browser: Browser, people: dict[str, dict[str, Any]]):
        self.web, self.browser, self.people = web, browser, people

    def page(self, who: str) -> Page:
        page = self.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{self.web.url}/helpdesk/login")
        page.fill("#email", self.people[who]["email"])
        page.fill("#password", self.people[who]["password"])
        page.click("button.primary")
        expect(page.locator("h1")).to_have_text(re.compile("Lista zgłoszeń"))
        return page


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("helpdesk-demo")
    smtp = Smtp.start()
    web = WebProcess.start(workdir, smtp_port=smtp.port)
    try:
        people = web.db(populate_helpdesk)
        with chromium() as browser:
            yield Demo(web, browser, people)
    finally:
        web.stop()
        smtp.stop()


def open_form(demo: Demo, page: Page, service: str) -> None:
    page.goto(f"{demo.web.url}/helpdesk/new")
    page.click("text=Dalej")  # the unit user's one unit
    if page.locator("#service").count() == 0:
        # The unit's address: chosen for the user when it has one, else the first (another
        # test of this module gives the demo's school a second one).
        address = page.locator("select#address")
        if address.count() and not address.input_value():
            address.select_option(index=1)
        page.click("text=Dalej")
    page.select_option("#service", label=service)
    page.click("text=Dalej")
    expect(page.locator("#text")).to_be_visible()


def test_the_unit_user_files_the_demos_ohs_training_with_its_number_of_people(demo: Demo):
    ola = demo.page("unit")
    open_form(demo, ola, "Szkolenie BHP")
    ola.fill("#text", "Szkolenie okresowe BHP dla nauczycieli.")
    ola.get_by_label("Liczba osób").fill("12")
    assert_accessible(ola, SHOTS, "1-bhp-form")
    ola.click("button:has-text('Prześlij')")
    expect(ola.locator("p.success")).to_contain_text("Zgłoszenie zostało przesłane")
    expect(ola.locator(".facts")).to_contain_text("Liczba osób")
    expect(ola.locator(".facts")).to_contain_text("12")
    assert_accessible(ola, SHOTS, "2-bhp-filed")


def test_the_administrator_maintains_the_demos_units_services_and_accounts(demo: Demo):
    admin = demo.page("admin")
    admin.goto(f"{demo.web.url}/helpdesk/admin")
    admin.fill("#s-name", "Naprawa mebli")
    admin.click("button:has-text('Utwórz usługę')")
    expect(admin.locator("p.success")).to_be_visible()

    # An existing unit gets the new service and a second address.
    admin.get_by_role("link", name="Edytuj Szkoła Podstawowa nr 5").click()
    admin.get_by_role("checkbox", name="Naprawa mebli").check()
    admin.click("button:has-text('Zapisz usługi')")
    expect(admin.locator("p.success")).to_have_text("Zapisano.")
    expect(admin.get_by_role("checkbox", name="Naprawa mebli")).to_be_checked()
    admin.fill("#a-label", "ul. Polna 2, Toruń (filia)")
    admin.click("button:has-text('Dodaj adres')")
    expect(admin.locator("main ul")).to_contain_text("ul. Polna 2, Toruń (filia)")
    assert_accessible(admin, SHOTS, "3-admin-unit")
    admin.goto(f"{demo.web.url}/helpdesk/admin")
    unit_row = admin.locator("section[aria-labelledby=units-h] tr", has_text="Szkoła Podstawowa")
    expect(unit_row).to_contain_text("ul. Leśna 5, Toruń, ul. Polna 2, Toruń (filia)")
    expect(unit_row).to_contain_text("Naprawa mebli")

    # A service's own fields: one more, the old one keeps its values.
    admin.get_by_role("link", name="Edytuj Szkolenie BHP").click()
    expect(admin.locator("#s-fields")).to_have_value("*Liczba osób #")
    admin.fill("#s-fields", "*Liczba osób #\nSala")
    admin.click("button:has-text('Zapisz')")
    expect(admin.locator("p.success")).to_have_text("Zapisano.")
    assert_accessible(admin, SHOTS, "4-admin-service")

    # A person's name and phone.
    admin.goto(f"{demo.web.url}/helpdesk/admin")
    admin.get_by_role("link", name="Edytuj Marek Serwisant").click()
    admin.fill("#p-name", "Marek Serwisant-Nowak")
    admin.fill("#p-phone", "+48 56 611 80 00")
    admin.click("button:has-text('Zapisz')")
    expect(admin.locator("h1")).to_have_text("Marek Serwisant-Nowak")
    expect(admin.locator("#p-phone")).to_have_value("+48 56 611 80 00")
    assert_accessible(admin, SHOTS, "5-admin-user")

    # The unit user sees the new field and the new address.
    ola = demo.page("unit")
    ola.goto(f"{demo.web.url}/helpdesk/new")
    ola.click("text=Dalej")
    expect(ola.locator("main")).to_contain_text("ul. Polna 2, Toruń (filia)")
    ola.select_option("#address", label="ul. Leśna 5, Toruń")
    ola.click("text=Dalej")
    ola.select_option("#service", label="Szkolenie BHP")
    ola.click("text=Dalej")
    expect(ola.get_by_label("Sala")).to_be_visible()
    expect(ola.get_by_label("Liczba osób")).to_be_visible()

    # Deactivation is confirmed first; Ola is told why she was signed out.
    admin.goto(f"{demo.web.url}/helpdesk/admin")
    admin.get_by_role("link", name="Dezaktywuj Ola Sekretariat").click()
    expect(admin.locator("h1")).to_have_text("Dezaktywować konto: Ola Sekretariat?")
    assert_accessible(admin, SHOTS, "6-admin-deactivate")
    admin.click("button:has-text('Tak, dezaktywuj')")
    expect(admin.locator("tr", has_text="Ola Sekretariat")).to_contain_text("dezaktywowane")
    ola.goto(f"{demo.web.url}/helpdesk/")
    expect(ola.locator("main")).to_contain_text("Twoje konto zostało dezaktywowane")
    expect(ola.locator("main")).not_to_contain_text("bezczynności")
    assert_accessible(ola, SHOTS, "7-deactivated")

    # Reactivated, she signs in with her old password.
    admin.get_by_role("button", name="Przywróć Ola Sekretariat").click()
    expect(admin.locator("tr", has_text="Ola Sekretariat")).not_to_contain_text("dezaktywowane")
    assert_accessible(admin, SHOTS, "8-admin-reactivated")
    demo.page("unit")


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_the_request_list_fits_the_screen_with_every_column(demo: Demo, width: int, height: int):
    ola = demo.page("unit")
    open_form(demo, ola, "Wsparcie IT")
    ola.fill(
        "#text",
        "Skaner zapisuje pliki w \\\\serwer-plikow.sp5.torun.local\\skany\\sekretariat-2026 "
        "zamiast w folderze dyrekcji; prosimy też o sprawdzenie kabla w pokoju nauczycielskim.",
    )
    ola.fill("#due_on", "2027-01-15")
    ola.click("button:has-text('Prześlij')")
    expect(ola.locator("p.success")).to_contain_text("Zgłoszenie zostało przesłane")

    staff = demo.browser.new_context(viewport={"width": width, "height": height}).new_page()
    staff.goto(f"{demo.web.url}/helpdesk/login")
    staff.fill("#email", demo.people["service"]["email"])
    staff.fill("#password", demo.people["service"]["password"])
    staff.click("button.primary")
    expect(staff.locator("table.hd-list")).to_be_visible()
    last = staff.locator("table.hd-list thead th").last
    expect(last).to_have_text("Oznaczenia")
    # Every column inside the page's box, and no sideways scrolling of the page or the table.
    box = staff.locator("main").bounding_box()
    right = last.bounding_box()
    assert box and right and right["x"] + right["width"] <= box["x"] + box["width"], (box, right)
    overflow = staff.evaluate(
        "() => [document.documentElement.scrollWidth - document.documentElement.clientWidth,"
        " (w => w.scrollWidth - w.clientWidth)(document.querySelector('.table-wrap'))]"
    )
    assert overflow == [0, 0], overflow
    assert_accessible(staff, SHOTS, f"9-list-{width}")


def test_the_demos_bhp_hint_gives_the_centres_address_and_the_help_page_has_its_faq(demo: Demo):
    """Issue 16: "napisz do centrum usług" names the configured contact address; the demo's
    "Pomoc zdalna" page has the demo's questions and says no program is configured."""
    page = demo.page("unit")
    page.goto(f"{demo.web.url}/helpdesk/new")
    page.click("text=Dalej")
    if page.locator("#service").count() == 0:
        address = page.locator("select#address")
        if address.count() and not address.input_value():
            address.select_option(index=1)
        page.click("text=Dalej")
    page.select_option("#service", label="Szkolenie BHP")
    hint = page.locator("#service-hint")
    expect(hint).to_contain_text("napisz do centrum usług: pomoc@um.example")
    expect(hint.locator("a")).to_have_attribute("href", "mailto:pomoc@um.example")
    assert_accessible(page, SHOTS, "bhp-hint")

    page.click("nav >> text=Pomoc zdalna")
    expect(page.locator("h1")).to_have_text("Pomoc zdalna")
    expect(page.locator(".hd-faq h3")).to_have_count(3)
    expect(page.locator(".hd-faq")).to_contain_text("Ktoś dzwoni i prosi o dostęp")
    expect(page.locator(".hd-remote-none")).to_be_visible()
    assert_accessible(page, SHOTS, "help-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, SHOTS, "help-390")
