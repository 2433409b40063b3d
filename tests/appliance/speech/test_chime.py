"""The two-tone chime, generated with the standard library and cached in a file."""

from __future__ import annotations

import itertools
import wave
from array import array
from pathlib import Path

from appliance.speech.chime import SAMPLE_RATE, TONE_S, TONES_HZ, ensure_chime


def read_samples(path: Path) -> array[int]:
    with wave.open(str(path), "rb") as f:
        assert (f.getnchannels(), f.getsampwidth(), f.getframerate()) == (1, 2, SAMPLE_RATE)
        samples = array("h")
        samples.frombytes(f.readframes(f.getnframes()))
    return samples


def zero_crossing_hz(samples: array[int]) -> float:
    crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / SAMPLE_RATE)


def test_chime_is_two_short_tones_one_after_the_other(tmp_path: Path) -> None:
    samples = read_samples(ensure_chime(tmp_path))
    n = int(SAMPLE_RATE * TONE_S)
    assert len(samples) == 2 * n
    # the overtone is an octave up, so zero crossings still count the fundamental
    first, second = zero_crossing_hz(samples[:n]), zero_crossing_hz(samples[n:])
    assert abs(first - TONES_HZ[0]) < 10
    assert abs(second - TONES_HZ[1]) < 10
    assert max(abs(s) for s in samples) < 32767  # no clipping
    assert abs(samples[0]) < 1000  # starts softly: no click


def test_chime_is_written_once_and_reused(tmp_path: Path) -> None:
    first = ensure_chime(tmp_path / "cache")
    mtime = first.stat().st_mtime_ns
    again = ensure_chime(tmp_path / "cache")
    assert again == first
    assert again.stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [first.name]  # no temp left
