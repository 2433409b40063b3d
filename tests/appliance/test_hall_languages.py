"""Issue 14: the hall voice stays Polish; a site may add a second language to every call. A real
hub and broker, the hall display's presenter and pyttsx3 on espeak-ng (WAVs checked)."""

from __future__ import annotations

import logging
import subprocess
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appliance.common.hub_client import HubClient, new_request_id
from appliance.display.presenter import DisplayPresenter
from hub.config import Site
from hub.contract import messages as msg
from hub.contract.topics import Operation
from hub.spoken import spoken_letters
from tests.conftest import SiteRig, make_rig
from tests.support.hubproc import HubProcess
from tests.support.sitefile import CLERK_PIN

Connect = Callable[[str], HubClient]


def ukrainian_too(text: str) -> str:
    return text.replace(
        "priority_streak = 2\n", 'priority_streak = 2\nhall_languages = ["pl", "uk"]\n'
    )


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRig]:
    r = make_rig(tmp_path_factory.mktemp("hall-uk"), edit=ukrainian_too)
    yield r
    r.broker.stop()


class WavRecorder:
    """A player that keeps how long each WAV it was given lasts (no sound card here)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def play(self, path: Path) -> None:
        with wave.open(str(path)) as w:
            self.seconds.append(w.getnframes() / w.getframerate())


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_a_call_is_said_in_polish_then_in_ukrainian_in_the_ukrainian_voice(
    hub: HubProcess, connect: Connect, caplog: pytest.LogCaptureFixture
):
    from appliance.speech.announcer import Announcer
    from appliance.speech.tts import Pyttsx3Synthesizer

    caplog.set_level(logging.INFO, logger="okienko.appliance.speech")
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
        issued = connect("dispenser-2").request(
            Operation.ISSUE_TICKET,
            msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
        )
        assert issued.ok and issued.ticket
        number = int(issued.ticket.number[1:])
        assert terminal.request(
            Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id())
        ).ok
        eventually(lambda: len(announcer.played) >= 2, timeout=30)
        assert announcer.wait_idle(30)
        played = announcer.played
        assert [(p.language, p.outcome) for p in played] == [("pl", "spoken"), ("uk", "spoken")]
        assert played[0].text == f"Numer A {number}, zapraszamy do stanowiska 1."
        # The letter by its Ukrainian name, the number as a number (not "нуль нуль один").
        assert played[1].text == f"Талон а {number}, запрошуємо до вікна 1."
        # Each phrase in its own language's voice.
        voices = [r.getMessage() for r in caplog.records if "uses voice" in r.getMessage()]
        assert "speech: language pl uses voice zlw/pl" in voices
        assert "speech: language uk uses voice zle/uk" in voices
        # One chime for the call, then two real spoken WAVs (a second of speech or more each).
        assert len(player.seconds) == 3, player.seconds
        assert player.seconds[1] > 1.0 and player.seconds[2] > 1.0
        terminal.request(Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id()))
        terminal.request(Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id()))
    finally:
        announcer.close()


def test_the_ukrainian_call_is_read_right_by_espeak_ngs_ukrainian_voice():
    """The site's default Ukrainian sentence for "AB012" at counter 12, as espeak-ng's zle/uk
    voice reads it: Ukrainian letter names and "дванадцять", never English or digit by digit."""
    template = Site.model_fields["announcement_uk"].default
    text = template.format(letters=spoken_letters("AB", "uk"), number=12, counter="12", ticket="")
    phonemes = subprocess.run(
        ["espeak-ng", "-q", "-x", "-v", "zle/uk", text],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert "(en)" not in phonemes  # a Latin letter would switch to the English voice
    assert "'A b'e" in phonemes
    assert phonemes.count("dv;'janadtsjat;") == 2, phonemes  # number and counter: 12


def _called(uk: str | None, languages: list[str]) -> msg.TicketCalled:
    return msg.TicketCalled.model_validate(
        {
            "number": "A012",
            "service": "dowody",
            "counter": "s1",
            "counter_name": "Stanowisko 1",
            "counter_number": "1",
            "at": "2026-03-02T09:00:00+01:00",
            "call_no": 1,
            "recall": False,
            "auto": False,
            "announcement": {"pl": "Numer A 12.", "en": "Number A 12.", "uk": uk},
            "hall_languages": languages,
        }
    )


@pytest.mark.parametrize(
    ("display", "uk", "languages", "said"),
    [
        ("pl", "Талон а 12.", ["pl", "uk"], [("pl", "Numer A 12."), ("uk", "Талон а 12.")]),
        ("uk", "Талон а 12.", ["pl"], [("pl", "Numer A 12.")]),  # a Ukrainian screen: Polish
        ("en", "Талон а 12.", ["pl", "uk"], [("en", "Number A 12."), ("uk", "Талон а 12.")]),
        ("pl", None, ["pl", "uk"], [("pl", "Numer A 12.")]),  # no text for it: left out
        ("en", None, ["pl", "en"], [("en", "Number A 12.")]),  # English is not said twice
    ],
)
def test_what_the_hall_voice_says_follows_the_site_and_the_display(
    display: str, uk: str | None, languages: list[str], said: list[tuple[str, str]]
):
    from appliance.display.presenter import hall_phrases

    assert hall_phrases(_called(uk, languages), display) == said
