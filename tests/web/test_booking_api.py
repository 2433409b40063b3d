"""The booking API over real HTTP against `okienko web`: a rush for one slot gets exactly its
places, bad input is answered field by field with the public form's checks, and the rate
limits (per IP address, per phone or e-mail; booking and code confirmation) each hold on
their own: every limit test comes from its own loopback address, so no other budget is spent."""

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


def tomorrow_at(hour: int, days: int = 1) -> str:
    day = datetime.now(TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ).isoformat()


CONSENT = {"terms": True, "privacy": True}
_addresses = iter(range(2, 250))


def from_fresh_address(web: str) -> httpx.Client:
    """A client on its own loopback address (127.0.0.N): a fresh budget of every per-IP limit."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{next(_addresses)}")
    return httpx.Client(base_url=web, transport=transport, timeout=30)


async def test_a_rush_over_http_gets_exactly_the_places_of_the_slot(web: str):
    # "dowody" is served at three counters: three places per slot.
    body = {
        "service": "dowody",
        "start": tomorrow_at(10),
        "name": "Jan",
        "contact": "600100200",
        **CONSENT,
    }
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
    assert set(r.json()["fields"]) == {"start", "name", "contact", "terms", "privacy"}
    off_grid = {
        "service": "dowody",
        "start": tomorrow_at(10).replace(":00:00", ":03:00"),
        "name": "Jan",
        "contact": "600100200",
        **CONSENT,
    }
    r = httpx.post(f"{web}/api/v1/reservations", json=off_grid)
    assert r.status_code == 422 and r.json()["error"] == "not_a_slot"
    r = httpx.post(f"{web}/api/v1/reservations", content=b"\xff{")
    assert r.status_code == 422


def test_the_contact_and_the_consents_are_checked_as_in_the_public_form(web: str):
    good = {"service": "dowody", "start": tomorrow_at(14), "name": "Jan Nowak", **CONSENT}
    with from_fresh_address(web) as client:
        for contact, says in (
            ("12345", "mobile number"),  # once given a hold, then a 502: no code can go there
            ("600 100 2000", "mobile number"),
            ("jan@", "e-mail address"),
            ("jan@example", "e-mail address"),
        ):
            r = client.post("/api/v1/reservations", json={**good, "contact": contact})
            assert r.status_code == 422, (contact, r.text)
            assert set(r.json()["fields"]) == {"contact"} and says in r.json()["fields"]["contact"]
        for missing in ("terms", "privacy"):
            r = client.post(
                "/api/v1/reservations", json={**good, "contact": "jan@example.org", missing: False}
            )
            assert r.status_code == 422 and set(r.json()["fields"]) == {missing}


def test_the_code_from_the_email_confirms_and_wrong_codes_are_counted(
    web: str, inbox: tuple[Inbox, int]
):
    box, _ = inbox
    body = {
        "service": "dowody",
        "start": tomorrow_at(12),
        "name": "Anna Nowak",
        "contact": "anna@example.org",
        **CONSENT,
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


def test_one_address_is_slowed_down_before_the_booking_is_even_read(web: str):
    with from_fresh_address(web) as client:
        # Twenty tries per address per 10 minutes (okienko web's default), good or bad.
        statuses = [client.post("/api/v1/reservations", json={}).status_code for _ in range(20)]
        assert statuses == [422] * 20
        body = {
            "service": "dowody",
            "start": tomorrow_at(15),
            "name": "Jan",
            "contact": "jan.ip@example.org",
            **CONSENT,
        }
        r = client.post("/api/v1/reservations", json=body)
        assert r.status_code == 429 and r.json() == {"error": "too_many_requests"}
    with from_fresh_address(web) as other:
        assert other.post("/api/v1/reservations", json=body).status_code == 201


def test_one_phone_number_gets_five_codes_however_it_is_written(web: str):
    forms = ("600700800", "600 700 800", "+48600700800", "48 600-700-800", "+48 600 700 800")
    with from_fresh_address(web) as client:
        for hour, contact in enumerate(forms, start=1):
            body = {
                "service": "dowody",
                "start": tomorrow_at(hour, days=2),
                "name": "Jan Limit",
                "contact": contact,
                **CONSENT,
            }
            r = client.post("/api/v1/reservations", json=body)
            assert r.status_code == 201, (contact, r.text)
    sixth = {**body, "start": tomorrow_at(7, days=2), "contact": "600-700-800"}
    with from_fresh_address(web) as client:  # a new address does not help: the number is limited
        r = client.post("/api/v1/reservations", json=sixth)
        assert r.status_code == 429 and r.headers["Retry-After"] == "600"
        assert r.json()["error"] == "too_many_requests" and "contact" in r.json()["fields"]
        other = client.post("/api/v1/reservations", json={**sixth, "contact": "600700801"})
        assert other.status_code == 201


def hold_for(client: httpx.Client, contact: str, hour: int) -> str:
    body = {
        "service": "dowody",
        "start": tomorrow_at(hour, days=3),
        "name": "Ola",
        "contact": contact,
        **CONSENT,
    }
    r = client.post("/api/v1/reservations", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def code_sent_to(box: Inbox, contact: str) -> str:
    deadline = time.monotonic() + 10
    while not (mail := [m for m in box.messages if m["To"] == contact]):
        assert time.monotonic() < deadline, f"no code for {contact}"
        time.sleep(0.05)
    text = mail[-1].get_payload(decode=True).decode("utf-8")
    return re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]


def test_one_address_gets_thirty_code_tries_in_ten_minutes(web: str, inbox: tuple[Inbox, int]):
    contact = "ip.tries@example.org"
    with from_fresh_address(web) as client:
        rid = hold_for(client, contact, 1)
        code = code_sent_to(inbox[0], contact)
        # Guessing at reservations: each guess is a try, whatever the reservation.
        for i in range(30):
            r = client.post(f"/api/v1/reservations/{i:032x}/confirm", json={"code": "123456"})
            assert r.status_code == 404
        r = client.post(f"/api/v1/reservations/{rid}/confirm", json={"code": code})
        assert r.status_code == 429 and r.json() == {"error": "too_many_requests"}
    with from_fresh_address(web) as other:
        r = other.post(f"/api/v1/reservations/{rid}/confirm", json={"code": code})
        assert r.status_code == 200 and r.json()["status"] == "confirmed"


def test_one_contact_gets_ten_code_tries_from_any_number_of_addresses(
    web: str, inbox: tuple[Inbox, int]
):
    contact = "contact.tries@example.org"
    with from_fresh_address(web) as client:
        rids = [hold_for(client, contact, hour) for hour in (2, 3, 4)]
    code = code_sent_to(inbox[0], contact)  # the last one's
    for rid in rids[:2]:  # five wrong codes on each of two holds, from new addresses
        with from_fresh_address(web) as client:
            answers = [
                client.post(f"/api/v1/reservations/{rid}/confirm", json={"code": "000000"})
                for _ in range(5)
            ]
            assert [a.json().get("attempts_left") for a in answers] == [4, 3, 2, 1, 0]
    with from_fresh_address(web) as client:
        r = client.post(f"/api/v1/reservations/{rids[2]}/confirm", json={"code": code})
        assert r.status_code == 429 and r.json() == {"error": "too_many_requests"}


def test_a_booking_in_ukrainian_gets_its_code_in_ukrainian(web: str, inbox: tuple[Inbox, int]):
    box, _ = inbox
    body = {
        "service": "dowody",
        "start": tomorrow_at(13, days=2),
        "name": "Олена",
        "contact": "olena.api@example.org",
        "language": "uk",
        **CONSENT,
    }
    with from_fresh_address(web) as client:
        assert (
            client.post("/api/v1/reservations", json={**body, "language": "de"}).status_code == 422
        )
        r = client.post("/api/v1/reservations", json=body)
    assert r.status_code == 201, r.text
    text = (
        next(m for m in box.messages if m["To"] == "olena.api@example.org")
        .get_payload(decode=True)
        .decode("utf-8")
    )
    assert text.startswith("Код підтвердження бронювання:")
