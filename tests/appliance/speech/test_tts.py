"""Real speech: pyttsx3 on espeak-ng writes a WAV that is speech of plausible length, not silence,
in the voice of the language asked for. Needs `apt-get install espeak-ng` and pyttsx3."""

from __future__ import annotations

import math
import shutil
import wave
from array import array
from pathlib import Path

import pytest

from appliance.speech.text import ENGLISH_TEMPLATE, POLISH_TEMPLATE, spoken_text
from appliance.speech.tts import (
    EspeakNgSynthesizer,
    Pyttsx3Synthesizer,
    SynthesisFailed,
    VoiceInfo,
    VoiceNotInstalled,
    choose_voice,
)

POLISH = spoken_text(POLISH_TEMPLATE, "A012", "3")  # "Numer A 12, stanowisko 3."
ENGLISH = spoken_text(ENGLISH_TEMPLATE, "A012", "3")


@pytest.fixture(scope="module")
def synth() -> Pyttsx3Synthesizer:
    synth = Pyttsx3Synthesizer(rate=150)
    synth.check(("pl", "en"))  # fails, naming the apt package, where espeak-ng is missing
    return synth


def read_wav(path: Path) -> tuple[float, array[int]]:
    with wave.open(str(path), "rb") as f:  # raises on anything but a valid WAV
        assert (f.getnchannels(), f.getsampwidth()) == (1, 2)
        samples = array("h")
        samples.frombytes(f.readframes(f.getnframes()))
        return f.getnframes() / f.getframerate(), samples


def rms(samples: array[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples))) / 32768


def voiced_share(samples: array[int], rate: int = 22050) -> float:
    """The share of 20 ms windows loud enough to be speech rather than a pause."""
    n = rate // 50
    windows = [samples[i : i + n] for i in range(0, len(samples) - n + 1, n)]
    return sum(1 for w in windows if rms(w) > 0.02) / max(1, len(windows))


def assert_is_speech(path: Path, *, min_s: float = 1.2, max_s: float = 6.0) -> float:
    seconds, samples = read_wav(path)
    assert min_s <= seconds <= max_s, f"{seconds:.2f} s is not a spoken call"
    assert rms(samples) > 0.03, "silence"
    assert voiced_share(samples) > 0.4, "mostly silence"
    return seconds


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
    pl = (tmp_path / "pl.wav").read_bytes()
    assert pl != (tmp_path / "pl-as-en.wav").read_bytes()
    assert pl != (tmp_path / "en.wav").read_bytes()
    # and switching back gives the Polish voice again: the shared engine is reset every time
    assert pl == (tmp_path / "pl-again.wav").read_bytes()


def test_rate_sets_the_pace(tmp_path: Path) -> None:
    slow, fast = Pyttsx3Synthesizer(rate=100), Pyttsx3Synthesizer(rate=250)
    slow.to_wav(POLISH, tmp_path / "slow.wav", language="pl")
    fast.to_wav(POLISH, tmp_path / "fast.wav", language="pl")
    slow_s = assert_is_speech(tmp_path / "slow.wav", max_s=8)
    fast_s = assert_is_speech(tmp_path / "fast.wav", min_s=0.8)
    assert slow_s > 1.8 * fast_s


def test_unwritable_target_is_an_error_and_the_engine_still_works(
    synth: Pyttsx3Synthesizer, tmp_path: Path
) -> None:
    # pyttsx3 swallows this failure inside espeak's callback; we must notice the missing file.
    with pytest.raises(SynthesisFailed, match="no speech was written"):
        synth.to_wav(POLISH, tmp_path / "missing-dir" / "x.wav", language="pl")
    synth.to_wav(POLISH, tmp_path / "after.wav", language="pl")
    synth.to_wav(POLISH, tmp_path / "again.wav", language="pl")
    assert (tmp_path / "after.wav").read_bytes() == (tmp_path / "again.wav").read_bytes()


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
