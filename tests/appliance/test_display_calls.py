"""The hall display against a real hub over real MQTT: one row per ticket and counter, only each
counter's visitor now highlighted, a recall flashing its existing row, the site's panel of
waiting numbers and long service names that wrap instead of being cut; checked on the
presenter's model and on real-window screenshots under Xvfb (pixels and tesseract)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from appliance.common.hub_client import HubClient, new_request_id
from appliance.display.presenter import DisplayPresenter
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.appliance.test_screens import HIGHLIGHT, SIZES, info_file, screenshot
from tests.conftest import SiteRig, make_rig
from tests.support.hubproc import HubProcess
from tests.support.ocr import read_words
from tests.support.sitefile import CLERK_PIN

Connect = Callable[[str], HubClient]
LONG_NAME = "Działalność gospodarcza (CEIDG)"


def hall_site(text: str) -> str:
    """The test site with seed 004's longest service name and the waiting-numbers panel on."""
    text = text.replace('name = "Sprawy meldunkowe"', f'name = "{LONG_NAME}"')
    return text.replace(
        "priority_streak = 2\n", "priority_streak = 2\ndisplay_waiting_numbers = true\n"
    )


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRig]:
    r = make_rig(tmp_path_factory.mktemp("hall"), edit=hall_site)
    yield r
    r.broker.stop()


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def press(
    terminal: HubClient, operation: Operation, request: msg.Request | None = None
) -> msg.Reply:
    if operation == Operation.FINISH_SERVICE:  # only a started visit can be finished
        state = terminal.request(
            Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id())
        )
        assert state.ok or (state.error and state.error.code == "no_current_ticket"), state.error
    reply = terminal.request(operation, request or msg.CounterRequest(request_id=new_request_id()))
    assert reply.ok, reply.error
    return reply


def signed_in(client: HubClient) -> HubClient:
    press(
        client,
        Operation.SIGN_IN,
        msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
    )
    return client


def issue(dispenser: HubClient, service: str) -> str:
    reply = dispenser.request(
        Operation.ISSUE_TICKET, msg.IssueTicketRequest(request_id=new_request_id(), service=service)
    )
    assert reply.ok and reply.ticket, reply.error
    return reply.ticket.number


def called(terminal: HubClient, operation: Operation = Operation.CALL_NEXT) -> str:
    ticket = press(terminal, operation).ticket
    assert ticket is not None
    return ticket.number


def rows_of(display: DisplayPresenter, number: str, counter: str) -> list[tuple[bool, bool]]:
    """(highlighted, flashing) of every row the display shows for a ticket at a counter."""
    return [
        (r.highlighted, r.flashing)
        for r in display.model().calls
        if (r.number, r.counter) == (number, counter)
    ]


def test_a_recall_flashes_the_one_row_of_its_ticket_again(hub: HubProcess, connect: Connect):
    display = DisplayPresenter(connect("display-1"), flash_s=1.0)
    eventually(lambda: display.model().available)
    terminal = signed_in(connect("terminal-1"))
    issue(connect("dispenser-1"), "dowody")
    number = called(terminal)
    eventually(lambda: rows_of(display, number, "1") == [(True, True)])
    eventually(lambda: rows_of(display, number, "1") == [(True, False)])  # the flash is over
    press(terminal, Operation.RECALL)
    press(terminal, Operation.RECALL)
    # Still one row for the ticket, on top, highlighted and flashing again.
    eventually(lambda: rows_of(display, number, "1") == [(True, True)])
    assert display.model().calls[0].number == number
    time.sleep(0.3)
    assert rows_of(display, number, "1") == [(True, True)]
    press(terminal, Operation.FINISH_SERVICE)


def test_finished_or_transferred_tickets_are_highlighted_no_more(hub: HubProcess, connect: Connect):
    display = DisplayPresenter(connect("display-1"))  # a call flashes for 8 s
    eventually(lambda: display.model().available)
    terminal, dispenser = signed_in(connect("terminal-2")), connect("dispenser-1")
    issue(dispenser, "meldunki")
    first = called(terminal)
    eventually(lambda: rows_of(display, first, "2") == [(True, True)])
    press(terminal, Operation.FINISH_SERVICE)
    # Well within the 8 s of the flash, the finished ticket is a plain row.
    eventually(lambda: rows_of(display, first, "2") == [(False, False)], timeout=3)
    issue(dispenser, "meldunki")
    second = called(terminal)
    eventually(lambda: rows_of(display, second, "2") == [(True, True)])
    press(
        terminal,
        Operation.TRANSFER,
        msg.TransferRequest(request_id=new_request_id(), to_service="nieczynne"),
    )
    eventually(lambda: rows_of(display, second, "2") == [(False, False)], timeout=3)
    assert not any(r.highlighted for r in display.model().calls if r.counter == "2")


def test_the_no_show_recall_leaves_one_highlighted_row_for_the_counter(
    hub: HubProcess, connect: Connect
):
    display = DisplayPresenter(connect("display-1"))
    eventually(lambda: display.model().available)
    terminal, dispenser = signed_in(connect("terminal-3")), connect("dispenser-2")
    issue(dispenser, "dowody"), issue(dispenser, "dowody")
    missed = called(terminal)
    press(terminal, Operation.NO_SHOW)
    served = called(terminal)
    reply = press(terminal, Operation.FINISH_SERVICE)  # the no-show rule calls `missed` again
    assert reply.counter and reply.counter.current and reply.counter.current.number == missed

    def counter_3() -> list[tuple[str, bool]]:
        return [(r.number, r.highlighted) for r in display.model().calls if r.counter == "3"]

    eventually(lambda: counter_3()[:2] == [(missed, True), (served, False)])
    assert [n for n, lit in counter_3() if lit] == [missed]
    assert [n for n, _ in counter_3()].count(missed) == 1
    press(terminal, Operation.FINISH_SERVICE)
    eventually(lambda: not any(lit for _, lit in counter_3()))


# --- the real window -------------------------------------------------------------------------


def highlighted_rows(img: Image.Image) -> int:
    """Yellow row backgrounds down the left edge of the calls column."""
    x = int(img.width * 0.03)
    runs, length = 0, 0
    for y in range(int(img.height * 0.12), img.height):
        pixel = img.getpixel((x, y))
        assert isinstance(pixel, tuple)
        if all(abs(a - b) <= 40 for a, b in zip(pixel[:3], HIGHLIGHT, strict=True)):
            length += 1
            continue
        runs += length >= img.height * 0.03
        length = 0
    return runs + (length >= img.height * 0.03)


@pytest.fixture(scope="module")
def busy_hall(rig: SiteRig, hub: HubProcess) -> Iterator[dict[str, str]]:
    """Counter 3: a recalled no-show; counter 1: a visitor recalled twice; counter 2: served.
    Two dowody tickets still wait."""
    clients = {d: HubClient(rig.creds(d)).start() for d in ("dispenser-1", *TERMINALS)}
    try:
        d = clients["dispenser-1"]
        t1, t2, t3 = (signed_in(clients[t]) for t in TERMINALS)
        for _ in range(5):
            issue(d, "dowody")
        issue(d, "meldunki")
        missed = called(t3)
        press(t3, Operation.NO_SHOW)
        called(t3)
        press(t3, Operation.FINISH_SERVICE)  # `missed` is called again at counter 3
        recalled = called(t1)
        press(t1, Operation.RECALL), press(t1, Operation.RECALL)
        called(t2)
        press(t2, Operation.FINISH_SERVICE)
        # Two more, so two wait whatever the module's earlier tests left in the queue (their
        # leftovers are called first, and how many there are depends on their timing).
        issue(d, "dowody"), issue(d, "dowody")
        yield {"3": missed, "1": recalled}
    finally:
        for c in clients.values():
            c.stop()


TERMINALS = ("terminal-1", "terminal-2", "terminal-3")


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run")
@pytest.mark.parametrize("size", SIZES)
def test_the_window_highlights_each_counters_visitor_once_and_shows_whole_names(
    busy_hall: dict[str, str],
    rig: SiteRig,
    connect: Connect,
    tmp_path: Path,
    size: tuple[int, int],
):
    display = DisplayPresenter(connect("display-1"))

    def waiting_a() -> tuple[str, ...]:
        return next((w.numbers for w in display.model().waiting if w.prefix == "A"), ())

    # The retained queue state arrives in its own message: wait for the hall as it stands.
    eventually(lambda: display.model().available and len(waiting_a()) >= 2)
    model = display.model()
    lit = [(r.number, r.counter) for r in model.calls if r.highlighted]
    assert sorted(lit) == sorted((n, c) for c, n in busy_hall.items())
    rows = [(r.number, r.counter) for r in model.calls]
    assert len(rows) == len(set(rows))
    waiting = next(w for w in model.waiting if w.prefix == "A").numbers
    assert len(waiting) >= 2

    img = screenshot(
        info_file(rig, tmp_path / "i.json"), "display", "display-1", tmp_path / "d.png", size
    )
    assert highlighted_rows(img) == 2  # counters 1 and 3; not the recalls, not the served
    # The long name is whole ("Działalność gospodarcza (CEIDG)"), never "Działalność …rcza".
    names = read_words(img, (0.62, 0.12, 1.0, 0.8), tmp_path / "names.png")
    assert "gospodarcza" in names and any(w.startswith("Działaln") for w in names), names
    # The panel lists the waiting numbers, read without its heading. Tesseract sometimes takes
    # the letter for a digit ("4007"), so the three digits of each number are what must match.
    panel = read_words(img, (0.165, 0.8, 1.0, 1.0), tmp_path / "panel.png")
    digits = {w.replace("O", "0")[-3:] for w in panel}
    assert {n[-3:] for n in waiting[:2]} <= digits, panel
