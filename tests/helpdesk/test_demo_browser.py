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
        page.click("text=Dalej")  # the unit's one address
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
