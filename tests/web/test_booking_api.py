"""The booking API over real HTTP against `okienko web`: a rush for one slot gets exactly its
places, bad input is answered field by field, and a script is slowed down by the rate limit."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.support.sitefile import site_toml
from web.reservations.booking import TZ


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, inbox: tuple[Inbox, int]) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("web")
    site = tmp / "site.toml"
    site.write_text(site_toml(database=tmp / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "web",
            "--port",
            str(port),
            "--site",
            str(site),
            "--database-url",
            f"sqlite+aiosqlite:///{tmp / 'web.sqlite3'}",
            "--smtp",
            f"127.0.0.1:{inbox[1]}",
            "--outbox",
            str(tmp / "outbox"),
            "--mail-from",
            "Urząd <no-reply@um.example>",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            break
        except httpx.TransportError:
            assert proc.poll() is None and time.monotonic() < deadline, "okienko web not up"
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


def tomorrow_at(hour: int) -> str:
    day = datetime.now(TZ).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ).isoformat()


async def test_a_rush_over_http_gets_exactly_the_places_of_the_slot(web: str):
    # "dowody" is served at three counters: three places per slot.
    body = {"service": "dowody", "start": tomorrow_at(10), "name": "Jan", "contact": "600100200"}
    async with httpx.AsyncClient(base_url=web, timeout=30) as client:
        answers = await asyncio.gather(
            *(client.post("/api/v1/reservations", json=body) for _ in range(15))
        )
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 3 and codes.count(409) == 12


def test_bad_input_is_answered_field_by_field(web: str):
    r = httpx.post(
        f"{web}/api/v1/reservations",
        json={"service": "dowody", "start": "jutro", "name": "J", "contact": "1"},
    )
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"start", "name", "contact"}
    off_grid = {
        "service": "dowody",
        "start": tomorrow_at(10).replace(":00:00", ":03:00"),
        "name": "Jan",
        "contact": "600100200",
    }
    r = httpx.post(f"{web}/api/v1/reservations", json=off_grid)
    assert r.status_code == 422 and r.json()["error"] == "not_a_slot"
    r = httpx.post(f"{web}/api/v1/reservations", content=b"\xff{")
    assert r.status_code == 422


def test_the_code_from_the_email_confirms_and_wrong_codes_are_counted(
    web: str, inbox: tuple[Inbox, int]
):
    box, _ = inbox
    body = {
        "service": "dowody",
        "start": tomorrow_at(12),
        "name": "Anna Nowak",
        "contact": "anna@example.org",
    }
    held = httpx.post(f"{web}/api/v1/reservations", json=body)
    assert held.status_code == 201
    rid = held.json()["id"]
    mail = next((m for m in reversed(box.messages) if m["To"] == "anna@example.org"), None)
    assert mail is not None, [(m["To"], m["Subject"]) for m in box.messages]
    text = mail.get_payload(decode=True).decode("utf-8")
    assert "Anna" not in text  # the message carries the code, not personal data
    code = re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]
    wrong = "000000" if code != "000000" else "111111"
    r = httpx.post(f"{web}/api/v1/reservations/{rid}/confirm", json={"code": wrong})
    assert r.status_code == 400 and r.json()["attempts_left"] == 4
    r = httpx.post(f"{web}/api/v1/reservations/{rid}/confirm", json={"code": code})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert len(r.json()["access_code"]) == 8


def test_one_address_is_rate_limited(web: str):
    statuses = []
    for hour in range(30):
        body = {
            "service": "dowody",
            "start": tomorrow_at(hour % 24),
            "name": "Jan",
            "contact": "600100200",
        }
        statuses.append(httpx.post(f"{web}/api/v1/reservations", json=body).status_code)
    assert 429 in statuses
