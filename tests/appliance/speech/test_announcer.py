"""The announcer: calls spoken one after another (chime, then speech) on a worker thread."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.speech.announcer import Announcer, Played
from appliance.speech.chime import ensure_chime
from appliance.speech.player import wav_seconds
from appliance.speech.tts import Pyttsx3Synthesizer
from hub.contract.messages import SpeechState
from tests.support.audio import assert_is_speech


class FakeSynth:
    """Writes the text itself as the "WAV", after a delay, so the player can tell calls apart."""

    def __init__(self, delay_s: float = 0.0, fail_on: str | None = None) -> None:
        self.delay_s = delay_s
        self.fail_on = fail_on
        self.calls: list[tuple[str, str]] = []

    def to_wav(self, text: str, path: Path, *, language: str) -> None:
        time.sleep(self.delay_s)
        if text == self.fail_on:
            raise RuntimeError("synthesis broke")
        self.calls.append((text, language))
        path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Sound:
    what: str  # "chime" or the call's text
    start: float
    end: float


class RecordingPlayer:
    """Takes `seconds` per file and records what it played, when; flags any overlap."""

    def __init__(self, chime: Path, seconds: float = 0.03) -> None:
        self.chime = chime
        self.seconds = seconds
        self.sounds: list[Sound] = []
        self._busy = threading.Lock()

    def play(self, path: Path) -> None:
        if not self._busy.acquire(blocking=False):
            raise AssertionError("two sounds at once")
        try:
            start = time.monotonic()
            what = "chime" if path == self.chime else path.read_text(encoding="utf-8")
            time.sleep(self.seconds)
            self.sounds.append(Sound(what, start, time.monotonic()))
        finally:
            self._busy.release()


@pytest.fixture
def chime(tmp_path: Path) -> Path:
    return ensure_chime(tmp_path)


@pytest.fixture
def player(chime: Path) -> RecordingPlayer:
    return RecordingPlayer(chime)


@pytest.fixture
def announcers() -> Iterator[list[Announcer]]:
    made: list[Announcer] = []
    yield made
    for a in made:
        a.close()


def test_calls_are_spoken_in_order_each_after_a_chime_without_overlap(
    chime: Path, player: RecordingPlayer, announcers: list[Announcer]
) -> None:
    synth = FakeSynth(delay_s=0.01)
    announcer = Announcer(synth, player, chime=chime)
    announcers.append(announcer)
    texts = [f"Numer A {n}, stanowisko {n % 3 + 1}." for n in range(1, 6)]
    for text in texts:
        announcer.announce(text)
    assert announcer.wait_idle(5)
    expected = [s for t in texts for s in ("chime", t)]
    assert [s.what for s in player.sounds] == expected
    for before, after in itertools.pairwise(player.sounds):
        assert before.end <= after.start
    assert [p.text for p in announcer.played] == texts
    assert all(p.outcome == "spoken" for p in announcer.played)
    assert synth.calls == [(t, "pl") for t in texts]


def test_announce_returns_at_once_while_speech_is_slow(
    player: RecordingPlayer, chime: Path, announcers: list[Announcer]
) -> None:
    announcer = Announcer(FakeSynth(delay_s=0.3), player, chime=chime)
    announcers.append(announcer)
    took = []
    for n in range(5):
        start = time.perf_counter()
        announcer.announce(f"Numer B {n}, stanowisko 1.")
        took.append(time.perf_counter() - start)
    assert max(took) < 0.01, took
    assert player.sounds == []  # nothing spoken yet: the first call is still being made


def test_a_recall_is_said_again(
    player: RecordingPlayer, chime: Path, announcers: list[Announcer]
) -> None:
    announcer = Announcer(FakeSynth(), player, chime=chime)
    announcers.append(announcer)
    announcer.announce("Numer A 12, stanowisko 3.")
    announcer.announce("Numer A 12, stanowisko 3.")
    assert announcer.wait_idle(5)
    assert [s.what for s in player.sounds].count("Numer A 12, stanowisko 3.") == 2


def test_disabled_announcer_says_nothing(player: RecordingPlayer, chime: Path) -> None:
    synth = FakeSynth()
    announcer = Announcer(synth, player, enabled=False, chime=chime)
    announcer.announce("Numer A 12, stanowisko 3.")
    assert announcer.wait_idle(0)
    announcer.close()
    assert player.sounds == [] and synth.calls == [] and announcer.played == ()
    assert not any(t.name == "okienko-speech" for t in threading.enumerate())


class SteppedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ClockedSynth(FakeSynth):
    """Each call takes 40 s of the announcer's clock (a stuck audio device, say)."""

    def __init__(self, clock: SteppedClock, gate: threading.Event) -> None:
        super().__init__()
        self.clock = clock
        self.gate = gate  # holds the first call until the test has queued the others

    def to_wav(self, text: str, path: Path, *, language: str) -> None:
        assert self.gate.wait(5)
        self.clock.now += 40
        super().to_wav(text, path, language=language)


def test_calls_waiting_too_long_behind_others_are_dropped_and_logged(
    player: RecordingPlayer,
    chime: Path,
    announcers: list[Announcer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = SteppedClock()
    gate = threading.Event()
    announcer = Announcer(ClockedSynth(clock, gate), player, chime=chime, clock=clock, max_age_s=60)
    announcers.append(announcer)
    with caplog.at_level(logging.WARNING, logger="okienko.appliance.speech"):
        for n in (1, 2, 3):  # all queued at 0 s, while the first one is being said
            announcer.announce(f"Numer A {n}, stanowisko 1.")
        gate.set()
        assert announcer.wait_idle(5)
    outcomes = [(p.text, p.outcome) for p in announcer.played]
    assert outcomes == [
        ("Numer A 1, stanowisko 1.", "spoken"),  # said from 0 s to 40 s
        ("Numer A 2, stanowisko 1.", "spoken"),  # waited 40 s: still said
        ("Numer A 3, stanowisko 1.", "dropped"),  # waited 80 s: the screen has moved on
    ]
    assert "dropped 'Numer A 3, stanowisko 1.', queued 80 s ago" in caplog.text
    announcer.announce("Numer A 4, stanowisko 1.")  # a fresh call after the backlog
    assert announcer.wait_idle(5)
    assert announcer.played[-1].outcome == "spoken"


def test_a_failed_call_still_chimes_and_does_not_silence_the_next(
    player: RecordingPlayer,
    chime: Path,
    announcers: list[Announcer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Played] = []
    health: list[SpeechState] = []
    announcer = Announcer(
        FakeSynth(fail_on="bad"),
        player,
        chime=chime,
        on_played=seen.append,
        on_health=lambda state, _detail: health.append(state),
    )
    announcers.append(announcer)
    with caplog.at_level(logging.ERROR, logger="okienko.appliance.speech"):
        announcer.announce("bad")
        announcer.announce("Numer A 1, stanowisko 1.")
        assert announcer.wait_idle(5)
    assert [(p.outcome, p.detail) for p in seen] == [
        ("failed", "synthesis broke"),
        ("spoken", ""),
    ]
    # the chime calls eyes to the screen even when the voice fails
    assert [s.what for s in player.sounds] == ["chime", "chime", "Numer A 1, stanowisko 1."]
    assert "'bad' NOT spoken: RuntimeError: synthesis broke" in caplog.text
    assert health == [SpeechState.FAILING, SpeechState.OK]


def test_close_stops_the_worker_and_later_calls_are_ignored(
    player: RecordingPlayer, chime: Path
) -> None:
    announcer = Announcer(FakeSynth(), player, chime=chime, language="en")
    announcer.announce("Number A 1, counter 1.")
    assert announcer.wait_idle(5)
    announcer.close()
    assert not any(t.name == "okienko-speech" for t in threading.enumerate())
    announcer.announce("Number A 2, counter 1.")
    assert announcer.wait_idle(1)
    assert [p.text for p in announcer.played] == ["Number A 1, counter 1."]


def test_close_does_not_say_what_is_still_queued(player: RecordingPlayer, chime: Path) -> None:
    announcer = Announcer(FakeSynth(delay_s=0.1), player, chime=chime)
    for n in range(5):
        announcer.announce(f"Numer A {n}, stanowisko 1.")
    start = time.monotonic()
    announcer.close()
    assert time.monotonic() - start < 1  # the call in progress at most, not all five
    assert len(announcer.played) <= 1


def test_real_speech_from_the_worker_thread(
    tmp_path: Path, chime: Path, announcers: list[Announcer]
) -> None:
    lengths: list[tuple[str, float]] = []

    class MeasuringPlayer:
        def play(self, path: Path) -> None:
            lengths.append((path.name, wav_seconds(path)))

    announcer = Announcer(Pyttsx3Synthesizer(), MeasuringPlayer(), chime=chime)
    announcers.append(announcer)
    announcer.announce("Numer A 12, stanowisko 3.")
    announcer.announce("Numer B 7, stanowisko 1.")
    assert announcer.wait_idle(10)
    assert [p.outcome for p in announcer.played] == ["spoken", "spoken"]
    assert [name for name, _ in lengths] == [chime.name, "call.wav"] * 2
    assert all(1.2 < seconds < 6 for name, seconds in lengths if name == "call.wav")


def test_default_announcer_follows_the_appliance_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from appliance.common.config import ApplianceConfig
    from appliance.speech.announcer import default_announcer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config = ApplianceConfig.model_validate(
        {"role": "display", "device": "hall", "language": "en", "voice": {"rate": 120}}
    )
    announcer = default_announcer(config)
    try:
        assert announcer.enabled and announcer.language == "en"
        assert isinstance(announcer.synth, Pyttsx3Synthesizer) and announcer.synth.rate == 120
        assert announcer.chime is not None and announcer.chime.parent == tmp_path / "okienko"
    finally:
        announcer.close()


# What a hall display does when it has just started: a fresh process, so a fresh pyttsx3 engine.
FRESH_DISPLAY = """
import json, shutil, sys
from pathlib import Path
from appliance.speech.announcer import Announcer
from appliance.speech.tts import Pyttsx3Synthesizer

out, texts = Path(sys.argv[1]), json.loads(sys.argv[2])
played = []

class KeepingPlayer:  # no sound card: keep each WAV it is given
    def play(self, path):
        played.append(path.name)
        shutil.copy(path, out / f"{len(played):02d}.wav")

announcer = Announcer(Pyttsx3Synthesizer(), KeepingPlayer(), chime=False)
for text in texts:
    announcer.announce(text)
assert announcer.wait_idle(120)
outcomes = [(p.outcome, p.detail) for p in announcer.played]
(out / "result.json").write_text(json.dumps({"outcomes": outcomes, "played": played}))
announcer.close()
"""


def test_every_call_right_after_a_display_starts_is_spoken(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    # A site's longer template first: pyttsx3's first run used to return before espeak had
    # written the WAV, so the first call after start came out empty ("no speech was written").
    texts = [
        "Numer A 1. Zapraszamy do stanowiska numer 3. "
        "Stanowisko jest na pierwszym piętrze, po prawej stronie.",
        *(f"Numer B {n}, zapraszamy do stanowiska {n % 4 + 1}." for n in range(2, 12)),
    ]
    done = subprocess.run(
        [sys.executable, "-c", FRESH_DISPLAY, str(tmp_path), json.dumps(texts)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[3],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["outcomes"] == [["spoken", ""]] * len(texts), done.stderr[-2000:]
    assert result["played"] == ["call.wav"] * len(texts)
    assert_is_speech(tmp_path / "01.wav", min_s=4, max_s=15)
    for n in range(2, len(texts) + 1):
        assert_is_speech(tmp_path / f"{n:02d}.wav")


# pyttsx3 reports the failed write in its callback as "Exception ignored": expected here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_when_speech_cannot_be_written_the_chime_still_plays_and_the_fault_is_reported(
    tmp_path: Path, chime: Path, caplog: pytest.LogCaptureFixture
) -> None:
    played: list[str] = []

    class MeasuringPlayer:
        def play(self, path: Path) -> None:
            played.append(path.name)
            if path.name == "call.wav":
                assert_is_speech(path)

    health: list[tuple[SpeechState, str]] = []
    workdir = tmp_path / "speech"
    workdir.mkdir()
    # A full disk, for real: espeak's WAV goes to /dev/full and every write fails.
    (workdir / "call.wav").symlink_to("/dev/full")
    synth = Pyttsx3Synthesizer(timeout_s=1, attempts=2)
    with (
        caplog.at_level(logging.WARNING, logger="okienko.appliance.speech"),
        Announcer(
            synth,
            MeasuringPlayer(),
            chime=chime,
            workdir=workdir,
            on_health=lambda state, detail: health.append((state, detail)),
        ) as announcer,
    ):
        announcer.announce("Numer A 12, stanowisko 3.")
        announcer.announce("Numer A 13, stanowisko 3.")
        assert announcer.wait_idle(30)
        assert [p.outcome for p in announcer.played] == ["failed", "failed"]
        assert played == [chime.name, chime.name]  # a chime for each call, no speech
        assert [state for state, _ in health] == [SpeechState.FAILING]  # reported once
        assert "did not finish" in health[0][1]
        assert "attempt 1 of 2 failed" in caplog.text  # retried on a fresh engine
        assert "'Numer A 13, stanowisko 3.' NOT spoken" in caplog.text

        (workdir / "call.wav").unlink()  # space again
        announcer.announce("Numer A 14, stanowisko 3.")
        assert announcer.wait_idle(30)
    assert announcer.played[-1].outcome == "spoken"
    assert played[2:] == [chime.name, "call.wav"]
    assert health[-1] == (SpeechState.OK, "")


def test_a_second_language_is_said_in_its_own_voice_after_one_chime(
    chime: Path, player: RecordingPlayer, announcers: list[Announcer]
) -> None:
    """Issue 14: a call in Polish then Ukrainian is one chime, then each phrase in its voice;
    the next call gets its own chime."""
    synth = FakeSynth()
    announcer = Announcer(synth, player, chime=chime, language="pl")
    announcers.append(announcer)
    announcer.announce("Numer A 12, stanowisko 3.", "pl")
    announcer.announce("Талон а 12, запрошуємо до вікна 3.", "uk", chime=False)
    announcer.announce("Numer A 13, stanowisko 3.")
    assert announcer.wait_idle(5)
    assert [s.what for s in player.sounds] == [
        "chime",
        "Numer A 12, stanowisko 3.",
        "Талон а 12, запрошуємо до вікна 3.",
        "chime",
        "Numer A 13, stanowisko 3.",
    ]
    assert [lang for _, lang in synth.calls] == ["pl", "uk", "pl"]
    assert [p.language for p in announcer.played] == ["pl", "uk", "pl"]
