"""What every appliance presenter shares: listeners, a lock, and the hub's availability.

Presenters are plain Python (no Kivy): they take messages from the hub client's thread, keep a
view model, and tell their view (which marshals onto the UI thread) that it changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from appliance.common.hub_client import HubClient
from appliance.common.i18n import gettext_for

M = TypeVar("M")


class Presenter(Generic[M]):
    def __init__(self, client: HubClient, *, language: str = "pl") -> None:
        self.client = client
        self._ = gettext_for(language)
        self.language = language
        self._lock = threading.RLock()
        self._listeners: list[Callable[[M], None]] = []
        self.available = client.available
        client.on_status(self._on_status)

    def subscribe(self, listener: Callable[[M], None]) -> None:
        self._listeners.append(listener)
        listener(self.model())

    def model(self) -> M:
        raise NotImplementedError

    def changed(self) -> None:
        model = self.model()
        for listener in list(self._listeners):
            listener(model)

    def _on_status(self, available: bool) -> None:
        with self._lock:
            self.available = available
        self.changed()

    def offline_text(self) -> str:
        return self._("No connection to the server. Please wait…")
