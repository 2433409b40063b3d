"""Voice guidance of the dispenser: short phrases spoken as a visitor moves between choices.

Unlike the hall's announcer (every call said, in order, after a chime), guidance follows the
visitor: only the newest phrase matters, so a new one stops the one being played (where the
player can stop) and replaces one still waiting. Each phrase said is logged as
``spoken: TEXT`` (INFO, this module's logger), which is what a technician and the tests read.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.speech.player import Player, default_player
from appliance.speech.tts import Synthesizer

if TYPE_CHECKING:
    from appliance.common.config import ApplianceConfig

log = logging.getLogger("okienko.appliance.speech")


class Guide:
    """``say(text, language=…)`` returns at once; a worker thread synthesises and plays."""

    def __init__(self, synth: Synthesizer, player: Player, *, workdir: Path | None = None) -> None:
        self.synth = synth
        self.player = player
        self._own_workdir = workdir is None
        self._workdir = workdir or Path(tempfile.mkdtemp(prefix="okienko-guide-"))
        self._workdir.mkdir(parents=True, exist_ok=True)
        self._cond = threading.Condition()
        self._next: tuple[str, str] | None = None
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="okienko-guide", daemon=True)
        self._thread.start()

    def say(self, text: str, *, language: str) -> None:
        text = " ".join(text.split())
        if not text:
            return
        with self._cond:
            if self._next is not None:
                log.debug("not spoken, overtaken: %s", self._next[0])
            self._next = (text, language)
            playing = self._busy
            self._cond.notify_all()
        stop = getattr(self.player, "stop", None)
        if playing and stop is not None:
            stop()  # the visitor moved on: the old phrase stops (EN 301 549 5.1.3.5)

    def set_volume(self, volume: float) -> None:
        """The loudness of the phrases made from now on (1.0: the voice's own); the visitor's
        + and - on the keypad. Synthesizers without a volume are left as they are."""
        if hasattr(self.synth, "volume"):
            self.synth.volume = volume
            log.info("guidance volume: %d%%", round(volume * 100))

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._next is None and not self._busy, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(5)
        if self._own_workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._next is not None or self._closed)
                if self._closed:
                    return
                assert self._next is not None
                (text, language), self._next = self._next, None
                self._busy = True
            try:
                self._say(text, language)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _say(self, text: str, language: str) -> None:
        wav = self._workdir / "guide.wav"
        try:
            self.synth.to_wav(text, wav, language=language)
        except Exception as exc:  # the screen still works; say in the log what was not heard
            log.error("NOT spoken (%s: %s): %s", type(exc).__name__, exc, text)
            return
        with self._cond:
            if self._next is not None:  # a newer phrase came while this one was made
                log.debug("not spoken, overtaken: %s", text)
                return
        log.info("spoken: %s", text)
        try:
            self.player.play(wav)
        except Exception as exc:
            log.error("not played (%s: %s): %s", type(exc).__name__, exc, text)


def default_guide(config: ApplianceConfig) -> Guide | None:
    """The dispenser's guide from its configuration (`[voice]`); None when voice is off or no
    engine can speak the configured language (logged: the screen works without it)."""
    if not config.voice.enabled:
        return None
    from appliance.speech.announcer import default_synthesizer

    try:
        synth = default_synthesizer(
            config.voice.rate, config.language, volume=config.voice.volume / 100
        )
    except Exception as exc:
        log.error("voice guidance unavailable: %s", exc)
        return None
    return Guide(synth, default_player())
