"""Kivy view of the counter display (counter_display.kv)."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from appliance.counter_display.presenter import CounterDisplayModel

Builder.load_file(str(Path(__file__).with_name("counter_display.kv")))
FLASH_S = 3.0


class CounterDisplayView(BoxLayout):  # type: ignore[misc]
    counter_label = StringProperty("")
    number = StringProperty("")
    note = StringProperty("")
    flash = BooleanProperty(False)

    def show(self, model: CounterDisplayModel) -> None:
        self.counter_label = model.counter_label
        self.number = model.number
        self.note = model.note
        if model.flash:
            self.flash = True
            Clock.schedule_once(lambda _dt: setattr(self, "flash", False), FLASH_S)
