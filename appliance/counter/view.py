"""Kivy view of the counter terminal (counter.kv): sign-in, the buttons, the transfer choice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.popup import Popup

from appliance.counter.presenter import CounterModel, CounterPresenter
from hub.contract.topics import Operation

Builder.load_file(str(Path(__file__).with_name("counter.kv")))


class CounterView(FloatLayout):  # type: ignore[misc]
    header = StringProperty("")
    ticket = StringProperty("")
    ticket_state = StringProperty("")
    waiting_text = StringProperty("")
    message = StringProperty("")
    offline = StringProperty("")
    pin_prompt = StringProperty("")

    def __init__(self, presenter: CounterPresenter, **kw: Any) -> None:
        super().__init__(**kw)
        self.presenter = presenter
        self.clerk: str | None = None
        self.pin = ""
        self.model: CounterModel | None = None
        # Strong references: ``ids`` are weak, and a layer out of the tree must survive.
        self._main, self._signin = self.ids.main.__self__, self.ids.signin.__self__
        self._build_keypad()

    def _build_keypad(self) -> None:
        pad = self.ids.keypad
        for key in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "⌫", "OK"]:
            b = Factory.KeyButton(text=key if key != "⌫" else "<")
            b.bind(on_release=lambda _b, k=key: self._key(k))
            pad.add_widget(b)

    def _key(self, key: str) -> None:
        if key == "OK":
            if self.clerk and self.pin:
                self.presenter.sign_in(self.clerk, self.pin)
            self.pin = ""
        elif key == "⌫":
            self.pin = self.pin[:-1]
        elif len(self.pin) < 12:
            self.pin += key
        self._update_prompt()

    def _update_prompt(self) -> None:
        texts = self.model.texts if self.model else {}
        names = dict(self.model.clerks) if self.model else {}
        who = names.get(self.clerk or "", "")
        self.pin_prompt = f"{who}  {texts.get('pin', 'PIN')}: {'•' * len(self.pin)}"

    def show(self, model: CounterModel) -> None:
        self.model = model
        self.offline = "" if model.available else model.message
        self.message = model.message if model.available else ""
        self.header = "  ·  ".join(
            x for x in (model.counter_label, model.clerk, model.status_text) if x
        )
        self.ticket = model.ticket
        self.ticket_state = model.ticket_state
        # No-break spaces inside an item: a line may wrap between services, never inside one
        # ("Sprawy meldunkowe:" on one line and its "0" on the next).
        waiting = ", ".join(f"{name}: {n}".replace(" ", "\u00a0") for name, n in model.waiting)
        served = model.texts.get("served", "")
        self.waiting_text = (
            f"{model.texts.get('waiting', '')}: {waiting}\n{served}: {model.served_today}"
            if model.available
            else ""
        )
        self._show_layer(model.signed_in)
        # No taps that go nowhere while the hub cannot answer.
        self._main.disabled = self._signin.disabled = not model.available
        self._fill_buttons(model)
        self._fill_clerks(model)
        self._update_prompt()

    def _show_layer(self, signed_in: bool) -> None:
        """Only the layer in use stays in the widget tree: a hidden one that stayed would
        still catch every touch (Kivy lets a disabled widget swallow touches)."""
        shown, hidden = (self._main, self._signin) if signed_in else (self._signin, self._main)
        if hidden.parent is not None:
            self.remove_widget(hidden)
        if shown.parent is None:
            self.add_widget(shown, index=1)  # under the offline notice, which stays on top

    def _fill_buttons(self, model: CounterModel) -> None:
        grid: GridLayout = self.ids.buttons
        grid.clear_widgets()
        for b in model.buttons:
            w = Factory.BigButton(text=b.label, disabled=not b.enabled or model.busy)
            w.bind(on_release=lambda _w, op=b.operation: self._press(op))
            grid.add_widget(w)

    def _fill_clerks(self, model: CounterModel) -> None:
        grid: GridLayout = self.ids.clerks
        grid.clear_widgets()
        for cid, name in model.clerks:
            w = Factory.ClerkButton(text=name, font_size=max(self.height * 0.045, 20))
            if cid == self.clerk:
                w.background_color = (0.95, 0.6, 0.1, 1)
            w.bind(on_release=lambda _w, c=cid: self._choose_clerk(c))
            grid.add_widget(w)

    def _choose_clerk(self, clerk: str) -> None:
        self.clerk = clerk
        if self.model:
            self._fill_clerks(self.model)
        self._update_prompt()

    def _press(self, operation: str) -> None:
        if operation == Operation.TRANSFER:
            self._transfer_popup()
        else:
            self.presenter.press(operation)

    def _transfer_popup(self) -> None:
        model = self.model
        if model is None:
            return
        grid = GridLayout(cols=2, spacing=8)
        popup = Popup(title=model.texts.get("transfer_to", ""), content=grid, size_hint=(0.9, 0.9))

        def choose(service: str | None, counter: str | None) -> None:
            popup.dismiss()
            self.presenter.transfer(to_service=service, to_counter=counter)

        for sid, name in model.transfer_services:
            b = Factory.BigButton(text=name)
            b.bind(on_release=lambda _b, s=sid: choose(s, None))
            grid.add_widget(b)
        for cid, name in model.transfer_counters:
            b = Factory.BigButton(text=name)
            b.bind(on_release=lambda _b, c=cid: choose(None, c))
            grid.add_widget(b)
        cancel = Factory.BigButton(text=model.texts.get("cancel", ""))
        cancel.bind(on_release=lambda _b: popup.dismiss())
        grid.add_widget(cancel)
        popup.open()
