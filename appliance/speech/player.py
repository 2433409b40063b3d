"""Playing a WAV file to the end: `paplay` (PulseAudio/PipeWire) or `aplay` (ALSA) when the
device has them and a sound output, else a `NullPlayer` that only logs."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
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
    """Plays by running a program that blocks until the sound is over (aplay, paplay).
    `stop()` (from another thread) cuts the sound short: the dispenser's guide does so when
    the visitor presses the next key."""

    def __init__(self, argv: list[str], *, slack_s: float = 5.0) -> None:
        self.argv = argv
        self.slack_s = slack_s  # beyond the file's length before we call it hung
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._stopped = False

    def play(self, path: Path) -> None:
        timeout = wav_seconds(path) + self.slack_s
        try:
            proc = subprocess.Popen(
                [*self.argv, str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except OSError as exc:
            raise PlaybackFailed(f"{self.argv[0]}: {exc}") from exc
        with self._lock:
            self._proc, self._stopped = proc, False
        try:
            _out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            proc.communicate()
            raise PlaybackFailed(f"{self.argv[0]} still playing after {timeout:.1f} s") from exc
        finally:
            with self._lock:
                self._proc = None
                stopped = self._stopped
        if proc.returncode != 0 and not stopped:
            raise PlaybackFailed(f"{self.argv[0]} failed: {err.strip()[:200]}")

    def stop(self) -> None:
        with self._lock:
            proc, self._stopped = self._proc, True
        if proc is not None and proc.poll() is None:
            proc.terminate()

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
