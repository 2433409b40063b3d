"""A real ``okienko web`` process on a free port, and a real SMTP server (aiosmtpd) that
collects what it sends; staff accounts created through ``okienko staff-add``."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import TypeVar

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.engine import make_engine

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """Messages received by the SMTP server, in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"no mail to {address}: {self.summary()}"
            time.sleep(0.05)
        return self.to(address)

    def summary(self) -> list[tuple[str, str]]:
        return [(m["To"], m["Subject"]) for m in self.messages]


def body_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode("utf-8"))  # type: ignore[union-attr]
    raise AssertionError("no text/plain part")


def six_digit_code(message: Message) -> str:
    m = re.search(r"\b(\d{6})\b", body_text(message))
    assert m, body_text(message)
    return m.group(1)


@dataclass
class Smtp:
    inbox: Inbox
    port: int
    controller: Controller

    @classmethod
    def start(cls) -> Smtp:
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        return cls(inbox, port, controller)

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class WebProcess:
    url: str
    database_url: str
    proc: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        workdir: Path,
        *,
        smtp_port: int,
        site: Path | None = None,
        database_url: str | None = None,
        extra: list[str] | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
        umask: int = -1,
    ) -> WebProcess:
        port = port or free_port()
        database_url = database_url or f"sqlite+aiosqlite:///{workdir / 'web.sqlite3'}"
        args = [
            sys.executable,
            "-m",
            "okienko.cli",
            "web",
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--smtp",
            f"127.0.0.1:{smtp_port}",
            "--outbox",
            str(workdir / "outbox"),
            "--mail-from",
            "Urząd Miasta <no-reply@um.example>",
            *(["--site", str(site)] if site else []),
            *(extra or []),
        ]
        log = workdir / "web.log"
        proc = subprocess.Popen(
            args,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            umask=umask,  # -1: the test's own
        )
        url = f"http://127.0.0.1:{port}"
        # A failure limit, not a speed target: migrations on a busy two-core machine take long.
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "okienko web did not answer"
            time.sleep(0.2)
        return cls(url, database_url, proc, log)

    def add_staff(
        self,
        email: str,
        role: str,
        password: str = "Haslo-testowe-1",
        *,
        name: str | None = None,
        location: str | None = None,
        service_point: str | None = None,
    ) -> None:
        args = [
            sys.executable,
            "-m",
            "okienko.cli",
            "staff-add",
            "--email",
            email,
            "--name",
            name or email.split("@")[0].title(),
            "--role",
            role,
            "--database-url",
            self.database_url,
            "--password-stdin",
        ]
        if location:
            args += ["--location", location]
        if service_point:
            args += ["--service-point", service_point]
        done = subprocess.run(args, input=password + "\n", capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    def db(self, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        """Run ``work`` on a fresh engine of this server's database, to set up or check what
        a test cannot do through the pages. In a thread with its own loop: the caller may be a
        sync test or hold an event loop already (Playwright's sync API keeps one)."""

        async def run() -> T:
            engine = make_engine(self.database_url)
            try:
                return await work(engine)
            finally:
                await engine.dispose()

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(run())).result()

    def move_visit(self, name: str, start: datetime) -> None:
        """The visit booked for ``name`` now starts at ``start`` (e.g. half an hour ago), which
        no page may do: for what staff may say only once a visit's time has come."""
        from web.reservations.store import R

        async def work(engine: AsyncEngine) -> None:
            async with engine.begin() as conn:
                # Stored in UTC, as the store does (SQLite keeps no time zone).
                utc = start.astimezone(UTC)
                await conn.execute(R.update().where(R.c.name == name).values(start=utc))

        self.db(work)

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminates a server the tests started, killing it when it does not stop in 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def okienko(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``okienko ARGS`` as an administrator runs it, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "okienko.cli", *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def site_token(database_url: str, site: str) -> str:
    """A hub's token for ``site``, made with ``okienko site-token create``."""
    return okienko(
        "site-token", "create", "--site", site, "--database-url", database_url
    ).stdout.strip()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the form"
    return m.group(1)
