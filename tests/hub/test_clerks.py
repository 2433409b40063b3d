"""Clerks' PINs against a real hub process: wrong PINs are counted per clerk in the hub's
database, so a restart forgives nothing and another clerk's sign-in resets nothing; the fifth
locks that clerk for 15 minutes, the terminal says so, and the lockout is a stored event."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appliance.common.hub_client import HubClient, new_request_id
from appliance.common.i18n import gettext_for
from appliance.counter.presenter import CounterPresenter
from hub.clerks import LOCKOUT, MAX_FAILURES
from hub.contract import messages as msg
from hub.contract.topics import Operation
from hub.domain import events as ev
from tests.conftest import SiteRig, make_rig
from tests.support.sitefile import CLERK_PIN

WRONG = "0000"
JAN = "clerk2"  # the second clerk of the test site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRig]:
    rig = make_rig(tmp_path_factory.mktemp("clerks"), more_clerks=("Jan Testowy",))
    yield rig
    rig.broker.stop()


@pytest.fixture
def client(site: SiteRig) -> Iterator[Callable[[str], HubClient]]:
    made: list[HubClient] = []

    def _client(device: str) -> HubClient:
        c = HubClient(site.creds(device)).start()
        made.append(c)
        return c

    yield _client
    for c in made:
        c.stop()


def sign_in(terminal: HubClient, clerk: str, pin: str) -> msg.Reply:
    request = msg.SignInRequest(request_id=new_request_id(), clerk=clerk, pin=pin)
    return terminal.request(Operation.SIGN_IN, request, timeout=10)


def code(reply: msg.Reply) -> str:
    return "ok" if reply.ok else (reply.error.code if reply.error else "?")


def stored_events(database: Path, kind: str) -> list[ev.Event]:
    con = sqlite3.connect(database)
    try:
        rows = con.execute("SELECT body FROM events WHERE type = ?", (kind,)).fetchall()
    finally:
        con.close()
    return [ev.event_from_json(body) for (body,) in rows]


def test_five_wrong_pins_lock_the_clerk_across_restarts_and_other_clerks(
    site: SiteRig, client: Callable[[str], HubClient]
) -> None:
    hub = site.hub().start()
    try:
        t1 = client("terminal-1")
        assert [code(sign_in(t1, "ewa", WRONG)) for _ in range(3)] == ["bad_pin"] * 3
        # The count is in the hub's database, not in its memory.
        hub.stop()
        hub = site.hub("hub-again").start()
        # Another clerk's success, on the same terminal, resets nothing of Ewa's count.
        assert code(sign_in(t1, JAN, CLERK_PIN)) == "ok"
        assert code(sign_in(t1, "ewa", WRONG)) == "bad_pin"
        assert code(sign_in(t1, "ewa", WRONG)) == "clerk_locked"  # the fifth
        # Locked: even her right PIN, on any terminal, is refused without being checked.
        t3 = client("terminal-3")
        assert code(sign_in(t3, "ewa", CLERK_PIN)) == "clerk_locked"
        # Only Ewa is locked: Jan signs in at another terminal.
        assert code(sign_in(client("terminal-2"), JAN, CLERK_PIN)) == "ok"
        # The terminal says so, in Polish, through the counter screen's presenter.
        screen = CounterPresenter(t3, "s3", run=lambda fn: fn())
        screen.sign_in("ewa", CLERK_PIN)
        _ = gettext_for("pl")
        assert screen.model().message == _(
            "Too many wrong PINs: this clerk cannot sign in for 15 minutes. Ask your manager."
        )
        assert "15 minut" in screen.model().message
    finally:
        hub.stop()
    # The lockout is an event like the queue's: stored, and synced to the cloud's reports.
    database = site.dir / "hub.sqlite3"
    (locked,) = stored_events(database, "clerk_locked")
    assert isinstance(locked, ev.ClerkLocked)
    assert (locked.clerk, locked.device, locked.counter) == ("ewa", "terminal-1", "s1")
    assert locked.until - locked.at == LOCKOUT
    assert MAX_FAILURES == 5


def test_guessing_across_clerk_names_locks_the_terminal(
    site: SiteRig, client: Callable[[str], HubClient]
) -> None:
    hub = site.hub("hub-terminal").start()
    try:
        t = client("terminal-2")
        guesses = [code(sign_in(t, f"nobody-{i}", WRONG)) for i in range(MAX_FAILURES)]
        assert guesses == ["bad_pin"] * (MAX_FAILURES - 1) + ["terminal_locked"]
        assert code(sign_in(t, JAN, CLERK_PIN)) == "terminal_locked"
        assert code(sign_in(client("terminal-3"), JAN, CLERK_PIN)) == "ok"
    finally:
        hub.stop()
