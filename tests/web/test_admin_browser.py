"""Every administration page in Debian's Chromium, with and without form errors, passes axe
(WCAG 2.1 AA); screenshots are kept for a look (also in /tmp/okienko-shots/admin/)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import Smtp, WebProcess

REPO = Path(__file__).resolve().parents[2]
SHOTS_COPY = Path("/tmp/okienko-shots/admin")
PASSWORD = "Haslo-testowe-1"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    smtp = Smtp.start()
    proc = WebProcess.start(
        tmp_path_factory.mktemp("admin-browser"),
        smtp_port=smtp.port,
        site=REPO / "examples" / "torun.toml",
    )
    proc.add_staff("admin@um.example", "administrator", PASSWORD, name="Anna Nowak")
    proc.add_staff("ewa@um.example", "clerk", PASSWORD, name="Ewa Kowalska", location="torun-um")
    yield proc
    proc.stop()
    smtp.stop()


PAGES = [
    ("overview", "/admin/"),
    ("departments", "/admin/departments"),
    ("department-new", "/admin/departments/new"),
    ("department-edit", "/admin/departments/wsa"),
    ("locations", "/admin/locations"),
    ("location-new", "/admin/locations/new"),
    ("location-edit", "/admin/locations/torun-um"),
    ("services", "/admin/services"),
    ("service-new", "/admin/services/new"),
    ("service-edit", "/admin/services/dowody"),
    ("points", "/admin/points"),
    ("point-new", "/admin/points/new"),
    ("point-edit", "/admin/points/s1"),
    ("staff", "/admin/staff"),
    ("staff-new", "/admin/staff/new"),
    ("signins", "/admin/signins"),
    ("account-conflicts", "/admin/accounts/conflicts"),
]


def _sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/staff/login?next=/admin/")
    page.fill("#email", "admin@um.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/admin/")


def test_every_admin_page_is_accessible_with_and_without_errors(web: WebProcess, tmp_path: Path):
    shots = tmp_path / "shots"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="pl-PL")
        _sign_in(page, web.url)
        for name, path in PAGES:
            page.goto(web.url + path)
            assert page.locator("h1").count() == 1, name
            assert_accessible(page, shots, name)

        page.goto(web.url + "/admin/staff")
        page.click("text=Ewa Kowalska")
        assert_accessible(page, shots, "staff-edit")

        # Forms with errors: each message beside its field, and in the summary.
        page.goto(web.url + "/admin/departments/new")
        page.fill("#f-id", "Zły identyfikator")
        page.click("button.primary")
        assert "małych liter" in page.inner_text("#e-id")
        assert_accessible(page, shots, "department-errors")

        page.goto(web.url + "/admin/services/dowody")
        page.fill("#f-duration_min", "1000")
        page.fill("#f-hold_min", "")
        page.click("button.primary")
        assert "od 5 do 480" in page.inner_text("#e-duration_min")
        assert_accessible(page, shots, "service-errors")

        page.goto(web.url + "/admin/points/s1")
        page.fill("#f-hours_mon", "08:00-12:00, 11:00-16:00")
        page.fill("#f-breaks_sat", "12:00-12:30")
        page.fill("#f-cap_dowody", "0")
        page.click("form.wide button.primary")
        assert "nachodzą" in page.inner_text("#e-hours_mon")
        assert page.input_value("#f-hours_mon") == "08:00-12:00, 11:00-16:00"
        assert_accessible(page, shots, "point-errors")

        page.goto(web.url + "/admin/points/s1")
        page.check("input[name=kind][value=hours]")
        page.fill("#x-day", "2020-01-01")
        page.fill("#x-spans", "9-13")
        page.click("text=Dodaj wyjątek >> nth=-1")
        assert "dzisiejszy lub późniejszy" in page.inner_text("#xe-day")
        assert_accessible(page, shots, "exception-errors")

        page.goto(web.url + "/admin/staff/new")
        page.fill("#f-email", "nie-e-mail")
        page.fill("#f-password", "krotkie")
        page.click("button.primary")
        assert "adres e-mail" in page.inner_text("#e-email")
        assert_accessible(page, shots, "staff-errors")

        # At a phone's width the hours table still works (scrolls inside its box).
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(web.url + "/admin/points/s1")
        assert_accessible(page, shots, "point-edit-narrow")
    SHOTS_COPY.mkdir(parents=True, exist_ok=True)
    for png in shots.glob("*.png"):
        shutil.copy(png, SHOTS_COPY / png.name)
