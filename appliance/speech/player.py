"""Playing a WAV file to the end: `paplay` (PulseAudio/PipeWire) or `aplay` (ALSA) when the
device has them and a sound output, else a `NullPlayer` that only logs."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import wave
from pathlib import Path
from typing import Protocol

log = logging.getLogger("okienko.appliance.speech")


class PlaybackFailed(Exception):
    """The player program failed or hung."""


class Player(Protocol):
    def play(self, path: Path) -> None:
        """Play the WAV file and return when it has finished."""
        ...


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as f:
        return f.getnframes() / f.getframerate()


class CommandPlayer:
    """Plays by running a program that blocks until the sound is over (aplay, paplay)."""

    def __init__(self, argv: list[str], *, slack_s: float = 5.0) -> None:
        self.argv = argv
        self.slack_s = slack_s  # beyond the file's length before we call it hung

    def play(self, path: Path) -> None:
        timeout = wav_seconds(path) + self.slack_s
        try:
            done = subprocess.run(
                [*self.argv, str(path)], capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise PlaybackFailed(f"{self.argv[0]} still playing after {timeout:.1f} s") from exc
        except OSError as exc:
            raise PlaybackFailed(f"{self.argv[0]}: {exc}") from exc
        if done.returncode != 0:
            raise PlaybackFailed(f"{self.argv[0]} failed: {done.stderr.strip()[:200]}")

    def __repr__(self) -> str:
        return f"CommandPlayer({self.argv!r})"


class NullPlayer:
    """For devices (and CI) without sound: says in the log what it would have played."""

    def play(self, path: Path) -> None:
        log.info("no sound output: not playing %s (%.1f s)", path.name, wav_seconds(path))

    def __repr__(self) -> str:
        return "NullPlayer()"


def _pulse_server_running() -> bool:
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and Path(runtime, "pulse", "native").exists()


def _alsa_has_card() -> bool:
    # `aplay -l` exits 0 even with "no soundcards found", so read what it lists.
    try:
        out = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.startswith("card ") for line in out.splitlines())


def default_player() -> Player:
    """paplay when a PulseAudio/PipeWire server runs (it shares the output with other programs),
    else aplay when ALSA has a card, else NullPlayer."""
    if shutil.which("paplay") and _pulse_server_running():
        return CommandPlayer(["paplay"])
    if shutil.which("aplay") and _alsa_has_card():
        return CommandPlayer(["aplay", "-q"])
    log.warning("no sound output found (paplay or aplay with a card): calls are not spoken")
    return NullPlayer()
