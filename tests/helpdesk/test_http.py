"""The helpdesk over real HTTP against ``okienko web`` and a real SMTP server (aiosmtpd): the
idle sign-out, the forgotten-password link, the administrator's pages closed to everyone else,
rating from the request page, and the rejection e-mail with its reason."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webproc import Smtp, WebProcess, body_text, csrf_of
from web.db.engine import make_engine
from web.helpdesk import accounts, store
from web.helpdesk.domain import Action, Actor, Role

PASSWORD = "Haslo-testowe-1"
SENDER = "Urząd Miasta <no-reply@um.example>"  # what WebProcess gives --mail-from
T = TypeVar("T")


@dataclass
class Site:
    web: WebProcess
    smtp: Smtp
    ids: dict[str, int]  # unit, address and service ids, and each person's account id

    def db(self, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        async def run() -> T:
            engine = make_engine(self.web.database_url)
            try:
                return await work(engine)
            finally:
                await engine.dispose()

        return asyncio.run(run())

    @contextmanager
    def client(self, email: str | None = None, password: str = PASSWORD) -> Iterator[httpx.Client]:
        """A browser-like client with its own cookies, signed in as ``email`` if given."""
        with httpx.Client(base_url=self.web.url) as client:
            if email:
                r = sign_in(client, email, password)
                assert r.status_code == 303 and r.headers["location"] == "/helpdesk/", r.text
            yield client

    def mail(self, to: str, subject: str) -> Message:
        deadline = time.monotonic() + 10
        while True:
            found = [m for m in self.smtp.inbox.to(to) if subject in header(m, "Subject")]
            if found:
                return found[-1]
            assert time.monotonic() < deadline, (
                f"no '{subject}' to {to}: {self.smtp.inbox.summary()}"
            )
            time.sleep(0.05)

    def link(self, message: Message, path: str) -> str:
        """The e-mailed link's path, opened on this test's server."""
        m = re.search(rf"https?://[^/\s]+({path}\S+)", body_text(message))
        assert m, body_text(message)
        return m.group(1)


def header(message: Message, name: str) -> str:
    return str(make_header(decode_header(str(message[name]))))


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/helpdesk/login").text)
    return client.post(
        "/helpdesk/login", data={"email": email, "password": password, "csrf_token": token}
    )


def token_of(client: httpx.Client) -> str:
    """The session's CSRF token (every signed-in page carries it in the sign-out form), so a
    refusal below is the page's own and not the CSRF guard's."""
    return csrf_of(client.get("/helpdesk/").text)


PEOPLE = [  # e-mail, role, unit key
    ("ola@sp5.example", Role.UNIT, "a"),
    ("ela@sp5.example", Role.UNIT, "a"),
    ("piotr@zlobek2.example", Role.UNIT, "b"),
    ("marek@cum.example", Role.SERVICE, None),
    ("admin@cum.example", Role.ADMIN, None),
    ("zapominalska@sp5.example", Role.UNIT, "a"),
    ("zmiana@zlobek2.example", Role.UNIT, "b"),
]


def start(workdir: Path, smtp: Smtp, extra: list[str] | None = None) -> Site:
    web = WebProcess.start(workdir, smtp_port=smtp.port, extra=extra)

    async def seed(engine: AsyncEngine) -> dict[str, int]:
        now = datetime.now(UTC)
        ids = {"it": await accounts.create_service(engine, "Wsparcie IT")}
        ids["a"] = await accounts.create_unit(
            engine, "Szkoła Podstawowa nr 5", ["ul. Leśna 5"], [ids["it"]], now
        )
        ids["b"] = await accounts.create_unit(
            engine, "Żłobek nr 2", ["ul. Polna 2"], [ids["it"]], now
        )
        for email, role, unit in PEOPLE:
            ids[email], _token = await accounts.create_user(
                engine, email=email, name=email.split("@")[0].title(), role=role,
                unit_id=ids[unit] if unit else None, password=PASSWORD, now=now,
            )  # fmt: skip
        from sqlalchemy import select

        from web.helpdesk import tables as t

        async with engine.connect() as conn:
            ids["address_a"] = int(
                await conn.scalar(select(t.addresses.c.id).where(t.addresses.c.unit_id == ids["a"]))
            )
        return ids

    site = Site(web, smtp, {})
    site.ids = site.db(seed)
    return site


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    server = Smtp.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[Site]:
    s = start(tmp_path_factory.mktemp("helpdesk-http"), smtp)
    yield s
    s.web.stop()


def actor(site: Site, email: str) -> Actor:
    role, unit = next((r, u) for e, r, u in PEOPLE if e == email)
    return Actor(site.ids[email], role, site.ids[unit] if unit else None)


def completed_request(site: Site, text: str) -> int:
    """A request of unit A, accepted and completed by the staff (through the store)."""

    async def work(engine: AsyncEngine) -> int:
        now = datetime.now(UTC)
        filing = store.Filing(site.ids["a"], site.ids["address_a"], site.ids["it"], text)
        filed = await store.file_request(engine, actor(site, "ola@sp5.example"), filing, now)
        staff = actor(site, "marek@cum.example")
        await store.change_status(engine, staff, filed.id, Action.ACCEPT, "", now)
        await store.change_status(engine, staff, filed.id, Action.COMPLETE, "Gotowe.", now)
        return filed.id

    return site.db(work)


# -- signing in and out ---------------------------------------------------------------------------


def test_the_default_idle_limit_is_an_hour_and_the_installation_sets_it(tmp_path: Path):
    from starlette.requests import Request

    from web.app import create_app
    from web.helpdesk.session import idle_limit

    def limit(**options: Any) -> int:
        app = create_app(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}", **options)
        return idle_limit(Request({"type": "http", "app": app}))

    assert limit() == 3600
    assert limit(idle_logout_s=120) == 120


def test_a_helpdesk_session_ends_after_the_configured_idle_time(
    tmp_path_factory: pytest.TempPathFactory, smtp: Smtp
):
    idle = start(tmp_path_factory.mktemp("helpdesk-idle"), smtp, ["--idle-logout", "2"])
    try:
        with idle.client("ola@sp5.example") as ola:
            for _ in range(3):  # activity keeps the session alive past the limit
                assert ola.get("/helpdesk/").status_code == 200
                time.sleep(1)
            time.sleep(3)  # the test server signs out after 2 s idle
            r = ola.get("/helpdesk/new", follow_redirects=False)
            assert r.status_code == 303
            assert r.headers["location"] == "/helpdesk/login?next=/helpdesk/new&idle=1"
            notice = ola.get(r.headers["location"]).text
            assert "Wylogowano po okresie bezczynności." in notice
            # Signed out for good: coming back does not revive the session.
            assert ola.get("/helpdesk/", follow_redirects=False).status_code == 303
    finally:
        idle.web.stop()
