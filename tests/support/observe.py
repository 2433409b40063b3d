"""What a display connecting now would see."""

from __future__ import annotations

import json
import threading

from appliance.common.hub_client import Credentials, HubClient


def waiting_seen_by_display(creds: Credentials, service: str, timeout: float = 5.0) -> int:
    """The waiting count of ``service`` in the retained queue state a new display receives."""
    got: list[dict] = []
    arrived = threading.Event()

    def on_state(_t: str, payload: bytes) -> None:
        got.append(json.loads(payload))
        arrived.set()

    display = HubClient(creds).start()
    try:
        display.subscribe(display.topics.queue_state, on_state)
        if not arrived.wait(timeout):
            raise AssertionError("no retained queue state")
        return int(next(s for s in got[-1]["services"] if s["id"] == service)["waiting"])
    finally:
        display.stop()
