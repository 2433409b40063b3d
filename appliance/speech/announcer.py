"""The announcer: calls are queued and spoken one after another (chime, then speech) by one
worker thread, so they never cut each other off and the display's UI never waits for speech.
A call whose speech cannot be made still gets its chime, is logged as an error and turns the
speech health to "failing" (the display reports it to the fleet) until a call is spoken again."""

from __future__ import annotations

import logging
import queue
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from appliance.speech.chime import default_cache_dir, ensure_chime
from appliance.speech.player import Player, default_player
from appliance.speech.tts import (
    EspeakNgSynthesizer,
    Pyttsx3Synthesizer,
    SpeechEngineUnavailable,
    Synthesizer,
)
from hub.contract.messages import SpeechState

if TYPE_CHECKING:
    from appliance.common.config import ApplianceConfig

log = logging.getLogger("okienko.appliance.speech")

Outcome = Literal["spoken", "dropped", "failed"]


@dataclass(frozen=True)
class Played:
    """What became of one call; times are the announcer's clock (monotonic seconds)."""

    text: str
    outcome: Outcome
    queued_at: float
    started_at: float
    finished_at: float
    detail: str = ""
    language: str = ""  # the voice's language the text was (to be) said in


@dataclass(frozen=True)
class _Call:
    text: str
    queued_at: float
    language: str
    chime: bool


class Announcer:
    """Speaks calls in order on a worker thread. `announce` only enqueues.

    Every call is spoken, recalls included (a recall is the clerk asking again); only calls that
    waited longer than `max_age_s` behind others are dropped, since by then the number on the
    screen has moved on. `played` (and `on_played`) tell what happened, in order; `on_health`
    hears each change of `health` with a detail (the last error).
    """

    def __init__(
        self,
        synth: Synthesizer,
        player: Player,
        *,
        enabled: bool = True,
        language: str = "pl",
        chime: Path | bool = True,
        max_age_s: float = 60.0,
        max_pending: int = 100,
        clock: Callable[[], float] = time.monotonic,
        on_played: Callable[[Played], None] | None = None,
        on_health: Callable[[SpeechState, str], None] | None = None,
        history: int = 100,
        workdir: Path | None = None,
    ) -> None:
        self.synth = synth
        self.player = player
        self.enabled = enabled
        self.language = language
        self.max_age_s = max_age_s
        self.max_pending = max_pending
        self._clock = clock
        self._on_played = on_played
        self._on_health = on_health
        self.health = SpeechState.NONE  # until the first call is made
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._history: deque[Played] = deque(maxlen=history)
        self._cond = threading.Condition()
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._workdir: Path | None = None
        self._own_workdir = workdir is None  # a temporary one, removed on close
        self.chime: Path | None = None
        if not enabled:
            return
        # Where each call's WAV is made; by default a fresh temporary directory.
        self._workdir = workdir or Path(tempfile.mkdtemp(prefix="okienko-speech-"))
        self.chime = self._chime_path(chime)
        self._thread = threading.Thread(target=self._run, name="okienko-speech", daemon=True)
        self._thread.start()

    def announce(self, text: str, language: str | None = None, *, chime: bool = True) -> None:
        """Queue one phrase, said in `language`'s voice (by default this announcer's language);
        returns at once. A call said in a second language queues its next phrase with
        ``chime=False``: the chime marks a new call, not each of its languages."""
        if not self.enabled:
            return
        with self._cond:
            if self._closed:
                log.warning("speech: announcer closed, not saying %r", text)
                return
            if self._pending >= self.max_pending:
                log.warning("speech: %d calls waiting, not saying %r", self._pending, text)
                return
            self._pending += 1
        self._queue.put(_Call(text, self._clock(), language or self.language, chime))

    @property
    def played(self) -> tuple[Played, ...]:
        with self._cond:
            return tuple(self._history)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued call has been handled; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Stop after the call being spoken, if any; calls still queued are not said."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
        if self._workdir is not None and self._own_workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> Announcer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _chime_path(self, chime: Path | bool) -> Path | None:
        if chime is False:
            return None
        if isinstance(chime, Path):
            return chime
        try:
            return ensure_chime(default_cache_dir())
        except OSError:  # a read-only home: make it for this run only
            assert self._workdir is not None
            return ensure_chime(self._workdir)

    def _run(self) -> None:
        while True:
            call = self._queue.get()
            if call is None:
                break
            try:
                with self._cond:
                    closed = self._closed
                if not closed:
                    self._record(self._say(call))
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _say(self, call: _Call) -> Played:
        started = self._clock()
        waited = started - call.queued_at
        if waited > self.max_age_s:
            log.warning(
                "speech: dropped %r, queued %.0f s ago behind other calls", call.text, waited
            )
            return Played(
                call.text, "dropped", call.queued_at, started, started, "too old", call.language
            )
        assert self._workdir is not None
        wav = self._workdir / "call.wav"
        error: Exception | None = None
        try:
            # Synthesise first, so the speech follows the chime without a gap.
            self.synth.to_wav(call.text, wav, language=call.language)
        except Exception as exc:  # one bad call must not silence the ones after it
            error = exc
            # A missed call makes a no-show: never silently. The chime still draws eyes
            # to the screen.
            log.error("speech: call %r NOT spoken: %s: %s", call.text, type(exc).__name__, exc)
        try:
            if self.chime is not None and call.chime:
                self.player.play(self.chime)
            if error is None:
                self.player.play(wav)
        except Exception as exc:
            log.error("speech: call %r not played: %s: %s", call.text, type(exc).__name__, exc)
            error = error or exc
        if error is not None:
            self._set_health(SpeechState.FAILING, f"{type(error).__name__}: {error}")
            return Played(
                call.text,
                "failed",
                call.queued_at,
                started,
                self._clock(),
                str(error),
                call.language,
            )
        self._set_health(SpeechState.OK, "")
        return Played(
            call.text, "spoken", call.queued_at, started, self._clock(), language=call.language
        )

    def _set_health(self, state: SpeechState, detail: str) -> None:
        if state is self.health:
            return
        self.health = state
        if self._on_health is not None:
            try:
                self._on_health(state, detail)
            except Exception:
                log.exception("speech: on_health callback failed")

    def _record(self, played: Played) -> None:
        with self._cond:
            self._history.append(played)
        if self._on_played is not None:
            try:
                self._on_played(played)
            except Exception:
                log.exception("speech: on_played callback failed")


def default_synthesizer(rate: int, language: str, *, volume: float = 1.0) -> Synthesizer:
    """pyttsx3 (what the appliance ships with); the espeak-ng program where pyttsx3 cannot start.
    Raises a SpeechError (naming the apt package) when neither can speak `language`.
    ``volume``: 1.0 is the voice's own loudness (espeak-ng's amplitude 100)."""
    synth = Pyttsx3Synthesizer(rate=rate, volume=volume)
    try:
        synth.check((language,))
        return synth
    except SpeechEngineUnavailable as exc:
        log.warning("speech: pyttsx3 unavailable (%s), trying the espeak-ng program", exc)
        fallback = EspeakNgSynthesizer(rate=rate, volume=volume)
        fallback.check((language,))
        return fallback


def default_announcer(
    config: ApplianceConfig, on_health: Callable[[SpeechState, str], None] | None = None
) -> Announcer:
    """The group display's announcer from its configuration (`[voice]` enabled, rate)."""
    synth = default_synthesizer(
        config.voice.rate, config.language, volume=config.voice.volume / 100
    )
    return Announcer(
        synth,
        default_player(),
        enabled=config.voice.enabled,
        language=config.language,
        on_health=on_health,
    )
