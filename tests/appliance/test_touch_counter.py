"""The counter terminal used by a clerk's finger: a real window on Xvfb, real taps (xdotool),
a real hub behind a real broker. Each tap is checked where the clerk would notice it: in
the hub's state (what the hall display and the other counters see) and on the screen."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation, Topics
from tests.conftest import SiteRig, make_rig
from tests.support.broker import tls_client
from tests.support.screen import NEEDS_X, ApplianceWindow, info_file, ocr
from tests.support.sitefile import CLERK_PIN

pytestmark = NEEDS_X


class CounterWatch:
    """The retained state of one counter as the hub publishes it."""

    def __init__(self, rig: SiteRig, counter: str) -> None:
        self.latest: dict | None = None
        self.calls: list[dict] = []  # event/called: what the hall display announces
        self.changed = threading.Condition()
        self.client = tls_client(rig.ca_file)
        self.client.username_pw_set("hub", rig.passwords["hub"])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", rig.port)
        topics = Topics(rig.site_id)
        self.state_topic = topics.counter_state(counter)
        self.client.subscribe(self.state_topic, qos=1)
        self.client.subscribe(topics.called(counter), qos=1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        with self.changed:
            if m.topic == self.state_topic:
                self.latest = json.loads(m.payload)
            elif not m.retain:
                self.calls.append(json.loads(m.payload))
            self.changed.notify_all()

    def until(self, ok, what: str, timeout: float = 10.0) -> dict:  # type: ignore[no-untyped-def]
        with self.changed:
            if not self.changed.wait_for(
                lambda: self.latest is not None and ok(self.latest), timeout
            ):
                raise AssertionError(f"the hub never got to: {what}; last state {self.latest}")
            assert self.latest is not None
            return self.latest

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[SiteRig]:
    """A site of its own for each test: what one test leaves in the queue cannot steer the
    next one's calls."""
    (tmp_path / "site").mkdir()
    r = make_rig(tmp_path / "site")
    hub = r.hub().start()
    yield r
    hub.stop()
    r.broker.stop()


@pytest.fixture
def s1(rig: SiteRig) -> Iterator[CounterWatch]:
    """Counter s1's retained state, watched from the start (closed: nobody signed in)."""
    watch = CounterWatch(rig, "s1")
    watch.until(lambda s: s["status"] == "closed", "counter s1 closed")
    yield watch
    watch.stop()


def issue(rig: SiteRig, service: str = "dowody") -> str:
    with HubClient(rig.creds("dispenser-2")) as d:
        reply = d.request(
            Operation.ISSUE_TICKET,
            msg.IssueTicketRequest(request_id=new_request_id(), service=service),
        )
    assert reply.ok and reply.ticket, reply
    return reply.ticket.number


def sign_in_by_touch(screen: ApplianceWindow) -> None:
    screen.tap("Ewa Testowa")
    for digit in CLERK_PIN:
        screen.tap(digit)
    screen.wait_text("••••")
    screen.tap("OK")


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)])
def test_a_clerk_works_a_whole_visit_by_touch(
    rig: SiteRig, s1: CounterWatch, tmp_path: Path, size: tuple[int, int]
) -> None:
    first, second = issue(rig), issue(rig)
    screen = ApplianceWindow(
        "counter", "terminal-1", info_file(rig, tmp_path / "i.json"), tmp_path, size
    )
    with screen:
        sign_in_by_touch(screen)
        s1.until(lambda s: s["status"] == "open" and s["clerk"] == "Ewa Testowa", "signed in")

        # Przywołaj: the hub calls the first visitor and the terminal shows the number.
        screen.tap("Przywołaj")
        s1.until(lambda s: s["current"] and s["current"]["number"] == first, f"{first} called")
        screen.wait_text(first)
        screen.wait_text("Wezwany (1. wezwanie)")

        calls = len(s1.calls)
        screen.tap("Przywołaj ponownie")
        s1.until(lambda s: len(s1.calls) > calls, "announced again")
        assert s1.calls[-1]["recall"] and first in json.dumps(s1.calls[-1]), s1.calls[-1]

        screen.tap("Rozpocznij")
        s1.until(lambda s: s["current"]["state"] == "serving", "service started")
        screen.wait_text("W obsłudze")

        served = s1.latest["served_today"]  # type: ignore[index]
        screen.tap("Zakończ")
        s1.until(lambda s: s["current"] is None and s["served_today"] == served + 1, "finished")

        # The next visitor does not come: "Nie zgłosił się" puts them among the skipped.
        screen.tap("Przywołaj")
        s1.until(lambda s: s["current"] and s["current"]["number"] == second, f"{second} called")
        screen.tap("Nie zgłosił się")
        s1.until(lambda s: s["current"] is None and second in s["skipped"], "no-show")

        # Przekaż: a third visitor is sent on to counter 2 through the popup.
        third = issue(rig)
        screen.tap("Przywołaj")
        s1.until(lambda s: s["current"] and s["current"]["number"] == third, f"{third} called")
        screen.tap("Rozpocznij")
        s1.until(lambda s: s["current"]["state"] == "serving", "third started")
        screen.tap("Przekaż")
        screen.tap("Stanowisko 2")
        s1.until(lambda s: s["current"] is None, "transferred away")

        screen.tap("Przerwa")
        s1.until(lambda s: s["status"] == "paused", "paused")
        screen.tap("Wznów")
        s1.until(lambda s: s["status"] == "open", "resumed")

        screen.tap("Wyloguj")
        s1.until(lambda s: s["status"] == "closed", "signed out")
        screen.button("Ewa Testowa")  # back on the sign-in screen
        assert "Przywołaj" not in screen.buttons()


def test_only_what_can_happen_next_is_enabled(
    rig: SiteRig, s1: CounterWatch, tmp_path: Path
) -> None:
    """A called visitor can be recalled, started or marked absent, not finished or left for
    a break; a visitor is counted as served only once their service started."""
    number = issue(rig)
    screen = ApplianceWindow("counter", "terminal-1", info_file(rig, tmp_path / "i.json"), tmp_path)
    with screen:
        sign_in_by_touch(screen)
        s1.until(lambda s: s["status"] == "open", "signed in")
        served = s1.latest["served_today"]  # type: ignore[index]
        screen.tap("Przywołaj")
        s1.until(lambda s: s["current"] and s["current"]["number"] == number, "called")
        screen.wait_text("Wezwany (1. wezwanie)")
        buttons = screen.buttons()
        assert buttons["Zakończ"].disabled and buttons["Przerwa"].disabled
        assert buttons["Wyloguj"].disabled and buttons["Przywołaj"].disabled
        assert not buttons["Rozpocznij"].disabled and not buttons["Nie zgłosił się"].disabled
        # A tap on a disabled "Zakończ" changes nothing at the hub.
        screen.tap_at(*buttons["Zakończ"].centre)
        screen.tap("Rozpocznij")
        s1.until(lambda s: s["current"]["state"] == "serving", "started")
        assert s1.latest["served_today"] == served  # type: ignore[index]
        screen.tap("Zakończ")
        s1.until(lambda s: s["served_today"] == served + 1, "served once started")
        screen.tap("Wyloguj")
        s1.until(lambda s: s["status"] == "closed", "signed out")


def test_a_finish_of_a_visitor_never_started_is_refused_by_the_hub(
    rig: SiteRig, s1: CounterWatch
) -> None:
    """The terminal's rule holds at the hub too: no old terminal counts a no-show as served."""
    number = issue(rig)
    with HubClient(rig.creds("terminal-1")) as t:
        t.request(
            Operation.SIGN_IN,
            msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
        )
        t.request(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
        s1.until(lambda s: s["current"] and s["current"]["number"] == number, "called")
        reply = t.request(Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id()))
        assert not reply.ok and reply.error is not None
        paused = t.request(Operation.PAUSE_COUNTER, msg.CounterRequest(request_id=new_request_id()))
        assert not paused.ok
        t.request(Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id()))
        assert t.request(
            Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id())
        ).ok


CLERKS = (
    "Anna Nowak",
    "Piotr Wiśniewski",
    "Katarzyna Wójcik",
    "Tomasz Kamiński",
    "Magdalena Lewandowska",
    "Paweł Zieliński",
    "Joanna Szymańska",
)


@pytest.mark.parametrize("size", [(800, 480), (1024, 600)])
def test_sign_in_names_are_readable(tmp_path: Path, size: tuple[int, int]) -> None:
    """A location with eight clerks: every name is a finger-sized button that a person (and
    Tesseract) can read off the screen, and the one chosen by a tap signs in."""
    (tmp_path / "site").mkdir()
    rig = make_rig(tmp_path / "site", more_clerks=CLERKS)
    hub = rig.hub().start()
    try:
        screen = ApplianceWindow(
            "counter", "terminal-1", info_file(rig, tmp_path / "i.json"), tmp_path, size
        )
        with screen:
            for name in ("Ewa Testowa", *CLERKS[:5]):
                button = screen.button(name)
                assert button.h >= 56 and button.w >= 150, button
            text = ocr(screen.screenshot(tmp_path / "signin.png"))
            for name in ("Ewa Testowa", *CLERKS[:5]):
                assert all(part in text for part in name.split()), (name, text)
            watch = CounterWatch(rig, "s1")
            try:
                screen.tap("Tomasz Kamiński")
                for digit in CLERK_PIN:
                    screen.tap(digit)
                screen.tap("OK")
                watch.until(lambda s: s["clerk"] == "Tomasz Kamiński", "Tomasz signed in")
            finally:
                watch.stop()
    finally:
        hub.stop()
        rig.broker.stop()


def test_the_offline_notice_and_popups_never_block_the_buttons(tmp_path: Path) -> None:
    """Layers that come and go: a wrong PIN corrected with "<", the transfer popup closed
    with "Anuluj", and the hub gone and back (the offline notice covers the screen, then
    must let every tap through again)."""
    (tmp_path / "site").mkdir()
    rig = make_rig(tmp_path / "site")
    hub = rig.hub().start()
    watch = CounterWatch(rig, "s1")
    try:
        number = issue(rig)
        info = info_file(rig, tmp_path / "i.json")
        with ApplianceWindow("counter", "terminal-1", info, tmp_path) as screen:
            screen.tap("Ewa Testowa")
            for key in ("9", "<", *CLERK_PIN):
                screen.tap(key)
            screen.wait_text("Ewa Testowa  PIN: ••••")
            screen.tap("OK")
            watch.until(lambda s: s["status"] == "open", "signed in")
            screen.tap("Przywołaj")
            watch.until(lambda s: s["current"] and s["current"]["number"] == number, "called")
            screen.tap("Przekaż")
            screen.tap("Anuluj")
            screen.tap("Rozpocznij")  # the popup is gone, and took no tap with it
            watch.until(lambda s: s["current"]["state"] == "serving", "started")

            hub.stop()
            screen.wait_text("Brak połączenia z serwerem")
            hub = rig.hub().start()
            screen.wait_for(lambda s: "Brak połączenia" not in s.texts(), "still offline", 30)
            screen.tap("Zakończ")
            watch.until(lambda s: s["current"] is None and s["served_today"] == 1, "finished")
    finally:
        watch.stop()
        hub.stop()
        rig.broker.stop()
