"""Appliance presenters against a real hub and Mosquitto: what each screen would show."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from appliance.common.hub_client import HubClient, new_request_id
from appliance.counter.presenter import CounterPresenter
from appliance.counter_display.presenter import CounterDisplayPresenter
from appliance.display.presenter import DisplayPresenter
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.support.hubproc import HubProcess
from tests.support.sitefile import CLERK_PIN

Connect = Callable[[str], HubClient]


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


class Spoken:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.languages: list[str | None] = []

    def announce(self, text: str, language: str | None = None, *, chime: bool = True) -> None:
        self.texts.append(text)
        self.languages.append(language)


def test_counter_terminal_signs_in_calls_and_explains_refusals(hub: HubProcess, connect: Connect):
    client = connect("terminal-2")
    inline = lambda fn: fn()  # noqa: E731 - run commands synchronously in the test
    counter = CounterPresenter(client, "s2", run=inline)
    eventually(lambda: counter.model().available)
    model = counter.model()
    assert "Ewa Testowa" in dict(model.clerks).values()
    counter.sign_in("ewa", "9999")
    assert "Błędny PIN" in counter.model().message
    counter.sign_in("ewa", CLERK_PIN)
    eventually(lambda: counter.model().signed_in)
    labels = {b.label: b.enabled for b in counter.model().buttons}
    assert labels["Przywołaj"] and not labels["Przywołaj ponownie"]

    dispenser = connect("dispenser-1")
    issued = dispenser.request(
        Operation.ISSUE_TICKET,
        msg.IssueTicketRequest(request_id=new_request_id(), service="meldunki"),
    )
    assert issued.ok
    counter.press(Operation.CALL_NEXT)
    model = counter.model()
    assert model.ticket and model.ticket_state.startswith("Wezwany")
    assert {b.label: b.enabled for b in model.buttons}["Przywołaj ponownie"]
    counter.press(Operation.CALL_NEXT)  # the visitor is only called: the hub refuses
    assert "Najpierw" in counter.model().message
    assert not {b.label: b.enabled for b in counter.model().buttons}["Zakończ"]
    counter.press(Operation.START_SERVICE)
    assert {b.label: b.enabled for b in counter.model().buttons}["Zakończ"]
    counter.press(Operation.FINISH_SERVICE)
    eventually(lambda: counter.model().ticket == "")
    assert counter.model().served_today >= 1


def test_counter_terminal_calls_a_no_show_again_when_nobody_else_waits(
    hub: HubProcess, connect: Connect
):
    client = connect("terminal-3")  # s3 serves "dowody" only
    inline = lambda fn: fn()  # noqa: E731 - run commands synchronously in the test
    counter = CounterPresenter(client, "s3", run=inline)
    eventually(lambda: counter.model().available)
    counter.sign_in("ewa", CLERK_PIN)
    eventually(lambda: counter.model().signed_in)
    # Serve whoever earlier tests left waiting, so that nobody else waits here.
    for _ in range(20):
        counter.press(Operation.CALL_NEXT)
        if counter.model().ticket == "":
            break
        counter.press(Operation.FINISH_SERVICE)
    assert "Nikt nie czeka" in counter.model().message

    dispenser = connect("dispenser-1")
    issued = dispenser.request(
        Operation.ISSUE_TICKET,
        msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
    )
    assert issued.ok and issued.ticket is not None
    number = issued.ticket.number
    counter.press(Operation.CALL_NEXT)
    assert counter.model().ticket == number
    counter.press(Operation.NO_SHOW)
    model = counter.model()
    assert model.ticket == "" and ("Do ponownego wezwania", 1) in model.waiting

    # Nobody else waits: "Przywołaj" calls the visitor again (the second of three calls).
    counter.press(Operation.CALL_NEXT)
    model = counter.model()
    assert model.message == ""
    assert model.ticket == number and model.ticket_state == "Wezwany (2. wezwanie)"
    assert not any(name.startswith("Do ponownego") for name, _n in model.waiting)
    counter.press(Operation.NO_SHOW)
    counter.press(Operation.CALL_NEXT)
    assert counter.model().ticket_state == "Wezwany (3. wezwanie)"
    counter.press(Operation.NO_SHOW)  # the third call missed: off the queue
    counter.press(Operation.CALL_NEXT)
    assert counter.model().ticket == "" and "Nikt nie czeka" in counter.model().message
    counter.press(Operation.CLOSE_COUNTER)


def test_group_display_shows_and_speaks_a_new_call(hub: HubProcess, connect: Connect):
    spoken = Spoken()
    display = DisplayPresenter(connect("display-1"), speaker=spoken)
    eventually(lambda: display.model().available)
    assert display.model().site_name == "Urząd testowy"
    terminal, dispenser = connect("terminal-3"), connect("dispenser-2")
    terminal.request(
        Operation.SIGN_IN,
        msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
    )
    dispenser.request(
        Operation.ISSUE_TICKET,
        msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
    )
    reply = terminal.request(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
    assert reply.ok and reply.ticket
    number = reply.ticket.number
    # The state and the call event travel separately; the newest call ends up highlighted.
    eventually(
        lambda: (
            bool(display.model().calls)
            and display.model().calls[0].number == number
            and display.model().calls[0].highlighted
        )
    )
    assert display.model().calls[0].counter == "3"
    eventually(lambda: any(number[1:].lstrip("0") in t for t in spoken.texts))
    assert any("stanowiska 3" in t for t in spoken.texts)
    terminal.request(Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id()))
    terminal.request(Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id()))


def test_counter_display_shows_the_number_then_break(hub: HubProcess, connect: Connect):
    terminal = connect("terminal-1")
    screen = CounterDisplayPresenter(connect("cdisplay-1"), "s1")
    terminal.request(
        Operation.SIGN_IN,
        msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
    )
    connect("dispenser-1").request(
        Operation.ISSUE_TICKET,
        msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
    )
    reply = terminal.request(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
    assert reply.ok and reply.ticket
    eventually(lambda: screen.model().number == reply.ticket.number)  # type: ignore[union-attr]
    terminal.request(Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id()))
    terminal.request(Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id()))
    terminal.request(Operation.PAUSE_COUNTER, msg.CounterRequest(request_id=new_request_id()))
    eventually(lambda: screen.model().note == "Przerwa" and screen.model().number == "")
    terminal.request(Operation.RESUME_COUNTER, msg.CounterRequest(request_id=new_request_id()))


class WavRecorder:
    """A player that keeps what it was given to play (no sound card here)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def play(self, path) -> None:  # type: ignore[no-untyped-def]
        import wave

        with wave.open(str(path)) as w:
            self.seconds.append(w.getnframes() / w.getframerate())


def test_a_call_is_spoken_in_polish_by_espeak_ng(hub: HubProcess, connect: Connect):
    from appliance.speech.announcer import Announcer
    from appliance.speech.tts import Pyttsx3Synthesizer

    player = WavRecorder()
    announcer = Announcer(Pyttsx3Synthesizer(), player, language="pl")
    try:
        display = DisplayPresenter(connect("display-1"), speaker=announcer)
        eventually(lambda: display.model().available)
        terminal = connect("terminal-1")
        terminal.request(
            Operation.SIGN_IN,
            msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
        )
        connect("dispenser-2").request(
            Operation.ISSUE_TICKET,
            msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
        )
        assert terminal.request(
            Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id())
        ).ok
        # The call event reaches the display on its own; then the announcer works through it.
        eventually(lambda: any(p.outcome == "spoken" for p in announcer.played), timeout=15)
        spoken = [p for p in announcer.played if p.outcome == "spoken"]
        assert spoken and "stanowiska 1" in spoken[-1].text
        # Without `hall_languages` the call is said once, in Polish only (issue 14).
        assert announcer.wait_idle(15)
        assert [(p.language, p.outcome) for p in announcer.played] == [("pl", "spoken")]
        # A chime, then at least a second of speech.
        assert len(player.seconds) >= 2 and player.seconds[-1] > 1.0
        terminal.request(Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id()))
        terminal.request(Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id()))
    finally:
        announcer.close()


def test_an_appliance_announces_its_software_to_the_fleet(rig, hub: HubProcess):  # type: ignore[no-untyped-def]
    from tests.support.observe import watching

    topic = f"okienko/v1/{rig.site_id}/status/cdisplay-1"
    with watching(rig.port, rig.passwords["hub"], topic, rig.ca_file) as got:
        with HubClient(rig.creds("cdisplay-1"), role="counter-display"):
            eventually(lambda: bool(got))
    assert got[-1]["role"] == "counter-display" and got[-1]["software"].startswith("okienko")


# pyttsx3 reports the failed write in its callback as "Exception ignored": expected here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_display_whose_speech_fails_shows_a_speech_fault_in_the_fleet(  # type: ignore[no-untyped-def]
    rig, hub: HubProcess, connect: Connect, tmp_path
):
    from appliance.speech.announcer import Announcer
    from appliance.speech.health import report_speech
    from appliance.speech.tts import Pyttsx3Synthesizer
    from tests.support.observe import watching

    player = WavRecorder()
    workdir = tmp_path / "speech"
    workdir.mkdir()
    (workdir / "call.wav").symlink_to("/dev/full")  # a full disk: every WAV write fails
    topic = f"okienko/v1/{rig.site_id}/status/display-1"
    with watching(rig.port, rig.passwords["hub"], topic, rig.ca_file) as seen:
        client = connect("display-1")
        announcer = Announcer(
            Pyttsx3Synthesizer(timeout_s=1, attempts=2),
            player,
            workdir=workdir,
            on_health=lambda state, detail: report_speech(client, state, detail),
        )
        display = DisplayPresenter(client, speaker=announcer)
        try:
            eventually(lambda: display.model().available)
            terminal = connect("terminal-2")
            terminal.request(
                Operation.SIGN_IN,
                msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
            )
            connect("dispenser-1").request(
                Operation.ISSUE_TICKET,
                msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
            )
            assert terminal.request(
                Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id())
            ).ok
            eventually(lambda: any(s.get("speech") == "failing" for s in seen), timeout=20)
            terminal.request(
                Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id())
            )
        finally:
            announcer.close()
    status = next(s for s in seen if s.get("speech") == "failing")
    assert status["role"] == "display" and "did not finish" in status["detail"]
    assert announcer.played[-1].outcome == "failed"
    assert len(player.seconds) == 1  # the chime played; there was no speech to play


def test_a_ukrainian_hall_display_shows_ukrainian_and_calls_in_polish(
    hub: HubProcess, connect: Connect
):
    """The hall's screen may be Ukrainian; its voice stays Polish (one voice for the whole hall,
    the language most visitors understand), never English instead."""
    spoken = Spoken()
    display = DisplayPresenter(connect("display-1"), speaker=spoken, language="uk")
    eventually(lambda: display.model().available)
    assert display.model().headings["ticket"] == "Талон"
    assert display.model().headings["counter"] == "Вікно"
    terminal, dispenser = connect("terminal-3"), connect("dispenser-2")
    terminal.request(
        Operation.SIGN_IN,
        msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
    )
    dispenser.request(
        Operation.ISSUE_TICKET,
        msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
    )
    reply = terminal.request(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
    assert reply.ok and reply.ticket
    eventually(lambda: any("stanowiska 3" in t for t in spoken.texts))
    terminal.request(Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id()))
    terminal.request(Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id()))
