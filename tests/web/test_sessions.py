"""Sessions live on the server (web/identity/sessions.py): a cookie copied before signing out is
dead after it, for staff and helpdesk alike; so is one copied before a password change or a
deactivation, or one older than 12 hours however active; and over https the cookie is
Secure with the __Host- prefix, and browsers are told to keep to https (HSTS)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.helpdesk import accounts
from web.helpdesk.domain import Role
from web.identity.sessions import ABSOLUTE_S, S

PASSWORD = "Haslo-testowe-1"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    smtp = Smtp.start()
    proc = WebProcess.start(tmp_path_factory.mktemp("sessions"), smtp_port=smtp.port)
    yield proc
    proc.stop()
    smtp.stop()


@contextmanager
def signed_in(web: WebProcess, email: str) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=web.url)
    token = csrf_of(client.get("/signin").text)
    r = client.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    try:
        yield client
    finally:
        client.close()


def copy_of(client: httpx.Client) -> httpx.Client:
    """Another browser holding the same cookie (stolen, or a second tab kept open)."""
    return httpx.Client(base_url=str(client.base_url), cookies=dict(client.cookies.items()))


def signed_in_staff(client: httpx.Client) -> bool:
    return client.get("/staff/", follow_redirects=False).status_code == 200


def signed_in_helpdesk(client: httpx.Client) -> bool:
    return client.get("/helpdesk/", follow_redirects=False).status_code == 200


def add_helpdesk_user(web: WebProcess, email: str) -> int:
    async def work(engine: AsyncEngine) -> int:
        user_id, _token = await accounts.create_user(
            engine,
            email=email,
            name="Ktoś",
            role=Role.SERVICE,
            now=datetime.now(UTC),
            password=PASSWORD,
        )
        return user_id

    return web.db(work)


def test_a_staff_cookie_copied_before_sign_out_is_dead_after_it(web: WebProcess):
    web.add_staff("wyloguj@um.example", "administrator")
    with signed_in(web, "wyloguj@um.example") as client, copy_of(client) as thief:
        assert signed_in_staff(thief)
        token = csrf_of(client.get("/staff/").text)
        assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
        assert not signed_in_staff(thief)
        assert not signed_in_staff(client)


def test_a_helpdesk_cookie_copied_before_sign_out_is_dead_after_it(web: WebProcess):
    add_helpdesk_user(web, "wyloguj@cum.example")
    with signed_in(web, "wyloguj@cum.example") as client, copy_of(client) as thief:
        assert signed_in_helpdesk(thief)
        token = csrf_of(client.get("/helpdesk/").text)
        assert client.post("/helpdesk/logout", data={"csrf_token": token}).status_code == 303
        assert not signed_in_helpdesk(thief)


def test_a_password_change_and_a_deactivation_end_every_session(web: WebProcess):
    web.add_staff("haslo@um.example", "clerk")
    user_id = add_helpdesk_user(web, "dezaktywacja@cum.example")
    with (
        signed_in(web, "haslo@um.example") as staff,
        signed_in(web, "dezaktywacja@cum.example") as helpdesk,
    ):

        async def change(engine: AsyncEngine) -> None:
            from web.identity import reset

            link = await reset.create(engine, "haslo@um.example", datetime.now(UTC))
            assert link is not None
            assert await reset.use(engine, link.token, "Inne-haslo-123", datetime.now(UTC))
            await accounts.deactivate_user(engine, user_id)

        web.db(change)
        assert not signed_in_staff(staff)
        assert not signed_in_helpdesk(helpdesk)


def test_a_session_ends_after_twelve_hours_however_active(web: WebProcess):
    web.add_staff("dlugo@um.example", "clerk")
    add_helpdesk_user(web, "dlugo@cum.example")
    with (
        signed_in(web, "dlugo@um.example") as staff,
        signed_in(web, "dlugo@cum.example") as helpdesk,
    ):
        assert signed_in_staff(staff) and signed_in_helpdesk(helpdesk)

        async def age(engine: AsyncEngine) -> None:  # begun 12 h ago, used a second ago
            async with engine.begin() as conn:
                await conn.execute(
                    update(S).values(
                        created_at=time.time() - ABSOLUTE_S - 1, seen_at=time.time() - 1
                    )
                )

        web.db(age)
        assert not signed_in_staff(staff)
        assert not signed_in_helpdesk(helpdesk)


def test_over_https_the_cookie_is_secure_and_host_only_with_hsts(tmp_path: Path):
    smtp = Smtp.start()
    web = WebProcess.start(
        tmp_path, smtp_port=smtp.port, extra=["--public-url", "https://okienko.example"]
    )
    try:
        r = httpx.get(f"{web.url}/signin")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-okienko_session=")
        attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes
        assert not any(a.startswith("domain") for a in attributes)
        assert r.headers["strict-transport-security"].startswith("max-age=")
    finally:
        web.stop()
        smtp.stop()


def test_over_plain_http_no_hsts(web: WebProcess):
    r = httpx.get(f"{web.url}/signin")
    assert "strict-transport-security" not in r.headers
    assert r.headers["set-cookie"].startswith("okienko_session=")


async def test_a_deactivated_staff_accounts_password_link_dies(tmp_path: Path):
    from web.admin.forms import StaffChange
    from web.admin.store import change_staff
    from web.auth.accounts import create_staff
    from web.db.engine import make_engine
    from web.db.migrate import upgrade
    from web.identity import reset

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}")
    await upgrade(engine)
    try:
        staff_id = await create_staff(
            engine, email="odchodzi@um.example", name="Odchodzi", role="clerk", password=PASSWORD
        )
        now = datetime.now(UTC)
        link = await reset.create(engine, "odchodzi@um.example", now)
        assert link is not None
        leaves = StaffChange("Odchodzi", "clerk", None, None, False, False)
        await change_staff(engine, staff_id, leaves)
        assert await reset.holder(engine, link.token, now) is None
        assert not await reset.use(engine, link.token, "Nowe-haslo-123", now)
    finally:
        await engine.dispose()
