"""The hub through its MQTT contract: a real Mosquitto, the hub as a real process, devices with
their own accounts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.support.hubproc import HubProcess
from tests.support.sitefile import CLERK_PIN

Connect = Callable[[str], HubClient]


class Inbox:
    """Collects a topic's messages for a device client."""

    def __init__(self, client: HubClient, topic: str) -> None:
        self.items: list[tuple[str, dict]] = []
        self._cv = threading.Condition()
        client.subscribe(topic, self._on)

    def _on(self, topic: str, payload: bytes) -> None:
        with self._cv:
            self.items.append((topic, json.loads(payload)))
            self._cv.notify_all()

    def wait_for(self, pred: Callable[[dict], bool], timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for _, item in self.items:
                    if pred(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching message; got {self.items[-3:]}")
                self._cv.wait(left)


def issue(client: HubClient, service: str = "dowody", **kw: object) -> msg.Reply:
    req = msg.IssueTicketRequest(request_id=new_request_id(), service=service, **kw)  # type: ignore[arg-type]
    return client.request(Operation.ISSUE_TICKET, req)


def counter_op(client: HubClient, op: Operation) -> msg.Reply:
    return client.request(op, msg.CounterRequest(request_id=new_request_id()))


def sign_in(client: HubClient, pin: str = CLERK_PIN) -> msg.Reply:
    req = msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=pin)
    return client.request(Operation.SIGN_IN, req)


def test_dispenser_gets_a_numbered_ticket_with_eticket_link(hub: HubProcess, connect: Connect):
    d = connect("dispenser-1")
    first, second = issue(d), issue(d)
    assert first.ok and second.ok
    assert first.ticket and second.ticket
    n1, n2 = int(first.ticket.number[1:]), int(second.ticket.number[1:])
    assert first.ticket.number.startswith("A") and n2 == n1 + 1
    assert second.ticket.people_ahead >= 1
    assert first.ticket.eticket_url and first.ticket.eticket_url.startswith(
        "https://okienko.example/e/"
    )
    # E-ticket links are public: they must not be guessable from one another.
    assert first.ticket.eticket_url[-16:] != second.ticket.eticket_url[-16:]


def test_same_request_id_twice_issues_one_ticket(hub: HubProcess, connect: Connect):
    d = connect("dispenser-1")
    req = msg.IssueTicketRequest(request_id=new_request_id(), service="dowody")
    a = d.request(Operation.ISSUE_TICKET, req)
    b = d.request(Operation.ISSUE_TICKET, req)  # a QoS 1 redelivery or a retry looks like this
    after = issue(d)
    assert a.ticket and b.ticket and after.ticket
    assert a.ticket.id == b.ticket.id
    assert int(after.ticket.number[1:]) == int(a.ticket.number[1:]) + 1


def test_call_reaches_displays_with_announcement(hub: HubProcess, connect: Connect):
    display = connect("display-1")
    calls = Inbox(display, display.topics.all_called)
    board = Inbox(display, display.topics.queue_state)
    d, t = connect("dispenser-2"), connect("terminal-3")
    assert sign_in(t).ok
    ticket = issue(d).ticket
    assert ticket
    # Drain whatever older tickets wait for this counter until ours is called.
    for _ in range(50):
        r = counter_op(t, Operation.CALL_NEXT)
        assert r.ok, r.error
        assert r.ticket
        if r.ticket.number == ticket.number:
            break
        assert counter_op(t, Operation.START_SERVICE).ok
        assert counter_op(t, Operation.FINISH_SERVICE).ok
    called = calls.wait_for(lambda m: m["number"] == ticket.number)
    assert called["counter"] == "s3"
    assert called["announcement"]["pl"].endswith("zapraszamy do stanowiska 3.")
    board.wait_for(
        lambda m: m["recent_calls"][:1] and m["recent_calls"][0]["number"] == ticket.number
    )
    # Recall re-announces the same visitor.
    assert counter_op(t, Operation.RECALL).ok
    calls.wait_for(lambda m: m["number"] == ticket.number and m["recall"])
    assert counter_op(t, Operation.START_SERVICE).ok
    done = counter_op(t, Operation.FINISH_SERVICE)
    assert done.ok and done.counter and done.counter.current is None


def test_counter_state_is_retained_for_a_late_display(hub: HubProcess, connect: Connect):
    t = connect("terminal-1")
    assert sign_in(t).ok
    late = connect("cdisplay-1")  # a counter display that connects after the fact
    state = Inbox(late, late.topics.counter_state("s1"))
    got = state.wait_for(lambda m: m["counter"] == "s1")
    assert got["status"] == "open" and got["clerk"] == "Ewa Testowa"


def test_refusals_are_replies_not_silence(hub: HubProcess, connect: Connect):
    d = connect("dispenser-1")
    closed = issue(d, "nieczynne")
    assert not closed.ok and closed.error
    assert closed.error.code == "service_unavailable" and closed.error.reason == "closed"
    unknown = issue(d, "nie-ma-takiej")
    assert not unknown.ok and unknown.error and unknown.error.code == "unknown_service"
    t = connect("terminal-2")
    wrong = sign_in(t, pin="0000")
    assert not wrong.ok and wrong.error and wrong.error.code == "bad_pin"


def test_daily_limit_stops_issuing(hub: HubProcess, connect: Connect):
    d = connect("dispenser-2")
    results = [issue(d, "meldunki") for _ in range(4)]
    assert [r.ok for r in results] == [True, True, True, False]
    assert results[-1].error and results[-1].error.reason == "daily_limit"


def test_malformed_payloads_get_error_replies_and_hub_survives(hub: HubProcess, connect: Connect):
    d = connect("dispenser-1")
    replies = Inbox(d, d.topics.reply("dispenser-1"))
    topic = d.topics.command("dispenser-1", Operation.ISSUE_TICKET)
    bad = [
        b"not json",
        b"{}",
        b'{"v": 1, "request_id": "abcdefgh-1", "service": 7}',
        b'{"v": 2, "request_id": "abcdefgh-2", "service": "dowody"}',
        b'{"v": 1, "request_id": "abcdefgh-3", "service": "dowody", "extra": true}',
        b"\xff\xfe" * 10,
        b"[" * 5000,
    ]
    for payload in bad:
        d.mqtt.publish(topic, payload, qos=1).wait_for_publish(5)
    replies.wait_for(lambda m: m["request_id"] == "abcdefgh-3" and m["ok"] is False)
    errors = [m for _, m in replies.items if not m["ok"]]
    assert all(m["error"]["code"] == "bad_request" for m in errors)
    # An operation a dispenser may not perform is refused, not executed.
    d.mqtt.publish(
        d.topics.command("dispenser-1", "call_next"), b'{"v":1,"request_id":"abcdefgh-4"}', qos=1
    ).wait_for_publish(5)
    assert hub.alive()
    assert issue(d).ok


@pytest.mark.parametrize("op", [Operation.RECALL, Operation.START_SERVICE, Operation.NO_SHOW])
def test_counter_buttons_without_a_visitor_say_why(hub: HubProcess, connect: Connect, op):
    t = connect("terminal-2")
    assert sign_in(t).ok
    r = counter_op(t, op)
    assert not r.ok and r.error and r.error.code == "no_current_ticket"


def test_queue_state_shows_waiting_and_estimate(hub: HubProcess, connect: Connect):
    display = connect("display-1")
    board = Inbox(display, display.topics.queue_state)
    d = connect("dispenser-1")
    before = board.wait_for(lambda m: True)
    waiting_before = next(s for s in before["services"] if s["id"] == "dowody")["waiting"]
    assert issue(d).ok
    after = board.wait_for(
        lambda m: (
            next(s for s in m["services"] if s["id"] == "dowody")["waiting"] == waiting_before + 1
        )
    )
    dowody = next(s for s in after["services"] if s["id"] == "dowody")
    assert dowody["availability"] == "open"
    closed = next(s for s in after["services"] if s["id"] == "nieczynne")
    assert closed["availability"] == "closed"
