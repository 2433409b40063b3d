"""An administrator gives an EZD system a token for the register on /admin/api-tokens (by
keyboard, in Debian's Chromium, the page passing axe at a desk's and a phone's width), the
token reads its location's day once and never again after it is revoked; a clerk may not open
the page. Screenshots in /tmp/okienko-shots/api-tokens/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.browser import assert_accessible, chromium
from tests.support.sitefile import write_site_file
from tests.support.webproc import WebProcess, free_port
from web.reservations.booking import TZ

PASSWORD = "Haslo-testowe-1"
SHOTS_COPY = Path("/tmp/okienko-shots/api-tokens")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("api-tokens")
    proc = WebProcess.start(tmp, smtp_port=free_port(), site=write_site_file(tmp, "test-site"))
    proc.add_staff("admin@um.example", "administrator", PASSWORD, name="Anna Nowak")
    proc.add_staff("ewa@um.example", "clerk", PASSWORD, name="Ewa Kowalska", location="test-site")
    yield proc
    proc.stop()


def register(web: WebProcess, token: str) -> httpx.Response:
    day = (datetime.now(TZ).date() + timedelta(days=1)).isoformat()
    return httpx.get(
        f"{web.url}/api/v1/register/visits",
        params={"location": "test-site", "day": day},
        headers={"Authorization": f"Bearer {token}"},
    )


def sign_in(page, url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/staff/login?next=/admin/api-tokens")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_an_administrator_issues_and_revokes_a_register_token_by_keyboard(
    web: WebProcess, tmp_path: Path
):
    shots = tmp_path / "shots"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="pl-PL")
        sign_in(page, web.url, "admin@um.example")
        page.wait_for_url(f"{web.url}/admin/api-tokens")
        assert "Nie wydano jeszcze" in page.inner_text("main")
        assert_accessible(page, shots, "empty")

        # No name: refused beside the field, nothing issued.
        page.focus("#f-name")
        page.keyboard.press("Enter")
        page.wait_for_selector("#e-name")
        assert "dla kogo" in page.inner_text("#e-name")
        assert_accessible(page, shots, "errors")

        page.focus("#f-name")
        page.keyboard.type("EZD")
        page.keyboard.press("Tab")  # the location
        page.keyboard.press("ArrowDown")  # from "all locations" to the site
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        token_box = page.wait_for_selector("#new-token")
        token = token_box.input_value()
        assert token.startswith("okr_")
        row = page.inner_text("tbody tr")
        assert "EZD" in row and "Urząd testowy" in row and token not in page.inner_text("tbody")
        assert_accessible(page, shots, "issued")
        page.set_viewport_size({"width": 390, "height": 844})
        assert_accessible(page, shots, "issued-narrow")
        page.set_viewport_size({"width": 1366, "height": 900})

        assert register(web, token).status_code == 200

        # The list never shows the token again, and revoking ends it at once.
        page.goto(f"{web.url}/admin/api-tokens")
        assert token not in page.content()
        page.focus("button[aria-label*='EZD']")
        page.keyboard.press("Enter")
        page.wait_for_selector("p.notice")
        assert "Unieważniono" in page.inner_text("p.notice")
        assert "unieważniony" in page.inner_text("tbody tr")
        assert_accessible(page, shots, "revoked")
        assert register(web, token).status_code == 401

        clerk = browser.new_page(locale="pl-PL")
        sign_in(clerk, web.url, "ewa@um.example")
        answer = clerk.goto(f"{web.url}/admin/api-tokens")
        assert answer is not None and answer.status == 403
    SHOTS_COPY.mkdir(parents=True, exist_ok=True)
    for png in shots.glob("*.png"):
        shutil.copy(png, SHOTS_COPY / png.name)
