"""A short two-tone chime ("ding-dong") before each call, made with the standard library and
kept in a file so it is generated once per appliance, not once per call."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import wave
from array import array
from pathlib import Path

# The speech's format too (espeak-ng's 22.05 kHz mono 16-bit), so a player never resamples.
SAMPLE_RATE = 22050
TONES_HZ = (880.0, 659.25)  # A5 then E5: a falling fifth-ish, the usual hall "ding-dong"
TONE_S = 0.4
VOLUME = 0.5  # of full scale; speech peaks around 0.6, the chime should not startle


def chime_samples(
    tones_hz: tuple[float, ...] = TONES_HZ, tone_s: float = TONE_S, volume: float = VOLUME
) -> array[int]:
    """16-bit samples: each tone with a quick attack and an exponential decay, like a bell."""
    samples = array("h")
    n = int(SAMPLE_RATE * tone_s)
    attack = int(SAMPLE_RATE * 0.005)  # a 5 ms ramp avoids a click at the start
    for freq in tones_hz:
        step = 2 * math.pi * freq / SAMPLE_RATE
        for i in range(n):
            envelope = min(1.0, i / attack) * math.exp(-4.0 * i / n)
            # a quieter octave overtone makes it sound less like a test tone
            value = math.sin(step * i) + 0.3 * math.sin(2 * step * i)
            samples.append(int(32767 * volume * envelope * value / 1.3))
    return samples


def write_wav(path: Path, samples: array[int]) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        if sys.byteorder == "big":  # WAV is little-endian
            samples = array("h", samples)
            samples.byteswap()
        f.writeframes(samples.tobytes())


def ensure_chime(directory: Path) -> Path:
    """The chime's WAV in `directory`, written once (atomically, so a reader never sees half)."""
    # The parameters are in the name: changing them makes a new file instead of reusing a stale one.
    name = f"chime-{'-'.join(str(round(t)) for t in TONES_HZ)}-{round(TONE_S * 1000)}ms.wav"
    path = directory / name
    if path.is_file():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    os.close(fd)
    try:
        write_wav(Path(tmp), chime_samples())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "okienko"
