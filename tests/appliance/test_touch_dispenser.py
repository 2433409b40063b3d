"""The dispenser used by a visitor's finger, keyboard or code scanner: a real window on
Xvfb, real taps and keys (xdotool), a real hub with booked visits behind a real broker."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from hub.contract.topics import Topics
from hub.domain.checkin import LocalReservation
from hub.store.database import EventStore
from tests.conftest import SiteRig, make_rig
from tests.support.broker import tls_client
from tests.support.screen import NEEDS_X, ApplianceWindow, info_file

pytestmark = NEEDS_X

# Codes as the cloud draws them (hub.contract.access_code.ALPHABET).
TAPPED, SCANNED, TYPED = "TTM4Z9UZ", "HK7RW2QA", "XB3DNP8E"


class Issued:
    """Tickets the hub issues, as the hall display and the e-ticket page learn of them."""

    def __init__(self, rig: SiteRig) -> None:
        self.waiting: dict[str, int] = {}
        self.lock = threading.Condition()
        self.client = tls_client(rig.ca_file)
        self.client.username_pw_set("hub", rig.passwords["hub"])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", rig.port)
        self.client.subscribe(Topics(rig.site_id).queue_state, qos=1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.waiting = {s["id"]: s["waiting"] for s in json.loads(m.payload)["services"]}
            self.lock.notify_all()

    def until(self, service: str, n: int, timeout: float = 10.0) -> None:
        with self.lock:
            if not self.lock.wait_for(lambda: self.waiting.get(service) == n, timeout):
                raise AssertionError(f"{service} never had {n} waiting: {self.waiting}")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRig]:
    rig = make_rig(tmp_path_factory.mktemp("dispenser"))
    soon = datetime.now(UTC) + timedelta(minutes=10)
    visits = [LocalReservation(code, "meldunki", soon) for code in (TAPPED, SCANNED, TYPED)]

    async def seed() -> None:
        store = EventStore(rig.dir / "hub.sqlite3")
        await store.open()
        await store.save_reservations(visits)
        await store.close()

    asyncio.run(seed())
    hub = rig.hub().start()
    yield rig
    hub.stop()
    rig.broker.stop()


@pytest.fixture
def issued(booked: SiteRig) -> Iterator[Issued]:
    watch = Issued(booked)
    yield watch
    watch.stop()


def take_walk_in(screen: ApplianceWindow, issued: Issued) -> None:
    """The control: a walk-in ticket by one tap, so a harness that taps nowhere cannot pass."""
    issued.until("dowody", issued.waiting.get("dowody", 0))
    before = issued.waiting["dowody"]
    screen.tap("Dowody osobiste")
    issued.until("dowody", before + 1)
    screen.wait_text("Twój bilet")
    screen.tap("Wróć")
    screen.button("Potwierdzenie wizyty")


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)])
def test_a_booked_visitor_checks_in_on_the_code_keypad(
    booked: SiteRig, issued: Issued, tmp_path: Path, size: tuple[int, int]
) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path, size) as screen:
        take_walk_in(screen, issued)
        screen.tap("Potwierdzenie wizyty")
        screen.button("Z")
        keys = {w.text: w for w in screen.widgets() if w.kind == "button" and len(w.text) == 1}
        # The keypad offers the code's own alphabet, keys large enough for a finger.
        assert set(keys) >= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ") and not set(keys) & set("01OIL")
        assert min(k.h for k in keys.values()) >= 44 and min(k.w for k in keys.values()) >= 44
        code = TAPPED if size == (800, 480) else SCANNED
        for sign in code[:6]:
            screen.tap(sign)
        screen.wait_text(f"{code[:4]} {code[4:6]}__")  # in groups of four, as it is typed
        screen.tap("<")
        screen.wait_text(f"{code[:4]} {code[4]}___")
        for sign in code[5:]:
            screen.tap(sign)
        screen.wait_text(f"{code[:4]} {code[4:]}")
        meldunki = issued.waiting.get("meldunki", 0)
        screen.tap("OK")
        screen.wait_text("Twój bilet")
        issued.until("meldunki", meldunki + 1)  # the reservation entered the queue


def test_a_code_scanner_checks_in_from_the_first_screen(
    booked: SiteRig, issued: Issued, tmp_path: Path
) -> None:
    """A USB scanner reading the confirmation's QR code types the code and Enter; an attached
    keyboard may add dashes, spaces or lower case: all the same code."""
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path) as screen:
        take_walk_in(screen, issued)
        meldunki = issued.waiting.get("meldunki", 0)
        screen.type(TYPED[:4].lower() + "-" + TYPED[4:].lower())
        screen.wait_text(f"{TYPED[:4]} {TYPED[4:]}")
        screen.key("Return")
        screen.wait_text("Twój bilet")
        issued.until("meldunki", meldunki + 1)
        # Escape goes back to the start, and the dispenser is still there to serve.
        screen.key("Escape")
        screen.button("Potwierdzenie wizyty")
        take_walk_in(screen, issued)


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)])
def test_a_priority_ticket_by_touch(
    booked: SiteRig, issued: Issued, tmp_path: Path, size: tuple[int, int]
) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path, size) as screen:
        take_walk_in(screen, issued)
        # "Wróć" from the reasons leaves no priority behind.
        screen.tap("Obsługa poza kolejnością")
        screen.tap("Wróć")
        screen.wait_text("Wybierz sprawę")
        assert "Obsługa poza kolejnością: Ciąża" not in screen.texts()
        screen.tap("Obsługa poza kolejnością")
        screen.tap("Ciąża")
        screen.wait_text("Obsługa poza kolejnością: Ciąża")  # the chosen reason stays in view
        before = issued.waiting["dowody"]
        screen.tap("Dowody osobiste")
        issued.until("dowody", before + 1)
        screen.wait_text("Twój bilet")
        tickets = sorted((tmp_path / "var" / "tickets").glob("*.png"))
        assert tickets, "no ticket was printed"


def test_printer_trouble_offers_a_reprint_that_prints_once_fixed(
    booked: SiteRig, issued: Issued, tmp_path: Path
) -> None:
    """The paper path fails (here the ticket folder cannot be made): the visitor is told
    where to get the ticket, and "Drukuj ponownie" prints the same ticket once it works."""
    (tmp_path / "var").mkdir()
    blocked = tmp_path / "var" / "tickets"
    blocked.write_text("not a folder")  # a real failure of the preview printer's writes
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path) as screen:
        issued.until("dowody", issued.waiting.get("dowody", 0))
        before = issued.waiting["dowody"]
        screen.tap("Dowody osobiste")
        issued.until("dowody", before + 1)
        screen.wait_text("Proszę pobrać bilet w punkcie informacyjnym.")
        blocked.unlink()
        screen.tap("Drukuj ponownie")
        screen.wait_for(
            lambda s: (
                "punkcie informacyjnym" not in s.texts() and "Drukuj ponownie" not in s.texts()
            ),
            "the trouble notice never went away",
        )
        assert len(list(blocked.glob("*.png"))) == 1
        assert issued.waiting["dowody"] == before + 1  # a reprint is not a second ticket


def test_every_key_of_the_code_keypad_answers_a_tap(
    booked: SiteRig, issued: Issued, tmp_path: Path
) -> None:
    """All 31 signs and the delete key, each tapped once, each shown in the code."""
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path, (1024, 600)) as screen:
        take_walk_in(screen, issued)
        screen.tap("Potwierdzenie wizyty")
        screen.button("Z")
        alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
        for start in range(0, len(alphabet), 8):
            chunk = alphabet[start : start + 8]
            for sign in chunk:
                screen.tap(sign)
            shown = f"{chunk[:4]} {chunk[4:]}" if len(chunk) > 4 else chunk
            screen.wait_text(shown)
            screen.tap("<")
            screen.wait_text(f"{shown[:-1]}_")
            screen.tap("Wróć")  # and back in: a fresh, empty code
            screen.tap("Potwierdzenie wizyty")
            screen.wait_text("____ ____")
