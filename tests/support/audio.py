"""Reading speech back from WAV files (the wave module): length, loudness, share of voice."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path


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
    assert min_s <= seconds <= max_s, f"{path.name}: {seconds:.2f} s is not a spoken call"
    assert rms(samples) > 0.03, f"{path.name}: silence"
    assert voiced_share(samples) > 0.4, f"{path.name}: mostly silence"
    return seconds
