"""Kivy view of the dispenser (dispenser.kv): one grid that shows the services, the priority
reasons, the code keypad or the issued ticket, and a bar of actions below it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label

from appliance.dispenser.presenter import DispenserModel, DispenserPresenter
from hub.contract import access_code

Builder.load_file(str(Path(__file__).with_name("dispenser.kv")))


def _button(text: str, action: Any, *, enabled: bool = True) -> Any:
    b = Factory.DispenserButton(text=text, disabled=not enabled)
    b.bind(on_release=lambda _b: action())
    return b


def _key(text: str, action: Any) -> Any:
    b = Factory.CodeKey(text=text)
    b.bind(on_release=lambda _b: action())
    return b


# Keys of a USB keypad, keyboard or code scanner (SDL key codes).
ENTER_KEYS = {13, 271}
BACKSPACE, ESCAPE = 8, 27


class DispenserView(FloatLayout):  # type: ignore[misc]
    title = StringProperty("")
    banner = StringProperty("")
    message = StringProperty("")
    overlay = StringProperty("")
    columns = NumericProperty(2)

    def __init__(self, presenter: DispenserPresenter, **kw: Any) -> None:
        super().__init__(**kw)
        self.p = presenter
        self.screen = ""
        self._ok: Any = None  # the OK key while the code keypad is up
        # Imported here: importing the window earlier would open it before the size is set.
        from kivy.core.window import Window

        Window.bind(on_textinput=self._on_text, on_key_down=self._on_key)

    def _on_text(self, _window: Any, text: str) -> bool:
        self.p.typed(text)
        return True

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key in ENTER_KEYS:
            self.p.enter()
        elif key == BACKSPACE and self.screen == "code":
            self.p.key("back")
        elif key == ESCAPE:
            self.p.cancel()
        else:
            return False
        return True  # Escape must not close the dispenser

    def _code_title(self, m: DispenserModel) -> str:
        # The code as it grows, in the groups of four the confirmation shows.
        typed = m.code + "_" * max(access_code.LENGTH - len(m.code), 1)
        return f"{m.texts['code_prompt']}:  {access_code.grouped(typed)}"

    def show(self, m: DispenserModel) -> None:
        t = m.texts
        keypad_up = self.screen == "code" and self._ok is not None
        self.screen = m.screen
        self.overlay = "" if m.available else m.message
        self.message = m.message if m.available and m.screen != "trouble" else ""
        if keypad_up and m.screen == "code" and m.available and not m.busy and self._ok:
            # Typing: only the code and OK change. Rebuilding the keys under a finger
            # would lose the tap that lands while they are replaced.
            self.title = self._code_title(m)
            self._ok.disabled = len(m.code) < 4
            return
        self._ok = None
        self.banner = ""
        grid, bar = self.ids.grid, self.ids.bar
        grid.clear_widgets()
        bar.clear_widgets()
        if not m.available:
            return  # nothing to tap while the hub cannot answer: the message says why
        if m.busy:
            self.overlay = "…"
        if m.screen == "priority":
            self.title = t["priority"]
            self.columns = 2
            for reason, label in m.reasons:
                grid.add_widget(_button(label, lambda r=reason: self.p.choose_priority(r)))
            bar.add_widget(_button(t["cancel"], self.p.cancel))
        elif m.screen == "code":
            self.title = self._code_title(m)
            self.banner = t["code_hint"]
            self.columns = 8
            # Exactly the code's own signs (no 0/O, 1/I/L), 8 × 4 keys with the delete key.
            for sign in access_code.ALPHABET:
                grid.add_widget(_key(sign, lambda k=sign: self.p.key(k)))
            grid.add_widget(_key("<", lambda: self.p.key("back")))
            bar.add_widget(_button(t["cancel"], self.p.cancel))
            self._ok = _button("OK", lambda: self.p.key("ok"), enabled=len(m.code) >= 4)
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
                    font_size=self.height * 0.05,
                    color=(1, 1, 1, 1),
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
                bar.add_widget(_button(t["reprint"], self.p.reprint))
            else:
                self.banner = t["take"]
            bar.add_widget(_button(t["cancel"], self.p.cancel))
        else:
            self.title = t["title"]
            self.columns = 2 if len(m.tiles) <= 6 else 3
            if m.priority_reason:
                label = dict(m.reasons).get(m.priority_reason, "")
                self.banner = f"{t['priority']}: {label}"
            for tile in m.tiles:
                detail = tile.reason or f"{t['waiting']}: {tile.waiting} · {tile.wait_text}"
                text = f"{tile.name}\n[size={int(self.height * 0.03)}]{detail}[/size]"
                grid.add_widget(
                    _button(
                        text,
                        lambda s=tile.service: self.p.choose_service(s),
                        enabled=tile.enabled and not m.busy,
                    )
                )
            if m.priority_reason:
                bar.add_widget(_button(t["cancel"], self.p.cancel))
            else:
                bar.add_widget(_button(t["priority"], self.p.start_priority))
            bar.add_widget(_button(t["check_in"], self.p.start_code))
