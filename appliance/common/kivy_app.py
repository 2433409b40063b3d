"""Running an appliance screen in Kivy: window set-up, the hub connection, marshalling presenter
changes onto the UI thread, and ``--screenshot`` (render once the hub's state is in, save, exit).

Kivy is imported only inside ``run``: presenters and their tests never need it.
"""

from __future__ import annotations

import logging
import os
import platform
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.common.config import ApplianceConfig
from appliance.common.hub_client import Credentials, HubClient

log = logging.getLogger("okienko.appliance")


def on_a_pi() -> bool:
    try:
        return "Raspberry Pi" in Path("/proc/device-tree/model").read_text(errors="ignore")
    except OSError:
        return False


def credentials_for(
    config: ApplianceConfig, *, timeout: float = 10.0, interfaces: list[str] | None = None
) -> Credentials:
    """The broker to use: the configured one, or one found by zeroconf that proves itself
    with a certificate of the site CA the device holds (see ``find_trusted_hub``)."""
    host, site = config.hub.host, config.hub.site
    port = config.hub.port
    ca_pem = config.hub.ca_pem()
    if host is None:
        from hub.discovery import find_trusted_hub
        from hub.tls import client_context

        context = client_context(ca_pem=ca_pem)
        found = find_trusted_hub(site, context, timeout=timeout, interfaces=interfaces)
        if found is None:
            raise SystemExit(
                "no Okienko hub with a certificate of this site's CA found on this network "
                "(zeroconf); set hub.host"
            )
        host, port, site = found.host, found.port, found.site
    if site is None:
        raise SystemExit("hub.site is needed when hub.host is set")
    return Credentials(host, port, site, config.device, config.secret(), ca_pem)


def client_for(config: ApplianceConfig) -> HubClient:
    return HubClient(credentials_for(config), role=str(config.role))


class _FrameLog:
    """``OKIENKO_FRAME_LOG=file``: after each model shown, the wall time of the next frame
    and the model's ``site_name``/``number`` (bench/appliance.py measures state → frame)."""

    def __init__(self, path: Path) -> None:
        from kivy.core.window import Window

        self.out = path.open("a", buffering=1, encoding="utf-8")
        self.pending: list[str] = []
        Window.bind(on_flip=self._flipped)

    def shown(self, model: Any) -> None:
        self.pending.append(str(getattr(model, "site_name", "") or getattr(model, "number", "")))

    def _flipped(self, *_args: Any) -> None:
        if self.pending:
            now = time.time()
            for marker in self.pending:
                self.out.write(f"{now:.6f} {marker}\n")
            self.pending.clear()


def _frame_log() -> _FrameLog | None:
    path = os.environ.get("OKIENKO_FRAME_LOG")
    return _FrameLog(Path(path)) if path else None


def run(
    config: ApplianceConfig,
    build: Callable[[HubClient], tuple[Any, Any]],
    *,
    size: tuple[int, int] = (1024, 600),
    screenshot: Path | None = None,
    screenshot_after: float | None = None,
    ready: Callable[[Any], bool] = lambda model: bool(getattr(model, "available", False)),
) -> int:
    """``build(client)`` returns (presenter, root widget); the widget has ``show(model)``."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    fullscreen = config.fullscreen if config.fullscreen is not None else on_a_pi()
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "1")
    Config.set("kivy", "exit_on_escape", "0" if fullscreen else "1")
    if fullscreen:
        Config.set("graphics", "show_cursor", "0")
    from kivy.app import App
    from kivy.clock import Clock

    client = client_for(config)
    presenter, root = build(client)
    result = {"code": 0}

    class ApplianceApp(App):  # type: ignore[misc]
        title = f"Okienko – {config.role} {config.device}"

        def build(self) -> Any:
            self._frame_log = _frame_log()
            self._last: Any = None
            from appliance.common import widget_map

            widget_map.install()
            presenter.subscribe(lambda model: Clock.schedule_once(lambda _dt: self._show(model)))
            Clock.schedule_interval(lambda _dt: getattr(presenter, "tick", lambda: None)(), 1.0)
            client.start_background()
            if screenshot is not None and screenshot_after is not None:
                Clock.schedule_once(lambda _dt: self._shoot(), screenshot_after)
            elif screenshot is not None:
                Clock.schedule_once(lambda _dt: self._give_up(), 30)
            return root

        def _show(self, model: Any) -> None:
            if model == self._last:
                return  # nothing new (the presenter's tick): redrawing would only risk taps
            self._last = model
            try:
                root.show(model)
            except Exception:  # a drawing bug must not take the device off the counter
                log.exception("the screen could not show the new state")
                return
            if self._frame_log is not None:
                self._frame_log.shown(model)
            if screenshot is not None and screenshot_after is None and ready(model):
                # Two frames later the new model is on screen.
                Clock.schedule_once(lambda _dt: self._shoot(), 0.5)

        def _shoot(self) -> None:
            from kivy.core.window import Window

            saved = Window.screenshot(name=str(screenshot))
            # Kivy numbers screenshot files ("x0001.png"); give the caller the name it asked for.
            if saved and Path(saved) != screenshot:
                Path(saved).replace(screenshot)  # type: ignore[arg-type]
            log.info("screenshot saved to %s", screenshot)
            self.stop()

        def _give_up(self) -> None:
            log.error("no state from the hub in 30 s; screenshot not taken")
            result["code"] = 1
            self.stop()

        def on_stop(self) -> None:
            client.stop()

    log.info("starting %s %s on %s", config.role, config.device, platform.node())
    app = ApplianceApp()
    # SIGTERM (systemctl stop, a kiosk session ending) stops the app the normal way, so
    # on_stop tells the hub this device went offline instead of leaving "online" retained.
    signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: app.stop()))
    app.run()
    return result["code"]
