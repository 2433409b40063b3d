"""Kivy view of the group display: declares the layout (display.kv), shows a DisplayModel."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout

from appliance.display.presenter import SHOWN_CALLS, DisplayModel

Builder.load_file(str(Path(__file__).with_name("display.kv")))


class CallRowView(BoxLayout):  # type: ignore[misc]
    number = StringProperty("")
    counter = StringProperty("")
    highlighted = BooleanProperty(False)


class ServiceRowView(BoxLayout):  # type: ignore[misc]
    prefix = StringProperty("")
    name = StringProperty("")
    waiting = NumericProperty(0)


class DisplayView(FloatLayout):  # type: ignore[misc]
    site_name = StringProperty("")
    clock = StringProperty("")
    message = StringProperty("")
    heading_ticket = StringProperty("")
    heading_counter = StringProperty("")
    heading_waiting = StringProperty("")

    def show(self, model: DisplayModel) -> None:
        self.site_name = model.site_name
        self.clock = model.clock
        self.message = model.message or ""
        self.heading_ticket = model.headings.get("ticket", "")
        self.heading_counter = model.headings.get("counter", "")
        self.heading_waiting = model.headings.get("waiting", "")
        calls = self.ids.calls
        calls.clear_widgets()
        for row in model.calls:
            calls.add_widget(
                CallRowView(number=row.number, counter=row.counter, highlighted=row.highlighted)
            )
        for _ in range(SHOWN_CALLS - len(model.calls)):
            calls.add_widget(BoxLayout())  # keep rows the same height however many calls
        services = self.ids.services
        services.clear_widgets()
        for s in model.services:
            services.add_widget(ServiceRowView(prefix=s.prefix, name=s.name, waiting=s.waiting))
