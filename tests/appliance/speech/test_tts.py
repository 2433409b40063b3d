"""Real speech: pyttsx3 on espeak-ng writes a WAV that is speech of plausible length, not silence,
in the voice of the language asked for. Needs `apt-get install espeak-ng` and pyttsx3."""

from __future__ import annotations

import shutil
import time
import types
from pathlib import Path

import pytest

from appliance.speech.text import ENGLISH_TEMPLATE, POLISH_TEMPLATE, spoken_text
from appliance.speech.tts import (
    EspeakNgSynthesizer,
    Pyttsx3Synthesizer,
    SpeechEngineUnavailable,
    SynthesisFailed,
    VoiceInfo,
    VoiceNotInstalled,
    choose_voice,
)
from tests.support.audio import assert_is_speech

POLISH = spoken_text(POLISH_TEMPLATE, "A012", "3")  # "Numer A 12, stanowisko 3."
ENGLISH = spoken_text(ENGLISH_TEMPLATE, "A012", "3")


@pytest.fixture(scope="module")
def synth() -> Pyttsx3Synthesizer:
    synth = Pyttsx3Synthesizer(rate=150)
    synth.check(("pl", "en"))  # fails, naming the apt package, where espeak-ng is missing
    return synth


def test_polish_call_is_written_as_speech(synth: Pyttsx3Synthesizer, tmp_path: Path) -> None:
    assert POLISH == "Numer A 12, stanowisko 3."
    wav = tmp_path / "pl.wav"
    synth.to_wav(POLISH, wav, language="pl")
    assert_is_speech(wav)


def test_polish_and_english_voices_differ(synth: Pyttsx3Synthesizer, tmp_path: Path) -> None:
    # The same text in both voices: proves the voice follows the language, not just the text.
    synth.to_wav(POLISH, tmp_path / "pl.wav", language="pl")
    synth.to_wav(POLISH, tmp_path / "pl-as-en.wav", language="en")
    synth.to_wav(ENGLISH, tmp_path / "en.wav", language="en")
    synth.to_wav(POLISH, tmp_path / "pl-again.wav", language="pl")
    assert_is_speech(tmp_path / "en.wav")
    pl = assert_is_speech(tmp_path / "pl.wav")
    assert (tmp_path / "pl.wav").read_bytes() != (tmp_path / "en.wav").read_bytes()
    # espeak-ng varies a few samples from one run to the next in a process (its random
    # "flutter"), so voices are told apart by pace: the same text takes a different time.
    assert abs(assert_is_speech(tmp_path / "pl-as-en.wav") - pl) > 0.05 * pl
    # and switching back gives the Polish voice again: the shared engine is reset every time
    assert abs(assert_is_speech(tmp_path / "pl-again.wav") - pl) < 0.01 * pl


def test_rate_sets_the_pace(tmp_path: Path) -> None:
    slow, fast = Pyttsx3Synthesizer(rate=100), Pyttsx3Synthesizer(rate=250)
    slow.to_wav(POLISH, tmp_path / "slow.wav", language="pl")
    fast.to_wav(POLISH, tmp_path / "fast.wav", language="pl")
    slow_s = assert_is_speech(tmp_path / "slow.wav", max_s=8)
    fast_s = assert_is_speech(tmp_path / "fast.wav", min_s=0.8)
    assert slow_s > 1.8 * fast_s


def test_unwritable_target_is_an_error_before_pyttsx3_runs(
    synth: Pyttsx3Synthesizer, tmp_path: Path
) -> None:
    # Inside pyttsx3 this failure would be swallowed and runAndWait would never return.
    with pytest.raises(SynthesisFailed, match="cannot write"):
        synth.to_wav(POLISH, tmp_path / "missing-dir" / "x.wav", language="pl")


# pyttsx3's callback error is reported as "Exception ignored": expected here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_pyttsx3_loop_that_never_ends_is_stopped_and_the_engine_recovers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyttsx3.drivers.espeak as driver

    def full_disk(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    synth = Pyttsx3Synthesizer(timeout_s=0.5)
    # from the engine's second run on, only espeak's callback ends pyttsx3's loop
    synth.to_wav(POLISH, tmp_path / "before.wav", language="pl")
    # as when the disk fills: the WAV write fails inside that callback
    monkeypatch.setattr(driver, "wave", types.SimpleNamespace(open=full_disk))
    start = time.monotonic()
    with pytest.raises(SynthesisFailed, match=r"did not finish within 0.5 s"):
        synth.to_wav(POLISH, tmp_path / "x.wav", language="pl")
    assert time.monotonic() - start < 3
    monkeypatch.undo()
    synth.to_wav(POLISH, tmp_path / "after.wav", language="pl")
    assert_is_speech(tmp_path / "after.wav")


def test_empty_text_is_refused(synth: Pyttsx3Synthesizer, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        synth.to_wav("  ", tmp_path / "x.wav", language="pl")


def test_missing_polish_voice_names_the_apt_package() -> None:
    english_only = [VoiceInfo("gmw/en", ("en-gb",)), VoiceInfo("gmw/en-US", ("en-us",))]
    with pytest.raises(VoiceNotInstalled, match="apt-get install espeak-ng") as caught:
        choose_voice(english_only, "pl")
    assert "zlw/pl" in str(caught.value)
    assert choose_voice(english_only, "en") == "gmw/en"


def test_a_voice_is_found_by_language_code_when_the_usual_id_is_absent() -> None:
    assert choose_voice([VoiceInfo("custom/polski", ("pl",))], "pl") == "custom/polski"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="the espeak-ng program is absent")
def test_espeak_ng_program_adapter_writes_the_same_kind_of_speech(tmp_path: Path) -> None:
    synth = EspeakNgSynthesizer(rate=150)
    synth.to_wav(POLISH, tmp_path / "pl.wav", language="pl")
    synth.to_wav(POLISH, tmp_path / "en.wav", language="en")
    assert_is_speech(tmp_path / "pl.wav")
    assert (tmp_path / "pl.wav").read_bytes() != (tmp_path / "en.wav").read_bytes()


def test_without_pyttsx3_the_espeak_ng_program_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from appliance.speech import tts
    from appliance.speech.announcer import default_synthesizer

    def unavailable() -> None:
        raise tts.SpeechEngineUnavailable("pyttsx3 is not installed")

    monkeypatch.setattr(tts._SharedEngine, "get", unavailable)
    assert isinstance(default_synthesizer(150, "pl"), EspeakNgSynthesizer)


def test_a_missing_espeak_ng_program_names_the_apt_package(tmp_path: Path) -> None:
    synth = EspeakNgSynthesizer(program="no-such-espeak-ng")
    with pytest.raises(SpeechEngineUnavailable, match="apt-get install espeak-ng"):
        synth.to_wav(POLISH, tmp_path / "x.wav", language="pl")


def test_the_espeak_ng_program_adapter_follows_the_volume(tmp_path: Path) -> None:
    from tests.support.audio import read_wav, rms

    quiet, normal = EspeakNgSynthesizer(volume=0.3), EspeakNgSynthesizer(volume=1.0)
    quiet.to_wav(POLISH, tmp_path / "quiet.wav", language="pl")
    normal.to_wav(POLISH, tmp_path / "normal.wav", language="pl")
    assert rms(read_wav(tmp_path / "quiet.wav")[1]) < 0.5 * rms(
        read_wav(tmp_path / "normal.wav")[1]
    )
