"""An appliance in a real Kivy window on its own Xvfb screen, used by touch and keys.

Taps and keys are real X events sent with xdotool: they go through the X server, SDL and the
whole of Kivy's dispatch, so a layer that swallows touches makes the tap do nothing here as it
would under a finger. Where to tap comes from the map the appliance writes of what it draws
(``OKIENKO_WIDGET_MAP``); what the screen shows can also be read back from its pixels with
Tesseract.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.conftest import SiteRig

NEEDS_X = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="needs Xvfb and xdotool",
)


@dataclass(frozen=True)
class Widget:
    kind: str
    text: str
    disabled: bool
    x: int
    y: int
    w: int
    h: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.w // 2, self.y + self.h // 2


def display_base() -> int:
    """The first X display number this test process may use. Each pytest-xdist worker
    (PYTEST_XDIST_WORKER = gw0, gw1, …) gets its own block of 200, so two workers never race
    for one free number."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    return 140 + 200 * (int(worker) if worker.isdigit() else 0)


def _free_display() -> int:
    base = display_base()
    for n in range(base, base + 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


class ApplianceWindow:
    """``okienko appliance ROLE --device ID --info-file F`` on a fresh Xvfb screen of ``size``."""

    def __init__(
        self,
        role: str,
        device: str,
        info: Path,
        workdir: Path,
        size: tuple[int, int] = (800, 480),
        extra: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.role, self.device, self.info, self.size = role, device, info, size
        self.env = env or {}  # more environment for the appliance (TMPDIR: where it writes)
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.map_file = self.dir / f"{device}.map.json"
        self.log = self.dir / f"{device}.log"
        self.extra = extra or []
        self.xvfb: subprocess.Popen[bytes] | None = None
        self.app: subprocess.Popen[bytes] | None = None
        self.display = ""
        self._acted = 0.0  # wall time of the last tap or key

    # --- life --------------------------------------------------------------------------

    def start(self, timeout: float = 40.0) -> ApplianceWindow:
        n = _free_display()
        self.display = f":{n}"
        w, h = self.size
        self.xvfb = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(lambda: Path(f"/tmp/.X11-unix/X{n}").exists(), 10, "Xvfb did not start")
        env = {
            **os.environ,
            "DISPLAY": self.display,
            "OKIENKO_WIDGET_MAP": str(self.map_file),
            "KIVY_HOME": str(self.dir / ".kivy"),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        with self.log.open("ab") as out:
            self.app = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "okienko.cli",
                    "appliance",
                    self.role,
                    "--device",
                    self.device,
                    "--info-file",
                    str(self.info),
                    "--windowed",
                    "--size",
                    f"{w}x{h}",
                    *self.extra,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.dir,
            )
        self._wait(lambda: self.map_file.exists(), timeout, "the appliance drew nothing")
        return self

    def stop(self) -> None:
        for p in (self.app, self.xvfb):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def __enter__(self) -> ApplianceWindow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait(self, ok: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ok():
            if self.app is not None and self.app.poll() is not None:
                raise AssertionError(f"{what}: the appliance exited\n{self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} in {timeout} s\n{self.tail()}")
            time.sleep(0.1)

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    # --- what is on the screen ----------------------------------------------------------

    def _map(self) -> dict[str, Any]:
        for _ in range(20):
            try:
                data: dict[str, Any] = json.loads(self.map_file.read_text(encoding="utf-8"))
                return data
            except (OSError, ValueError):
                time.sleep(0.05)
        raise AssertionError("the widget map cannot be read")

    def widgets(self) -> list[Widget]:
        return [Widget(**w) for w in self._map()["widgets"]]

    def settled(self) -> bool:
        """The screen has taken in the last tap or key and is not waiting for the hub."""
        data = self._map()
        return bool(data["at"] > self._acted + 0.3 and not data["busy"])

    def texts(self) -> str:
        return "\n".join(w.text for w in self.widgets())

    def buttons(self) -> dict[str, Widget]:
        return {w.text: w for w in self.widgets() if w.kind == "button"}

    def wait_for(
        self, ok: Callable[[ApplianceWindow], bool], what: str, timeout: float = 15.0
    ) -> None:
        self._wait(lambda: ok(self), timeout, what)

    def wait_text(self, fragment: str, timeout: float = 15.0) -> None:
        try:
            self.wait_for(lambda s: fragment in s.texts(), f"{fragment!r} never shown", timeout)
        except AssertionError as exc:
            raise AssertionError(
                f"{fragment!r} never shown; the screen says:\n{self.texts()}"
            ) from exc

    def button(self, label: str, timeout: float = 15.0, *, enabled: bool = False) -> Widget:
        """The button labelled ``label``, or else the one whose text starts with it (its
        first line, for two-line tiles); with ``enabled``, once it is drawn enabled, as a
        person waits for it to light up."""
        found: list[Widget] = []

        def present(s: ApplianceWindow) -> bool:
            if enabled and not s.settled():
                return False
            buttons = [w for w in s.widgets() if w.kind == "button"]
            exact = [w for w in buttons if w.text == label]
            found[:] = [
                w
                for w in exact or buttons
                if w.text.startswith(label) and not (enabled and w.disabled)
            ]
            return bool(found)

        state = "enabled " if enabled else ""
        self.wait_for(present, f"no {state}button {label!r} on the screen", timeout)
        return found[0]

    # --- a finger and a keyboard ----------------------------------------------------------

    def _xdotool(self, *args: str) -> None:
        subprocess.run(
            ["xdotool", *args],
            env={**os.environ, "DISPLAY": self.display},
            check=True,
            capture_output=True,
            timeout=10,
        )

    def tap_at(self, x: int, y: int) -> None:
        self._xdotool("mousemove", str(x), str(y))  # no --sync: it hangs when already there
        self._xdotool("mousedown", "1")
        time.sleep(0.05)
        self._xdotool("mouseup", "1")
        self._acted = time.time()

    def hold(self, x: int, y: int, seconds: float) -> None:
        """A finger resting on the screen for ``seconds``."""
        self._xdotool("mousemove", str(x), str(y))
        self._xdotool("mousedown", "1")
        time.sleep(seconds)
        self._xdotool("mouseup", "1")
        self._acted = time.time()

    def tap(self, label: str) -> Widget:
        """Tap the centre of the button labelled ``label``; it must be drawn enabled."""
        w = self.button(label, enabled=True)
        self.tap_at(*w.centre)
        return w

    def _focus(self) -> None:
        """Keys go to the appliance's window: the only window on this screen (there is no
        window manager, so the X focus follows the pointer, which is moved over it)."""
        w, h = self.size
        self._xdotool("mousemove", str(w // 2), str(h // 2))
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", ""],
            env={**os.environ, "DISPLAY": self.display},
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.split()
        if found:
            self._xdotool("windowfocus", found[0])

    def type(self, text: str) -> None:
        """Type as a keyboard (or a code scanner acting as one) does."""
        self._focus()
        self._xdotool("type", "--delay", "40", text)
        self._acted = time.time()

    def key(self, *names: str) -> None:
        self._focus()
        self._xdotool("key", "--delay", "40", *names)
        self._acted = time.time()

    def screenshot(self, path: Path) -> Path:
        from PIL import ImageGrab

        ImageGrab.grab(xdisplay=self.display).save(path)
        return path


def info_file(rig: SiteRig, path: Path) -> Path:
    """The demo's info file for a test site: what ``--info-file`` reads."""
    from hub.config import load_site

    site = load_site(rig.config).site
    devices = {
        d.id: {
            "role": str(d.role),
            "username": d.id,
            "password": rig.passwords[d.id],
            **({"counter": d.counter} if d.counter else {}),
        }
        for d in site.devices
    }
    path.write_text(
        json.dumps(
            {
                "mqtt": {
                    "host": "127.0.0.1",
                    "port": rig.port,
                    "ca_file": str(rig.ca_file),
                    "site": rig.site_id,
                    "topic_root": f"okienko/v1/{rig.site_id}",
                },
                "devices": devices,
            }
        )
    )
    return path


def ocr(image: Path, language: str = "pol") -> str:
    """The words Tesseract reads off a screenshot (sparse text: screens are not pages)."""
    from tests.support.ocr import read_text

    return read_text(image, psm=11, language=language)
