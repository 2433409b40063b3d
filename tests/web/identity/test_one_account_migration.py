"""The upgrade to one account table (migration 0027) on SQLite and on PostgreSQL, with the
accounts of both parts as they were at 0026: every person signs in with their old password and
reaches every part they had; one e-mail with two passwords stays two identities and is reported
to the administrator, not guessed. Then the downgrade gives the old tables back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.db.engine import make_engine
from web.db.migrate import MIGRATIONS
from web.identity.passwords import hash_password

OLA, JAN, EWA, IGA, PIOTR = (f"{n}@um.example" for n in ("ola", "jan", "ewa", "iga", "piotr"))
PASSWORDS = {n: f"Haslo-{n}-2026" for n in ("ola", "jan", "ewa", "iga-staff", "iga-hd", "piotr")}


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    server = Smtp.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_database")
        yield url.replace("postgresql://", "postgresql+asyncpg://")


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)

    async def work() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(run)
        await engine.dispose()

    asyncio.run(work())


def on(url: str, sql: str, **params: object) -> list[sa.Row[tuple[object, ...]]]:
    async def work(engine: AsyncEngine) -> list[sa.Row[tuple[object, ...]]]:
        async with engine.begin() as conn:
            result = await conn.execute(sa.text(sql), params)
            return list(result.all()) if result.returns_rows else []

    async def run() -> list[sa.Row[tuple[object, ...]]]:
        engine = make_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def fill_0026(url: str) -> None:
    """The accounts as 0026 kept them: two tables, each with its own password."""
    now = datetime.now(UTC)
    h = {k: hash_password(v) for k, v in PASSWORDS.items()}
    staff = (
        "INSERT INTO staff (email, name, role, password_hash, active, created_at, all_locations,"
        " session_epoch) VALUES (:email, :name, :role, :hash, true, :now, true, 0)"
    )
    users = (
        "INSERT INTO hd_users (email, name, phone, role, password_hash, active, created_at,"
        " session_epoch) VALUES (:email, :name, '', :role, :hash, true, :now, 0)"
    )
    on(url, staff, email=OLA, name="Ola", role="administrator", hash=h["ola"], now=now)
    on(url, users, email=JAN, name="Jan", role="service", hash=h["jan"], now=now)
    # One person in both parts with one password (the one reset set both)…
    on(url, staff, email=EWA, name="Ewa", role="clerk", hash=h["ewa"], now=now)
    on(url, users, email="Ewa@UM.example", name="Ewa", role="service", hash=h["ewa"], now=now)
    # …and one whose parts hold two different passwords: nobody can tell which is hers.
    on(url, staff, email=IGA, name="Iga", role="clerk", hash=h["iga-staff"], now=now)
    on(url, users, email=IGA, name="Iga", role="service", hash=h["iga-hd"], now=now)
    # A fault-report operator (helpdesk role "faults", the reports' role beside it).
    on(url, users, email=PIOTR, name="Piotr", role="faults", hash=h["piotr"], now=now)
    piotr = on(url, "SELECT id FROM hd_users WHERE email = :e", e=PIOTR)[0][0]
    on(url, "INSERT INTO fault_members (user_id, role) VALUES (:u, 'operator')", u=piotr)
    # A reset link mailed before the upgrade (the one reset gave both parts one token).
    ewa_staff = on(url, "SELECT id FROM staff WHERE email = :e", e=EWA)[0][0]
    on(
        url,
        "INSERT INTO password_resets (token_digest, staff_id, expires_at)"
        " VALUES ('d' , :s, :until)",
        s=ewa_staff,
        until=now,
    )


def parts_opened(web: WebProcess, email: str, password: str) -> set[str]:
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/signin").text)
        data = {"email": email, "password": password, "next": "", "csrf_token": token}
        if client.post("/signin", data=data).status_code != 303:
            return set()
        pages = ("/staff/", "/helpdesk/", "/usterki/")
        return {p for p in pages if client.get(p, follow_redirects=False).status_code == 200}


def test_the_upgrade_keeps_every_person_and_an_administrator_resolves_the_conflict(
    database_url: str, tmp_path: Path, smtp: Smtp
):
    migrate(database_url, "0026")
    fill_0026(database_url)
    # The new version migrates on its first start.
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, database_url=database_url)
    try:
        assert parts_opened(web, OLA, PASSWORDS["ola"]) == {"/staff/"}
        assert parts_opened(web, JAN, PASSWORDS["jan"]) == {"/helpdesk/"}
        assert parts_opened(web, EWA, PASSWORDS["ewa"]) == {"/staff/", "/helpdesk/"}
        assert parts_opened(web, PIOTR, PASSWORDS["piotr"]) == {"/helpdesk/", "/usterki/"}
        # Both of Iga's identities are kept, each with its own password and part.
        assert parts_opened(web, IGA, PASSWORDS["iga-staff"]) == {"/staff/"}
        assert parts_opened(web, IGA, PASSWORDS["iga-hd"]) == {"/helpdesk/"}
        assert parts_opened(web, OLA, PASSWORDS["jan"]) == set()
        # The upgrade said so in the log, for whoever ran it.
        assert f"{IGA} kept as 2 accounts (two different passwords)" in web.log.read_text()
        resolve_igas_conflict(web)
        # One account now: the kept one's password opens both parts, the other's nothing.
        assert parts_opened(web, IGA, PASSWORDS["iga-staff"]) == {"/staff/", "/helpdesk/"}
        assert parts_opened(web, IGA, PASSWORDS["iga-hd"]) == set()
    finally:
        web.stop()
    url = database_url
    assert [r[0] for r in on(url, "SELECT count(*) FROM accounts")] == [5]  # Iga's merged
    ewa = on(url, "SELECT id FROM accounts WHERE email = :e", e=EWA)
    assert len(ewa) == 1
    assert on(url, "SELECT account_id FROM password_links WHERE token_digest = 'd'") == [ewa[0]]
    conflicts = on(url, "SELECT email, reason, resolved_at FROM account_conflicts")
    assert len(conflicts) == 1 and conflicts[0][0] == IGA
    assert "two different passwords" in str(conflicts[0][1]) and conflicts[0][2] is not None
    assert on(url, "SELECT count(*) FROM fault_members")[0][0] == 1

    migrate(url, "0026", down=True)
    rows = on(url, "SELECT email, password_hash IS NOT NULL FROM staff ORDER BY email")
    assert [tuple(r) for r in rows] == [(EWA, True), (IGA, True), (OLA, True)]
    assert on(url, "SELECT count(*) FROM hd_users WHERE password_hash IS NOT NULL")[0][0] == 4
    assert on(url, "SELECT count(*) FROM password_resets")[0][0] == 1


@contextmanager
def signed_in(web: WebProcess, email: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/signin").text)
        data = {"email": email, "password": password, "next": "", "csrf_token": token}
        assert client.post("/signin", data=data).status_code == 303
        yield client


def resolve_igas_conflict(web: WebProcess) -> None:
    """Ola, the administrator, keeps Iga's queue account on the page that lists conflicts; a
    helpdesk worker cannot, and an account that is not one of the e-mail's is refused."""
    with signed_in(web, JAN, PASSWORDS["jan"]) as jan:
        assert jan.get("/admin/accounts/conflicts").status_code in (302, 303, 403)
    with signed_in(web, OLA, PASSWORDS["ola"]) as ola:
        assert "Konta do scalenia" in ola.get("/admin/").text  # the overview points to it
        listing = ola.get("/admin/accounts/conflicts")
        assert listing.status_code == 200 and IGA in listing.text
        assert "dwa różne hasła" in listing.text  # why, in Polish
        assert "kolejka i rezerwacje: urzędnik" in listing.text
        assert "helpdesk i zgłoszenia usterek: pracownik obsługi" in listing.text
        forms = re.findall(
            r'action="(/admin/accounts/conflicts/\d+/keep)".*?name="account" value="(\d+)"',
            listing.text,
        )
        assert len(forms) == 2  # one "keep this one" per account
        action = forms[0][0]
        staff_account = on(
            web.database_url, "SELECT account_id FROM staff WHERE email = :e", e=IGA
        )[0][0]
        token = csrf_of(listing.text)
        ola_account = on(web.database_url, "SELECT id FROM accounts WHERE email = :e", e=OLA)
        # Another person's account is not one of Iga's: refused, nothing changes.
        wrong = ola.post(action, data={"csrf_token": token, "account": str(ola_account[0][0])})
        assert wrong.status_code == 303 and IGA in ola.get("/admin/accounts/conflicts").text
        kept = ola.post(action, data={"csrf_token": token, "account": str(staff_account)})
        assert kept.status_code == 303
        after = ola.get(kept.headers["location"])
        assert "ma teraz jedno konto" in after.text and IGA not in after.text
