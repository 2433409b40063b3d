"""Speech synthesis to a WAV file: the `Synthesizer` protocol, the pyttsx3 adapter the appliance
uses (espeak-ng's Polish voice), and a plain espeak-ng command-line adapter.

Why the pyttsx3 adapter looks the way it does (pyttsx3 2.99, espeak driver, Linux):
- libespeak-ng is initialised once per process and its voice, rate and audio callback are
  process-wide; `pyttsx3.init()` returns one cached engine per driver for every thread. "One
  engine per thread" is therefore not possible: all synthesis goes through one lock.
- `setProperty` may be queued until `runAndWait`, and its failures (an unknown voice) are never
  raised but sent to the engine's "error" callback while speech goes on in the previous voice.
  We choose voices from the installed list and treat any reported error as a failure.
- An engine's first `runAndWait` returns before the speech is written: the queued commands
  (our `endLoop` among them) run as the loop starts, and only then does the driver start
  espeak's (asynchronous) synthesis, so the loop ends ~10 ms later while espeak's thread still
  works; "Audio saved to …" comes after. A first call longer than that came out empty (the
  display's first call after start, on a busy CPU). So we wait for the engine's
  "finished-utterance", which the driver sends once the WAV is written and closed.
- From the second `runAndWait` on, the queued commands run at once (the driver is idle), so
  the loop ends only when espeak's C callback says the utterance is done. If writing the file
  fails in that callback, the error is swallowed and `runAndWait` never returns. So we check the
  target can be written before; a watchdog ends a loop that overruns `timeout_s` (the loop
  polls every 10 ms, so the driver proxy's `endLoop` from another thread stops it; the engine's
  own `endLoop` refuses, believing no loop runs); and the file is checked after.
- A failed attempt is retried on a fresh engine (the old one's state is unknown after a loop
  was cut short). The old driver is detached first: its `__del__`, whenever the garbage
  collector runs it, would otherwise unset espeak's callback, which is process-wide and by
  then the new driver's.
- `save_to_file` prints "Audio saved to …" on stdout; harmless, left alone (silencing it would
  mean swapping sys.stdout under every other thread).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import threading
import time
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

log = logging.getLogger("okienko.appliance.speech")

APT_PACKAGE = "espeak-ng"
# Voice ids as espeak-ng 1.51 lists them (`espeak-ng --voices`), best first.
VOICES: dict[str, tuple[str, ...]] = {
    "pl": ("zlw/pl",),
    "en": ("gmw/en", "gmw/en-gb-x-rp", "gmw/en-us"),
    "uk": ("zle/uk",),
}
DEFAULT_RATE = 150  # words per minute: espeak's own 175 is brisk for a noisy hall

# libespeak-ng's state is per process (see above), whichever adapter or thread uses it.
_ESPEAK_LOCK = threading.Lock()


class SpeechError(Exception):
    """Speech could not be made."""


class SpeechEngineUnavailable(SpeechError):
    """pyttsx3 or the espeak-ng library is missing or does not start."""


class VoiceNotInstalled(SpeechError):
    """No voice for the requested language; the message names the package to install."""

    def __init__(self, language: str, wanted: tuple[str, ...] = ()) -> None:
        self.language = language
        ids = ", ".join(wanted) or "none known"
        super().__init__(
            f"no espeak-ng voice for language {language!r} (looked for {ids}); "
            f"install it with: apt-get install {APT_PACKAGE}"
        )


class SynthesisFailed(SpeechError):
    """The engine ran but produced no usable WAV."""


class Synthesizer(Protocol):
    def to_wav(self, text: str, path: Path, *, language: str) -> None:
        """Write `text` spoken in `language` ("pl", "en" or "uk") to the WAV file `path`."""
        ...


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    languages: tuple[str, ...]


def choose_voice(voices: list[VoiceInfo], language: str) -> str:
    """The preferred voice id for `language` among those installed, else any voice whose
    language code is that language; else VoiceNotInstalled."""
    wanted = VOICES.get(language, ())
    ids = {v.id.lower(): v.id for v in voices}  # espeak-ng's files are "gmw/en-GB-x-rp"
    for voice_id in wanted:
        if voice_id in ids:
            return ids[voice_id]
    for v in voices:
        if any(code == language or code.startswith(language + "-") for code in v.languages):
            return v.id
    raise VoiceNotInstalled(language, wanted)


def _check_text(text: str) -> None:
    if not text.strip():
        raise ValueError("nothing to say: the text is empty")


# Peak of 16-bit samples below which a "call" is silence; speech peaks near 20000.
SILENCE_PEAK = 500


def _check_output(path: Path) -> None:
    """The WAV is whole (readable to its last frame) and holds sound, not silence."""
    try:
        with wave.open(str(path), "rb") as f:
            width, data = f.getsampwidth(), f.readframes(f.getnframes())
    except (OSError, EOFError, wave.Error) as exc:  # missing, empty or cut short
        raise SynthesisFailed(f"no speech was written to {path} ({exc})") from exc
    if not data:
        raise SynthesisFailed(f"no speech was written to {path}")
    if width == 2:
        samples = array("h", data)
        if sys.byteorder == "big":  # WAV is little-endian
            samples.byteswap()
        if max(samples) < SILENCE_PEAK and -min(samples) < SILENCE_PEAK:
            raise SynthesisFailed(f"only silence was written to {path}")


class _SharedEngine:
    """The process's one pyttsx3 engine and what its "error" callback reported; used only
    under _ESPEAK_LOCK."""

    engine: ClassVar[Any] = None
    errors: ClassVar[list[Exception]] = []
    finished: ClassVar[threading.Event] = threading.Event()  # the utterance's WAV is written

    @classmethod
    def get(cls) -> Any:
        if cls.engine is None:
            try:
                from pyttsx3.engine import Engine

                # Not pyttsx3.init(): its cache would hand back a retired engine (see renew).
                engine = Engine("espeak")
            except ImportError as exc:
                raise SpeechEngineUnavailable(
                    f"pyttsx3 is not installed ({exc}); install the 'appliance' extra"
                ) from exc
            except (OSError, RuntimeError, AttributeError) as exc:
                # the ctypes load of libespeak-ng (OSError) or its initialisation failed
                raise SpeechEngineUnavailable(
                    f"espeak-ng does not start ({exc}); install it with: "
                    f"apt-get install {APT_PACKAGE}"
                ) from exc
            engine.connect("error", cls._on_error)
            engine.connect("finished-utterance", cls._on_finished)
            cls.engine = engine
        return cls.engine

    @classmethod
    def renew(cls) -> None:
        """Retire the engine; the next `get` makes a fresh one (see the module's docstring)."""
        old, cls.engine = cls.engine, None
        if old is None:
            return
        with contextlib.suppress(Exception):
            old.proxy._driver.stop()  # cancels espeak's synthesis if it still runs
        with contextlib.suppress(Exception):
            old.proxy._driver = None  # its __del__ then finds nothing to destroy

    @classmethod
    def _on_error(cls, name: object = None, exception: Exception | None = None) -> None:
        cls.errors.append(exception or SpeechError("unknown pyttsx3 error"))

    @classmethod
    def _on_finished(cls, name: object = None, completed: bool = True) -> None:
        if completed:
            cls.finished.set()


class Pyttsx3Synthesizer:
    """pyttsx3 on espeak-ng, the adapter the group display uses. The engine starts on first use
    (in the announcer's worker thread); `check()` starts it early to fail at start-up."""

    def __init__(
        self,
        *,
        rate: int = DEFAULT_RATE,
        volume: float = 1.0,
        timeout_s: float = 10.0,
        attempts: int = 3,
    ) -> None:
        self.rate = rate
        self.volume = volume
        self.timeout_s = timeout_s  # per attempt
        self.attempts = max(1, attempts)
        self._voices: dict[str, str] = {}  # language -> voice id

    def check(self, languages: tuple[str, ...] = ("pl",)) -> None:
        """Raise now if the engine or a needed voice is missing."""
        with _ESPEAK_LOCK:
            for language in languages:
                self._voice_for(language)

    def to_wav(self, text: str, path: Path, *, language: str) -> None:
        _check_text(text)
        for attempt in range(1, self.attempts + 1):
            try:
                # Fails here, cleanly, rather than inside pyttsx3 (see above); and empties
                # the file, so nothing of an earlier attempt passes for this one's speech.
                path.open("wb").close()
            except OSError as exc:
                raise SynthesisFailed(f"cannot write {path}: {exc}") from exc
            try:
                self._attempt(text, path, language)
                return
            except SynthesisFailed as exc:
                if attempt == self.attempts:
                    raise
                log.warning(
                    "speech: attempt %d of %d failed (%s); trying again on a fresh engine",
                    attempt,
                    self.attempts,
                    exc,
                )
                with _ESPEAK_LOCK:
                    _SharedEngine.renew()

    def _attempt(self, text: str, path: Path, language: str) -> None:
        with _ESPEAK_LOCK:
            voice = self._voice_for(language)
            engine = _SharedEngine.get()
            _SharedEngine.errors.clear()
            _SharedEngine.finished.clear()
            # Set every time: the engine is shared by the whole process.
            engine.setProperty("voice", voice)
            engine.setProperty("rate", self.rate)
            engine.setProperty("volume", self.volume)
            engine.save_to_file(text, str(path))
            overran = threading.Event()
            deadline = time.monotonic() + self.timeout_s
            watchdog = threading.Timer(self.timeout_s, _end_loop, (engine, overran))
            watchdog.start()
            try:
                engine.runAndWait()
            finally:
                watchdog.cancel()
            # A fresh engine's loop ends before the WAV is written (see above): wait for it.
            finished = _SharedEngine.finished.wait(max(0.0, deadline - time.monotonic()))
            errors = list(_SharedEngine.errors)
        if overran.is_set() or not finished:
            raise SynthesisFailed(f"pyttsx3 did not finish within {self.timeout_s} s")
        if errors:
            raise SynthesisFailed(f"pyttsx3 reported: {errors[0]}") from errors[0]
        _check_output(path)

    def _voice_for(self, language: str) -> str:
        if language not in self._voices:
            voices = [
                VoiceInfo(str(v.id), tuple(str(c) for c in (v.languages or ())))
                for v in _SharedEngine.get().getProperty("voices")
            ]
            self._voices[language] = choose_voice(voices, language)
            log.info("speech: language %s uses voice %s", language, self._voices[language])
        return self._voices[language]


def _end_loop(engine: Any, overran: threading.Event) -> None:
    overran.set()
    with contextlib.suppress(Exception):  # the loop may have ended just now after all
        engine.proxy.endLoop(True)


class EspeakNgSynthesizer:
    """The `espeak-ng` program in a subprocess: no shared state and a hard timeout, for
    diagnosis on a device (`espeak-ng -v pl -w f.wav "Numer A 12"`) and as a fallback
    where pyttsx3 cannot be installed."""

    def __init__(
        self,
        *,
        rate: int = DEFAULT_RATE,
        volume: float = 1.0,
        program: str = "espeak-ng",
        timeout_s: float = 10.0,
    ) -> None:
        self.rate = rate
        self.volume = volume  # 1.0: espeak-ng's own amplitude (-a 100)
        self.program = program
        self.timeout_s = timeout_s
        self._voices: dict[str, str] = {}

    def check(self, languages: tuple[str, ...] = ("pl",)) -> None:
        for language in languages:
            self._voice_for(language)

    def to_wav(self, text: str, path: Path, *, language: str) -> None:
        _check_text(text)
        voice = self._voice_for(language)
        path.unlink(missing_ok=True)
        # "--" so a text starting with "-" is not taken for an option
        amplitude = str(round(self.volume * 100))
        cmd = [self.program, "-v", voice, "-s", str(self.rate), "-a", amplitude, "-w", str(path)]
        cmd += ["--", text]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise SynthesisFailed(f"{self.program} took over {self.timeout_s} s") from exc
        if done.returncode != 0:
            raise SynthesisFailed(f"{self.program} failed: {done.stderr.strip()[:200]}")
        _check_output(path)

    def _voice_for(self, language: str) -> str:
        if language not in self._voices:
            if shutil.which(self.program) is None:
                raise SpeechEngineUnavailable(
                    f"{self.program} not found; install it with: apt-get install {APT_PACKAGE}"
                )
            out = subprocess.run(
                [self.program, "--voices"], capture_output=True, text=True, timeout=10
            ).stdout
            self._voices[language] = choose_voice(_parse_voice_list(out), language)
        return self._voices[language]


def _parse_voice_list(listing: str) -> list[VoiceInfo]:
    """`espeak-ng --voices`: "Pty Language Age/Gender VoiceName File Other Languages"."""
    voices = []
    for line in listing.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            voices.append(VoiceInfo(cols[4], (cols[1],)))
    return voices
