"""The dispenser's voice guidance: real WAVs from pyttsx3 on espeak-ng for its phrases in Polish,
English and Ukrainian (each in its own voice), each logged as ``spoken: TEXT``; a phrase
overtaken before it is said is dropped."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import pytest

from appliance.common.i18n import gettext_for, ngettext_for
from appliance.dispenser import phrases
from appliance.speech.guide import Guide
from appliance.speech.tts import Pyttsx3Synthesizer
from tests.support.audio import assert_is_speech


class KeepingPlayer:
    """The sound output: keeps a copy of every WAV it is given."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.played: list[Path] = []
        self.release = threading.Event()
        self.release.set()

    def play(self, path: Path) -> None:
        copy = self.directory / f"played-{len(self.played)}.wav"
        shutil.copy(path, copy)
        self.played.append(copy)
        self.release.wait(10)


@pytest.fixture(scope="module")
def synth() -> Pyttsx3Synthesizer:
    synth = Pyttsx3Synthesizer(rate=150)
    synth.check(("pl", "en", "uk"))
    return synth


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "pl",
            "Dowody osobiste. 3 osoby czekają. Szacowany czas oczekiwania około 10 minut.",
        ),
        ("en", "Identity cards. 3 people waiting. Estimated wait about 10 minutes."),
        (
            "uk",
            "Посвідчення особи. 3 особи чекають. Орієнтовний час очікування — близько 10 хвилин.",
        ),
    ],
)
def test_a_choice_is_spoken_in_the_sessions_language(
    synth: Pyttsx3Synthesizer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    language: str,
    expected: str,
) -> None:
    name = {"pl": "Dowody osobiste", "en": "Identity cards", "uk": "Посвідчення особи"}[language]
    text = phrases.service(name, 3, 600, "", gettext_for(language), ngettext_for(language))
    assert text == expected
    player = KeepingPlayer(tmp_path)
    guide = Guide(synth, player, workdir=tmp_path / "work")
    with caplog.at_level(logging.INFO, logger="okienko.appliance.speech"):
        guide.say(text, language=language)
        assert guide.wait_idle(30)
    guide.close()
    assert [r.getMessage() for r in caplog.records if "spoken" in r.getMessage()] == [
        f"spoken: {expected}"
    ]
    voice = {"pl": "zlw/pl", "en": "gmw/en", "uk": "zle/uk"}[language]
    assert synth._voices[language].lower() == voice  # each language in its own voice
    assert len(player.played) == 1
    assert_is_speech(player.played[0], min_s=2.0, max_s=12.0)


def test_only_the_newest_waiting_phrase_is_said(
    synth: Pyttsx3Synthesizer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A visitor pressing 2 three times fast hears the first choice begin, then the third:
    the second was overtaken while it waited."""
    player = KeepingPlayer(tmp_path)
    player.release.clear()  # the first phrase is "playing" until released
    guide = Guide(synth, player, workdir=tmp_path / "work")
    with caplog.at_level(logging.INFO, logger="okienko.appliance.speech"):
        guide.say("Pierwsza", language="pl")
        while not player.played:
            threading.Event().wait(0.05)
        guide.say("Druga", language="pl")
        guide.say("Trzecia", language="pl")
        player.release.set()
        assert guide.wait_idle(30)
    guide.close()
    spoken = [r.getMessage() for r in caplog.records if r.getMessage().startswith("spoken:")]
    assert spoken == ["spoken: Pierwsza", "spoken: Trzecia"]


def test_the_next_key_stops_the_phrase_being_played(
    synth: Pyttsx3Synthesizer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """EN 301 549 5.1.3.5: speech stops when the visitor acts and when new speech begins."""
    import time

    from appliance.speech.player import CommandPlayer

    slow = CommandPlayer(["sh", "-c", "exec sleep 8", "player"])  # a long phrase "playing"
    guide = Guide(synth, slow, workdir=tmp_path / "work")
    with caplog.at_level(logging.INFO, logger="okienko.appliance.speech"):
        guide.say("Pierwsza", language="pl")
        deadline = time.monotonic() + 10
        while not any("Pierwsza" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        start = time.monotonic()
        guide.say("Druga", language="pl")
        while not any("Druga" in r.getMessage() for r in caplog.records):
            assert time.monotonic() - start < 5, "the first phrase was not cut short"
            time.sleep(0.05)
    slow.stop()
    guide.close()


def test_the_visitors_volume_reaches_the_voice(synth: Pyttsx3Synthesizer, tmp_path: Path) -> None:
    """The keypad's + and - end in ``Guide.set_volume``: the same phrase, said again, is
    quieter or louder in the WAV that pyttsx3 (espeak-ng's amplitude) writes."""
    from tests.support.audio import read_wav, rms

    own = Pyttsx3Synthesizer(rate=150)  # its own volume: the module's synth stays at 1.0
    player = KeepingPlayer(tmp_path)
    guide = Guide(own, player, workdir=tmp_path / "work")
    text = phrases.volume(100, True, gettext_for("pl"), ngettext_for("pl"))
    assert text == "Głośniej. Głośność 100 procent."
    loudness = []
    for volume in (1.0, 0.3, 1.5):
        guide.set_volume(volume)
        guide.say(text, language="pl")
        assert guide.wait_idle(30)
        loudness.append(rms(read_wav(player.played[-1])[1]))
    guide.close()
    normal, quiet, loud = loudness
    assert quiet < 0.5 * normal, loudness
    assert loud > 1.2 * normal, loudness
