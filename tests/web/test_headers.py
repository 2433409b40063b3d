"""The headers of every page (web/headers.py) against a real `okienko web`: no signed-in page
or sign-in page is ever stored by a browser or a proxy, every page carries a CSP that allows
only this host, and in Chromium no page of the public, staff, helpdesk or fault parts makes
the browser contact any other host."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.routing import Route

from tests.faults.conftest import PASSWORD as FAULTS_PASSWORD
from tests.faults.conftest import make_people
from tests.support.browser import chromium
from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.app import create_app
from web.headers import merged, policy

STAFF_PASSWORD = "Haslo-testowe-1"
HELPDESK_ADMIN = ("pomoc.admin@um.example", "Haslo-pomocy-1")
SIGNED_IN_PARTS = ("/staff", "/admin", "/helpdesk", "/usterki")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("headers")
    site = tmp / "site.toml"
    site.write_text(site_toml(database=tmp / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    proc.add_staff("admin@um.example", "administrator", STAFF_PASSWORD)
    add = ["helpdesk-admin-add", "--email", HELPDESK_ADMIN[0], "--name", "Pomoc"]
    where = ["--database-url", proc.database_url, "--password-stdin"]
    subprocess.run(
        [sys.executable, "-m", "okienko.cli", *add, *where],
        input=HELPDESK_ADMIN[1] + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    proc.db(lambda engine: make_people(engine, passwords=True))
    yield proc
    proc.stop()


def signed_in(web: WebProcess, login: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=web.url, timeout=10)
    token = csrf_of(client.get(login).text)
    r = client.post(login, data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def signed_in_pages(tmp_path: Path) -> list[str]:
    """Every GET page of the signed-in parts without a parameter in its path, from the app's
    own routes (a new page is covered without touching this test)."""
    app = create_app(f"sqlite+aiosqlite:///{tmp_path / 'routes.sqlite3'}")
    return [
        r.path
        for r in app.routes
        if isinstance(r, Route)
        and "GET" in (r.methods or ())
        and "{" not in r.path
        and r.path.startswith(SIGNED_IN_PARTS)
    ]


def test_no_signed_in_page_or_sign_in_page_may_be_cached(web: WebProcess, tmp_path: Path):
    """The attack: the next person at a shared office computer (or a proxy) reads a clerk's
    register, a helpdesk request or a fault report from the cache after the clerk left."""
    pages = signed_in_pages(tmp_path)
    assert {"/staff/register", "/admin/staff", "/helpdesk/admin", "/usterki/"} <= set(pages)
    staff = signed_in(web, "/signin", "admin@um.example", STAFF_PASSWORD)
    helpdesk = signed_in(web, "/signin", *HELPDESK_ADMIN)
    faults = signed_in(web, "/signin", "super@uml.example", FAULTS_PASSWORD)
    anonymous = httpx.Client(base_url=web.url, timeout=10)
    cached = []
    for path in pages:
        clients = [anonymous]
        clients.append(staff if path.startswith(("/staff", "/admin")) else helpdesk)
        if path.startswith("/usterki"):
            clients.append(faults)
        for client in clients:
            r = client.get(path)
            if "no-store" not in r.headers.get("cache-control", ""):
                cached.append((path, r.status_code, r.headers.get("cache-control")))
    assert not cached, cached
    # The signed-in clients did see the pages themselves, not only redirects.
    assert staff.get("/staff/register").status_code == 200
    assert helpdesk.get("/helpdesk/admin").status_code == 200
    assert faults.get("/usterki/").status_code == 200


def test_static_files_may_be_cached(web: WebProcess):
    r = httpx.get(f"{web.url}/static/okienko.css")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "")


def test_every_page_allows_only_its_own_host(web: WebProcess):
    for path in ("/", "/usterka", "/signin", "/privacy", "/nie-ma"):
        csp = httpx.get(web.url + path).headers["content-security-policy"]
        assert "default-src 'self'" in csp and "img-src 'self';" in csp, (path, csp)
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


def test_no_page_makes_the_browser_contact_another_host(web: WebProcess):
    """RODO: a visitor's or a clerk's browser talks to the office's server and nobody else
    (no fonts, scripts, maps or analytics from elsewhere), and no page breaks its own CSP."""
    own = urlsplit(web.url).netloc
    first_sub = re.search(r'<option value="(\d+)"', httpx.get(f"{web.url}/usterka").text)
    assert first_sub is not None
    pages = [
        "/",
        "/privacy",
        f"/usterka?sub={first_sub.group(1)}",
        "/signin",
        "/staff/register",
        "/staff/docket",
        "/staff/plan",
        "/admin/staff",
    ]
    with chromium() as browser:
        context = browser.new_context()
        elsewhere: list[str] = []
        refused: list[str] = []
        context.on(
            "request",
            lambda r: elsewhere.append(r.url) if urlsplit(r.url).netloc != own else None,
        )
        page = context.new_page()
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{web.url}/signin")
        page.fill("#email", "admin@um.example")
        page.fill("#password", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/staff/(?!login)"))
        for path in pages:
            response = page.goto(web.url + path, wait_until="networkidle")
            assert response is not None and response.status < 500, path
            assert "default-src 'self'" in response.headers["content-security-policy"], path
        context.close()
    assert not elsewhere, elsewhere
    assert not refused, refused


def test_the_policy_names_the_configured_tile_server_and_keeps_a_pages_own_directives():
    assert "img-src 'self';" in policy(None)
    tiles = "https://{s}.tiles.um.example:8443/osm/{z}/{x}/{y}.png"
    assert "img-src 'self' https://*.tiles.um.example:8443;" in policy(tiles)
    # The information board allows framing by the office's website; the rest still applies.
    board = merged("frame-ancestors *", policy(None))
    assert board.startswith("frame-ancestors *;") and "frame-ancestors 'none'" not in board
    assert "default-src 'self'" in board
