"""The dispenser's "czas oczekiwania" against a real hub: unknown only until someone has served
the service; a break or a sign-out afterwards keeps the estimate from today's service times."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from appliance.common.hub_client import HubClient, new_request_id
from appliance.dispenser.presenter import DispenserPresenter
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.support.hubproc import HubProcess
from tests.support.sitefile import CLERK_PIN

Connect = Callable[[str], HubClient]
UNKNOWN = "czas oczekiwania nieznany"


class Printer:
    def print_ticket(self, ticket: Any) -> None:
        pass

    def status(self) -> msg.PrinterState:
        return msg.PrinterState.OK


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_the_wait_is_known_once_served_even_on_a_break_or_after_sign_out(
    hub: HubProcess, connect: Connect
):
    dispenser = DispenserPresenter(connect("dispenser-1"), Printer(), run=lambda fn: fn())
    eventually(lambda: dispenser.model().available)

    def wait(service: str) -> str:
        return next(t.wait_text for t in dispenser.model().tiles if t.service == service)

    assert wait("dowody") == UNKNOWN  # no counter open, nobody served yet
    terminal = connect("terminal-1")

    def press(operation: Operation, request: msg.Request | None = None) -> None:
        reply = terminal.request(
            operation, request or msg.CounterRequest(request_id=new_request_id())
        )
        assert reply.ok, reply.error

    press(
        Operation.SIGN_IN,
        msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
    )
    for _ in range(3):
        dispenser.choose_service("dowody")
    press(Operation.CALL_NEXT)
    press(Operation.START_SERVICE)
    time.sleep(1.0)  # a service that takes a measurable while
    press(Operation.FINISH_SERVICE)
    eventually(lambda: wait("dowody") != UNKNOWN)

    press(Operation.PAUSE_COUNTER)  # the clerk's break: no counter open for "dowody"
    eventually(lambda: _status(dispenser, "s1") == "paused")
    assert wait("dowody") == "bez czekania"  # 2 ahead x ~1 s of measured service
    # Nobody has served "meldunki" today and no counter is open for it: unknown is honest.
    assert wait("meldunki") == UNKNOWN
    press(Operation.RESUME_COUNTER)
    press(Operation.CLOSE_COUNTER)  # signed out: the estimate stays known
    eventually(lambda: _status(dispenser, "s1") == "closed")
    assert wait("dowody") == "bez czekania"


def _status(dispenser: DispenserPresenter, counter: str) -> str:
    queue = dispenser.queue
    assert queue is not None
    return next(str(c.status) for c in queue.counters if c.id == counter)
