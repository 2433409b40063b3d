"""``OKIENKO_WIDGET_MAP=file``: where each visible button and label is on the screen.

A test (or a support technician) can then tap a button by its text with a real pointer event
(xdotool under Xvfb) that goes through the X server, SDL and Kivy's whole touch dispatch, the
way a finger does. The map records only what is drawn: widgets under a transparent or
removed parent are left out, so a hidden layer that still catches touches shows up as a tap
that does nothing, not as a harness that skips it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def _entries(widget: Any, window: Any, out: list[dict[str, Any]]) -> None:
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    if getattr(widget, "opacity", 1) == 0:
        return
    if isinstance(widget, Label) and widget.text:
        x0, y0 = widget.to_window(widget.x, widget.y)
        x1, y1 = widget.to_window(widget.right, widget.top)
        # Kivy's origin is the window's bottom left; X's is the screen's top left.
        out.append(
            {
                "kind": "button" if isinstance(widget, Button) else "label",
                "text": widget.text,
                "disabled": bool(widget.disabled),
                "x": round(window.left + x0),
                "y": round(window.top + window.height - y1),
                "w": round(x1 - x0),
                "h": round(y1 - y0),
            }
        )
    for child in reversed(widget.children):  # drawing order: first child is drawn last
        _entries(child, window, out)


def write(path: Path) -> None:
    from kivy.core.window import Window

    out: list[dict[str, Any]] = []
    busy = False
    for child in reversed(Window.children):
        _entries(child, Window, out)
        busy = busy or bool(getattr(getattr(child, "model", None), "busy", False))
    tmp = path.with_name(path.name + ".tmp")
    # "busy": a tap is still with the hub, as the greyed buttons show a person.
    data = {"at": time.time(), "busy": busy, "window": [Window.width, Window.height]}
    tmp.write_text(json.dumps({**data, "widgets": out}), encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a map


def install() -> None:
    """Write the map five times a second when the environment asks for it."""
    target = os.environ.get("OKIENKO_WIDGET_MAP")
    if not target:
        return
    from kivy.clock import Clock

    path = Path(target)
    Clock.schedule_interval(lambda _dt: write(path), 0.2)
