"""Kivy view of the dispenser (dispenser.kv): one grid that shows the services, the priority
reasons, the code keypad or the issued ticket, and a bar of actions below it. Keys of a numeric
keypad (and arrows) drive the voice guidance; a finger held still for three seconds starts it."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label

from appliance.dispenser.presenter import DispenserModel, DispenserPresenter
from hub.contract import access_code


class DispenserButton(Button):  # type: ignore[misc]
    contrast = BooleanProperty(False)  # large text, high contrast
    focused = BooleanProperty(False)  # the keypad's focus: a thick ring
    chosen = BooleanProperty(False)  # the session's language: dark on white (underlined)
    scale = NumericProperty(1.0)


class CodeKey(DispenserButton):
    """A key of the access-code keypad: one sign, as large as the key allows."""


class LanguageButton(DispenserButton):
    """A language in the first screen's bottom row, its name as large as the row allows."""


Factory.register("DispenserButton", cls=DispenserButton)
Factory.register("CodeKey", cls=CodeKey)
Factory.register("LanguageButton", cls=LanguageButton)
Builder.load_file(str(Path(__file__).with_name("dispenser.kv")))


REACH_TOP = 0.4  # low reach: no control above this share of the height
REPEAT_SECONDS = 2.0  # a held keypad key: its first repeat, and each next one, after this
HOLD_SECONDS = 3.0  # a finger held this long starts the voice guidance
HELD = "okienko.held"  # marks such a touch: lifting it must not also press a button


def _on_release(b: Any, action: Any) -> None:
    touch = b.last_touch
    if touch is not None and touch.ud.get(HELD):
        return
    action()


# Keys of a USB keyboard or code scanner (Kivy's SDL key codes).
ENTER, BACKSPACE, ESCAPE, TAB = 13, 8, 27, 9
# Keys a code scanner never sends: the numeric keypad's own codes (whatever NumLock says) and
# the arrows. They drive the voice guidance; digits from the top row stay code input.
KEYPAD = {
    256: "help",  # 0
    258: "down",  # 2
    260: "left",  # 4
    261: "activate",  # 5
    262: "right",  # 6
    264: "up",  # 8
    266: "delete",  # . (Del)
    268: "contrast",  # *
    269: "quieter",  # -
    270: "louder",  # +
    271: "activate",  # keypad Enter
    273: "up",
    274: "down",
    275: "right",
    276: "left",
}
KEYPAD_RANGE = range(256, 272)  # numpad0 .. numpadenter: any of them starts the guidance


class DispenserView(FloatLayout):  # type: ignore[misc]
    title = StringProperty("")
    banner = StringProperty("")
    message = StringProperty("")
    overlay = StringProperty("")
    columns = NumericProperty(2)
    contrast = BooleanProperty(False)
    reach_gap = NumericProperty(0)
    show_languages = BooleanProperty(False)

    def __init__(self, presenter: DispenserPresenter, **kw: Any) -> None:
        super().__init__(**kw)
        self.p = presenter
        self.screen = ""
        self._ok: Any = None  # the OK key while the code keypad is up
        self._choices: dict[str, Any] = {}  # the buttons by their choice's key
        self._drawn: Any = None  # the model last drawn, without its focus
        self._low_reach = False
        self._keypad_text = False  # the keypad key just pressed may also send a digit as text
        self._hold: Any = None
        # Imported here: importing the window earlier would open it before the size is set.
        from kivy.core.window import Window

        Window.bind(on_textinput=self._on_text, on_key_down=self._on_key, on_key_up=self._on_up)
        self._down: dict[int, float] = {}  # keypad keys held, since when (see _on_key)
        self.bind(size=lambda *_: self._place())

    def _on_text(self, _window: Any, text: str) -> bool:
        if self._keypad_text:  # NumLock on: the keypad's "2" also comes as text; not a code
            self._keypad_text = False
            return True
        self.p.typed(text)
        return True

    def _on_up(self, _window: Any, key: int, *_args: Any) -> bool:
        self._down.pop(key, None)
        return False

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        self._keypad_text = key in KEYPAD_RANGE
        if key in KEYPAD or key in KEYPAD_RANGE:
            # A key held down repeats; a hand resting on the keypad must not race through the
            # choices: a held key repeats at most once every 2 s (EN 301 549 5.7).
            now = time.monotonic()
            if now - self._down.get(key, float("-inf")) >= REPEAT_SECONDS:
                self._down[key] = now
                self.p.nav(KEYPAD.get(key, "help"))
        elif key == TAB:
            self.p.nav("right")
        elif key == ENTER:
            self.p.enter()
        elif key == BACKSPACE and self.screen == "code":
            self.p.key("back")
        elif key == ESCAPE:
            self.p.escape()
        else:
            return False
        return True  # Escape must not close the dispenser

    # --- a finger held still ----------------------------------------------------------------

    def on_touch_down(self, touch: Any) -> bool:
        self.p.touched()
        self._cancel_hold()
        self._hold = Clock.schedule_once(lambda _dt: self._held(touch), HOLD_SECONDS)
        touch.ud["okienko.start"] = touch.pos
        return bool(super().on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        x0, y0 = touch.ud.get("okienko.start", touch.pos)
        if abs(touch.x - x0) + abs(touch.y - y0) > min(self.width, self.height) * 0.05:
            self._cancel_hold()
        return bool(super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        self._cancel_hold()
        return bool(super().on_touch_up(touch))

    def _cancel_hold(self) -> None:
        if self._hold is not None:
            self._hold.cancel()
            self._hold = None

    def _held(self, touch: Any) -> None:
        self._hold = None
        touch.ud[HELD] = True
        self.p.nav("help")

    # --- drawing --------------------------------------------------------------------------

    def _button(self, key: str, text: str, action: Any, *, enabled: bool = True) -> Any:
        b = Factory.DispenserButton(text=text, disabled=not enabled, contrast=self.contrast)
        b.bind(on_release=lambda _b: _on_release(_b, action))
        self._choices[key] = b
        return b

    def _key(self, key: str, text: str, action: Any) -> Any:
        b = Factory.CodeKey(text=text, contrast=self.contrast)
        b.bind(on_release=lambda _b: _on_release(_b, action))
        self._choices[key] = b
        return b

    def _focus(self, focus: str | None) -> None:
        for key, b in self._choices.items():
            b.focused = key == focus

    def _place(self) -> None:
        """Low reach: the controls start below the upper 40 % of the screen."""
        if not self._low_reach:
            self.reach_gap = 0
            return
        h = self.height
        used = h * (0.12 if self.contrast else 0.1) + h * 0.015 * 4
        used += h * 0.07 if self.banner else 0
        used += h * 0.08 if self.message else 0
        self.reach_gap = max(0.0, h * REACH_TOP - used)

    def _code_title(self, m: DispenserModel) -> str:
        # The code as it grows, in the groups of four the confirmation shows.
        typed = m.code + "_" * max(access_code.LENGTH - len(m.code), 1)
        return f"{m.texts['code_prompt']}:  {access_code.grouped(typed)}"

    def show(self, m: DispenserModel) -> None:
        structure = dataclasses.replace(m, focus=None)
        if structure == self._drawn:
            self._focus(m.focus)  # a keypad key moved the focus: nothing else to redraw
            return
        self._drawn = structure
        self._draw(m)
        self._focus(m.focus)
        self._place()

    def _draw(self, m: DispenserModel) -> None:
        t = m.texts
        keypad_up = self.screen == "code" and self._ok is not None
        restyled = self.contrast != m.contrast or self._low_reach != m.low_reach
        self.contrast, self._low_reach = m.contrast, m.low_reach
        self.screen = m.screen
        self.overlay = "" if m.available else m.message
        self.message = m.warning or (m.message if m.available and m.screen != "trouble" else "")
        if (
            keypad_up
            and not restyled
            and "extend" not in self._choices
            and not m.warning
            and m.screen == "code"
            and m.available
            and not m.busy
            and self._ok
        ):
            # Typing: only the code and OK change. Rebuilding the keys under a finger
            # would lose the tap that lands while they are replaced.
            self.title = self._code_title(m)
            self._ok.disabled = len(m.code) < 4
            return
        self._ok = None
        self._choices = {}
        self.banner = ""
        grid, bar, row = self.ids.grid, self.ids.bar, self.ids.languages
        grid.clear_widgets()
        bar.clear_widgets()
        row.clear_widgets()
        self.show_languages = False
        button = self._button
        if m.warning:
            bar.add_widget(button("extend", t["more_time"], self.p.extend))
        if not m.available:
            return  # nothing to tap while the hub cannot answer: the message says why
        if m.busy:
            self.overlay = "…"
        if m.screen == "priority":
            self.title = t["priority"]
            self.columns = 1 if m.contrast else 2
            for reason, label in m.reasons:
                grid.add_widget(
                    button(f"reason:{reason}", label, lambda r=reason: self.p.choose_priority(r))
                )
            bar.add_widget(button("cancel", t["cancel"], self.p.cancel))
        elif m.screen == "code":
            self.title = self._code_title(m)
            self.banner = t["code_hint"]
            self.columns = 8
            # Exactly the code's own signs (no 0/O, 1/I/L), 8 × 4 keys with the delete key.
            for sign in access_code.ALPHABET:
                grid.add_widget(self._key(f"sign:{sign}", sign, lambda k=sign: self.p.key(k)))
            grid.add_widget(self._key("delete", "<", lambda: self.p.key("back")))
            bar.add_widget(button("cancel", t["cancel"], self.p.cancel))
            self._ok = button("ok", "OK", lambda: self.p.key("ok"), enabled=len(m.code) >= 4)
            bar.add_widget(self._ok)
        elif m.screen in ("ticket", "trouble") and m.ticket is not None:
            self.title = t["your_ticket"]
            self.columns = 1
            ticket = m.ticket
            text = (
                f"[size={int(self.height * 0.25)}]{ticket.number}[/size]\n"
                f"{ticket.service_name}\n{t['ahead']}: {ticket.people_ahead}"
            )
            grid.add_widget(
                Label(
                    text=text,
                    markup=True,
                    halign="center",
                    font_size=self.height * (0.07 if m.contrast else 0.05),
                    color=(1, 1, 0, 1) if m.contrast else (1, 1, 1, 1),
                )
            )
            if m.screen == "trouble":
                grid.add_widget(
                    Label(
                        text=m.message,
                        font_size=self.height * 0.05,
                        color=(1, 0.6, 0.5, 1),
                        text_size=(self.width * 0.9, None),
                        halign="center",
                    )
                )
                bar.add_widget(button("reprint", t["reprint"], self.p.reprint))
            else:
                self.banner = t["take"]
            bar.add_widget(button("cancel", t["cancel"], self.p.cancel))
        else:
            self.title = t["title"]
            self.columns = (
                (1 if len(m.tiles) <= 4 else 2) if m.contrast else (2 if len(m.tiles) <= 6 else 3)
            )
            if m.priority_reason:
                label = dict(m.reasons).get(m.priority_reason, "")
                self.banner = f"{t['priority']}: {label}"
            for tile in m.tiles:
                detail = tile.reason or f"{tile.waiting_text} · {tile.wait_text}"
                small = int(self.height * (0.045 if m.contrast else 0.03))
                text = f"{tile.name}\n[size={small}]{detail}[/size]"
                grid.add_widget(
                    button(
                        f"service:{tile.service}",
                        text,
                        lambda s=tile.service: self.p.choose_service(s),
                        enabled=tile.enabled and not m.busy,
                    )
                )
            if m.priority_reason:
                bar.add_widget(button("cancel", t["cancel"], self.p.cancel))
            else:
                bar.add_widget(button("priority", t["priority"], self.p.start_priority))
            bar.add_widget(button("check_in", t["check_in"], self.p.start_code))
        # Large text and high contrast, on every screen, last in the bar (and the keypad's *).
        toggle = button("contrast", f"Aa  {t['contrast']}", self.p.toggle_contrast)
        toggle.size_hint_x = 0.6
        bar.add_widget(toggle)
        if m.screen == "services" and not m.priority_reason and m.languages:
            self._languages(m)

    def _languages(self, m: DispenserModel) -> None:
        """The bottom row of the first screen: "Polski · English · Українська", each language
        named in itself (no flags: a flag is a country, not a language)."""
        self.show_languages = True
        row = self.ids.languages
        for n, (lang, name) in enumerate(m.languages):
            if n:
                row.add_widget(
                    Label(text="·", size_hint_x=0.1, font_size=self.height * 0.05, bold=True)
                )
            b = Factory.LanguageButton(text=name, contrast=self.contrast, chosen=lang == m.language)
            b.bind(on_release=lambda _b, c=lang: _on_release(_b, lambda: self.p.choose_language(c)))
            self._choices[f"language:{lang}"] = b
            row.add_widget(b)
