"""Data-subject requests on the administration pages over real HTTP against `okienko web`:
the search by a number typed any way, the export as JSON (read back) and as a page, the erase
only after the contact is typed again, CSRF refused, clerks kept out; and the access log shows
who opened a reservation in the register or at reception, and who exported and erased.
A Chromium walk by keyboard with axe at a desk's and a phone's width; screenshots in
/tmp/okienko-shots/privacy/."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.browser import assert_accessible, chromium
from tests.support.sitefile import write_site_file
from tests.support.webproc import WebProcess, csrf_of, free_port
from tests.web import privacy_data as data

PASSWORD = "Haslo-testowe-1"
SHOTS_COPY = Path("/tmp/okienko-shots/privacy")


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebProcess]:
    proc = WebProcess.start(
        tmp_path,
        smtp_port=free_port(),
        site=write_site_file(tmp_path),
        extra=["--access-log-days", "30"],
    )
    proc.add_staff("admin@um.example", "administrator", PASSWORD, name="Anna Nowak")
    proc.add_staff("ewa@um.example", "clerk", PASSWORD, name="Ewa Clerk", location="test-site")
    proc.add_staff("recepcja@um.example", "reception", PASSWORD, location="test-site")
    proc.db(data.seed)
    yield proc
    proc.stop()


def client(web: WebProcess, email: str) -> httpx.Client:
    c = httpx.Client(base_url=web.url)
    token = csrf_of(c.get("/signin").text)
    r = c.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return c


def post(c: httpx.Client, path: str, **form: str) -> httpx.Response:
    token = csrf_of(c.get("/admin/privacy").text)
    return c.post(path, data={**form, "csrf_token": token})


def log_rows(c: httpx.Client) -> list[str]:
    html = c.get("/admin/access-log").text
    return [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]


def test_search_export_erase_and_the_access_log_over_http(web: WebProcess):
    clerk = client(web, "ewa@um.example")
    assert clerk.get("/staff/register/res-jan-1").status_code == 200
    desk = client(web, "recepcja@um.example")
    assert "found-title" in desk.get("/staff/reception", params={"code": "JANK2345"}).text
    assert clerk.get("/admin/privacy").status_code == 403
    assert clerk.get("/admin/access-log").status_code == 403

    admin = client(web, "admin@um.example")
    assert "przechowywane 30 dni" in admin.get("/admin/access-log").text  # the flag's period
    rows = log_rows(admin)
    assert any("ewa@um.example" in r and "reservation res-jan-1" in r for r in rows)
    assert any("recepcja@um.example" in r and "po kodzie" in r for r in rows)

    # No CSRF token: refused, nothing erased.
    refused = admin.post(
        "/admin/privacy/erase", data={"contact": data.EMAIL, "confirm": data.EMAIL}
    )
    assert refused.status_code == 403

    found = post(admin, "/admin/privacy", contact="600 100 200")
    assert found.status_code == 200
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', found.text))
    assert (
        counts["Rezerwacje (z historią)"] == "2"
        and counts["Zgłoszenia usterek (zgłaszający lub treść)"] == "1"
    )

    document = post(admin, "/admin/privacy/export.json", contact="+48 600 100 200")
    assert "attachment" in document.headers["content-disposition"]
    doc = json.loads(document.content)
    assert [r["access_code"] for r in doc["reservations"]] == ["JANK2345", "JANK2346"]
    assert doc["fault_reports"][0]["kept_until"]
    readable = post(admin, "/admin/privacy/export", contact="0048600100200")
    assert readable.status_code == 200 and data.NAME in readable.text
    assert "§ 27" in readable.text and "no-store" in readable.headers["cache-control"]

    wrong = post(admin, "/admin/privacy/erase", contact=data.PHONE, confirm="600 100 201")
    assert wrong.status_code == 400 and "Wpisz ten sam" in wrong.text
    assert post(admin, "/admin/privacy/export.json", contact=data.PHONE).json()["reservations"]

    erased = post(admin, "/admin/privacy/erase", contact=data.PHONE, confirm="+48 600-100-200")
    assert erased.status_code == 200 and "Usunięto" in erased.text
    after = post(admin, "/admin/privacy/export.json", contact="600100200").text
    assert data.NAME not in after and "600 100 200" not in after and "JANK2345" not in after
    assert data.NAME not in clerk.get("/staff/register/res-jan-1").text  # the visit stays
    assert clerk.get("/staff/register/res-jan-1").status_code == 200

    rows = log_rows(admin)
    done = [r for r in rows if "admin@um.example" in r]
    for what in ("wyszukano", "wyeksportowano", "usunięto"):
        assert any(what in r for r in done), what
    assert not any("600100200" in r or "600 100 200" in r for r in rows)


def test_the_pages_by_keyboard_pass_axe(web: WebProcess, tmp_path: Path):
    shots = tmp_path / "shots"
    with chromium() as browser:
        for width in (1366, 390):
            page = browser.new_page(viewport={"width": width, "height": 900}, locale="pl-PL")
            page.goto(f"{web.url}/staff/login?next=/admin/privacy")
            page.fill("#email", "admin@um.example")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{web.url}/admin/privacy")
            assert_accessible(page, shots, f"search-{width}")
            page.focus("#f-contact")
            page.keyboard.type("jan.kowalski@example.pl")
            page.keyboard.press("Enter")
            page.wait_for_selector("#f-confirm")
            assert_accessible(page, shots, f"found-{width}")
            with page.expect_navigation():
                page.click("text=Pokaż jako stronę")
            assert data.NAME in page.inner_text("main")
            assert_accessible(page, shots, f"export-{width}")
            page.goto(f"{web.url}/admin/access-log")
            assert "wyeksportowano" in page.inner_text("main")
            assert_accessible(page, shots, f"log-{width}")
            page.close()
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="pl-PL")
        page.goto(f"{web.url}/staff/login?next=/admin/privacy")
        page.fill("#email", "admin@um.example")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{web.url}/admin/privacy")
        page.fill("#f-contact", "jan.kowalski@example.pl")
        page.keyboard.press("Enter")
        page.wait_for_selector("#f-confirm")
        page.focus("#f-confirm")
        page.keyboard.type("JAN.KOWALSKI@example.pl")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Usunięto")
        assert "Nic nie jest przechowywane" in page.inner_text("main")
        assert_accessible(page, shots, "erased")
    if SHOTS_COPY.parent.exists() or True:
        shutil.rmtree(SHOTS_COPY, ignore_errors=True)
        shutil.copytree(shots, SHOTS_COPY)
