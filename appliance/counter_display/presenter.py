"""The small display over one counter: the number called here, very large; "Przerwa" while the
counter is paused; blank when it is closed or nobody is called."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from appliance.common.hub_client import HubClient
from appliance.common.presenter import Presenter
from hub.contract import messages as msg

log = logging.getLogger("okienko.appliance.counter_display")


@dataclass(frozen=True)
class CounterDisplayModel:
    available: bool
    counter_label: str  # "Stanowisko 3"
    number: str  # the called ticket, or "" (blank)
    note: str  # "Przerwa", "Nieczynne", the offline text, or ""
    flash: bool = False  # a new call: the view draws attention for a moment


class CounterDisplayPresenter(Presenter[CounterDisplayModel]):
    def __init__(self, client: HubClient, counter: str, *, language: str = "pl") -> None:
        super().__init__(client, language=language)
        self.counter = counter
        self.state: msg.CounterState | None = None
        self._flash = False
        self.watch(client.topics.counter_state(counter), msg.CounterState, self._set_state)
        client.subscribe(client.topics.called(counter), self._on_called)

    def _set_state(self, state: msg.CounterState) -> None:
        self.state = state

    def _on_called(self, _topic: str, payload: bytes) -> None:
        with self._lock:
            self._flash = True
        self.changed()
        with self._lock:
            self._flash = False

    def model(self) -> CounterDisplayModel:
        _ = self._
        with self._lock:
            state = self.state
            label = state.name if state else ""
            if not self.available or state is None:
                return CounterDisplayModel(False, label, "", self.offline_text())
            if state.status == "paused":
                return CounterDisplayModel(True, label, "", _("Break"))
            if state.status == "closed":
                return CounterDisplayModel(True, label, "", _("Closed"))
            current = state.current
            number = current.number if current and current.state in ("called", "serving") else ""
            return CounterDisplayModel(True, label, number, "", self._flash)
