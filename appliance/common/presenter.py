"""What every appliance presenter shares: listeners, a lock, and the hub's availability.

Presenters are plain Python (no Kivy): they take messages from the hub client's thread, keep a
view model, and tell their view (which marshals onto the UI thread) that it changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from appliance.common.hub_client import HubClient
from appliance.common.i18n import gettext_for

M = TypeVar("M")
P = TypeVar("P", bound=BaseModel)
log = logging.getLogger("okienko.appliance")


class Presenter(Generic[M]):
    def __init__(self, client: HubClient, *, language: str = "pl") -> None:
        self.client = client
        self._ = gettext_for(language)
        self.language = language
        self._lock = threading.RLock()
        self._listeners: list[Callable[[M], None]] = []
        self.available = client.available
        client.on_status(self._on_status)

    def watch(self, topic: str, model: type[P], store: Callable[[P], Any]) -> None:
        """Keep ``store(message)`` up to date from ``topic``; unreadable messages are logged
        and ignored, so a bad payload never takes a screen down."""

        def on_message(actual_topic: str, payload: bytes) -> None:
            try:
                message = model.model_validate_json(payload)
            except ValidationError:
                log.warning("ignoring an unreadable %s on %s", model.__name__, actual_topic)
                return
            with self._lock:
                store(message)
            self.changed()

        self.client.subscribe(topic, on_message)

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
