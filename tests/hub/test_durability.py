"""kill -9 of the hub in the middle of a burst: every ticket a dispenser was told about exists
exactly once after the restart, numbering goes on, and displays get the true state again."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.common.hub_client import HubClient, HubUnavailable, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.conftest import SiteRig, make_rig
from tests.support.observe import waiting_seen_by_display

BURST = 1000
CLIENTS = ("dispenser-1", "dispenser-2", "terminal-1")  # the terminal's role is only to watch


@pytest.fixture
def fresh_rig(tmp_path: Path) -> Iterator[SiteRig]:
    r = make_rig(tmp_path)
    yield r
    r.broker.stop()


def _burst(client: HubClient, count: int, acked: list[msg.Reply], stop: threading.Event) -> None:
    """Issue ``count`` tickets one after another; a request without a reply is retried with the
    same id until it gets one (this is what the dispenser does)."""
    for _ in range(count):
        req = msg.IssueTicketRequest(request_id=new_request_id(), service="dowody")
        while not stop.is_set():
            try:
                reply = client.request(Operation.ISSUE_TICKET, req, timeout=2.0)
            except HubUnavailable:
                continue
            assert reply.ok, reply.error
            acked.append(reply)
            break


def test_kill_9_during_a_burst_loses_and_doubles_nothing(fresh_rig: SiteRig):
    hub = fresh_rig.hub().start()
    dispensers = [HubClient(fresh_rig.creds(d)).start() for d in CLIENTS[:2]]
    acked: list[list[msg.Reply]] = [[] for _ in dispensers]
    stop = threading.Event()
    threads = [
        threading.Thread(target=_burst, args=(c, BURST // 2, acked[i], stop), daemon=True)
        for i, c in enumerate(dispensers)
    ]
    try:
        for t in threads:
            t.start()
        while sum(len(a) for a in acked) < BURST // 3:
            time.sleep(0.01)
        hub.kill9()
        killed_at = sum(len(a) for a in acked)
        time.sleep(0.5)  # requests keep coming while the hub is dead; they wait in the broker
        hub = fresh_rig.hub("hub-restarted").start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "dispensers never got all their replies"
    finally:
        stop.set()
        for c in dispensers:
            c.stop()

    replies = [r for a in acked for r in a]
    assert len(replies) == BURST and killed_at < BURST
    numbers = [r.ticket.number for r in replies if r.ticket]
    ids = {r.ticket.id for r in replies if r.ticket}
    assert len(set(numbers)) == BURST == len(ids), "a ticket was acknowledged twice"
    # Numbering continued without gaps across the crash: A001 … A1000.
    assert sorted(int(n[1:]) for n in numbers) == list(range(1, BURST + 1))

    # The database holds each acknowledged ticket exactly once.
    db = sqlite3.connect(fresh_rig.dir / "hub.sqlite3")
    rows = db.execute("SELECT ticket_id FROM events WHERE type = 'ticket_issued'").fetchall()
    db.close()
    stored = [r[0] for r in rows]
    assert len(stored) == len(set(stored)) == BURST
    assert set(stored) == ids

    # A display connecting now sees the true state: all of them waiting.
    try:
        assert waiting_seen_by_display(fresh_rig.creds("display-1"), "dowody") == BURST
    finally:
        hub.stop()
