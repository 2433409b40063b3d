"""Kivy view of the group display: declares the layout (display.kv), shows a DisplayModel.

Rows are kept and updated in place rather than rebuilt every second, so a flashing row keeps
blinking and a long name is measured once, not on every tick.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from appliance.display.presenter import SHOWN_CALLS, DisplayModel

BLINK_S = 0.4  # a flashing row swaps colours this often


@functools.lru_cache(maxsize=1024)
def fitted_font_size(
    text: str, width: int, height: int, largest: float, smallest: float, bold: bool, font: str
) -> float:
    """The font size up to ``largest`` at which ``text`` fits ``width`` x ``height``, wrapped
    between words only (no word wider than a line). One line wins unless wrapping allows a
    clearly larger font: "Dowody osobiste" stays on one line, a long name takes two or three."""
    from kivy.core.text import Label as CoreLabel

    words = text.split()
    one_line = wrapped = 0.0
    size = largest
    while size > smallest and not one_line:
        core = CoreLabel(font_size=size, bold=bold, font_name=font)
        lines = _lines(words, width, core)
        fits = lines is not None and len(lines) * core.get_extents("ĄŻgy")[1] <= height
        if fits and len(lines or ()) == 1:
            one_line = size
        elif fits and not wrapped:
            wrapped = size
        size *= 0.92
    if one_line and one_line >= 0.8 * wrapped:
        return one_line
    return wrapped or one_line or smallest


def _lines(words: list[str], width: int, core: Any) -> list[str] | None:
    """Greedy wrapping as the label does it; None when a word alone is wider than a line."""
    lines: list[str] = []
    for word in words:
        if core.get_extents(word)[0] > width:
            return None
        if lines and core.get_extents(f"{lines[-1]} {word}")[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


class FitLabel(Label):  # type: ignore[misc]
    """A label that wraps between words and shrinks its font until the text fits its box:
    a long service name is never cut ("Działalność …rcza") or split mid-word."""

    largest = NumericProperty(20)
    smallest = NumericProperty(8)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Fitted at once, not on the next frame: every frame drawn shows the fitted text.
        for name in ("text", "size", "largest", "bold"):
            self.fbind(name, self._fit)
        self._fit()

    def _fit(self, *_args: Any) -> None:
        width, height = int(self.width * 0.98), int(self.height * 0.95)
        if not self.text or width <= 0 or height <= 0:
            return
        self.text_size = (self.width, None)
        self.font_size = fitted_font_size(
            self.text,
            width,
            height,
            float(self.largest),
            float(self.smallest),
            bool(self.bold),
            str(self.font_name),
        )


def whole_numbers(numbers: list[str], more: int, fits: Callable[[str], bool]) -> str:
    """As many whole numbers as fit, then "+N" for the rest: never half a number."""
    for shown in range(len(numbers), -1, -1):
        rest = len(numbers) - shown + more
        text = "  ".join([*numbers[:shown], *([f"+{rest}"] if rest else [])])
        if fits(text):
            return text
    return ""


class NumbersLabel(Label):  # type: ignore[misc]
    """One service's next waiting numbers on one line, as many as the width takes."""

    numbers = ListProperty([])
    more = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("numbers", "more", "size", "font_size"):
            self.fbind(name, self._fit)
        self._fit()

    def _fit(self, *_args: Any) -> None:
        from kivy.core.text import Label as CoreLabel

        core = CoreLabel(font_size=self.font_size, bold=self.bold, font_name=self.font_name)
        width = self.width * 0.98
        self.text = whole_numbers(
            list(self.numbers), int(self.more), lambda t: core.get_extents(t)[0] <= width
        )


class CallRowView(BoxLayout):  # type: ignore[misc]
    number = StringProperty("")
    counter = StringProperty("")
    highlighted = BooleanProperty(False)
    flashing = BooleanProperty(False)
    blink = BooleanProperty(False)  # the flash's second colour, on every other BLINK_S

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._blinker: Any = None

    def on_flashing(self, _row: Any, flashing: bool) -> None:
        if self._blinker is not None:
            self._blinker.cancel()
            self._blinker = None
        self.blink = False
        if flashing:
            self._blinker = Clock.schedule_interval(self._toggle, BLINK_S)

    def _toggle(self, _dt: float) -> None:
        self.blink = not self.blink


class ServiceRowView(BoxLayout):  # type: ignore[misc]
    prefix = StringProperty("")
    name = StringProperty("")
    waiting = NumericProperty(0)


class WaitingNumbersView(BoxLayout):  # type: ignore[misc]
    numbers = ListProperty([])
    more = NumericProperty(0)


class DisplayView(FloatLayout):  # type: ignore[misc]
    site_name = StringProperty("")
    clock = StringProperty("")
    message = StringProperty("")
    heading_ticket = StringProperty("")
    heading_counter = StringProperty("")
    heading_waiting = StringProperty("")
    heading_numbers = StringProperty("")
    nobody_waiting = StringProperty("")
    panel = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._calls = [CallRowView(opacity=0) for _ in range(SHOWN_CALLS)]
        for row in self._calls:  # the same height however many calls
            self.ids.calls.add_widget(row)

    def show(self, model: DisplayModel) -> None:
        self.site_name = model.site_name
        self.clock = model.clock
        self.message = model.message or ""
        self.heading_ticket = model.headings.get("ticket", "")
        self.heading_counter = model.headings.get("counter", "")
        self.heading_waiting = model.headings.get("waiting", "")
        self.heading_numbers = model.headings.get("numbers", "")
        self.panel = model.waiting_panel
        self.nobody_waiting = model.headings.get("nobody", "") if not model.waiting else ""
        for i, view in enumerate(self._calls):
            call = model.calls[i] if i < len(model.calls) else None
            view.opacity = 1 if call else 0
            view.number = call.number if call else ""
            view.counter = call.counter if call else ""
            view.highlighted = call.highlighted if call else False
            view.flashing = call.flashing if call else False
        services = _rows(self.ids.services, len(model.services), ServiceRowView)
        for service_view, s in zip(services, model.services, strict=True):
            service_view.prefix, service_view.name = s.prefix, s.name
            service_view.waiting = s.waiting
        cells = _rows(self.ids.waiting, len(model.waiting), WaitingNumbersView)
        self.ids.waiting.cols = max(1, min(3, len(model.waiting)))
        for cell, w in zip(cells, model.waiting, strict=True):
            cell.numbers, cell.more = list(w.numbers), w.more


def _rows(container: Widget, count: int, kind: type[Widget]) -> list[Any]:
    """The container's children as ``count`` widgets of ``kind``, in order, reusing them."""
    if len(container.children) != count:
        container.clear_widgets()
        for _ in range(count):
            container.add_widget(kind())
    return list(reversed(container.children))


Builder.load_file(str(Path(__file__).with_name("display.kv")))
