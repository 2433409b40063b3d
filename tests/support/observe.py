"""What a display connecting now would see."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

from appliance.common.hub_client import Credentials, HubClient
from tests.support.broker import tls_client


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


@contextlib.contextmanager
def watching(port: int, hub_password: str, topic: str, ca_file: Path) -> Iterator[list[dict]]:
    """Messages on ``topic`` as the hub sees them (JSON), collected while inside."""
    got: list[dict] = []
    watcher = tls_client(ca_file)
    watcher.username_pw_set("hub", hub_password)
    watcher.on_message = lambda c, u, m: got.append(json.loads(m.payload))
    watcher.connect("127.0.0.1", port)
    watcher.subscribe(topic, qos=1)
    watcher.loop_start()
    try:
        yield got
    finally:
        watcher.disconnect()
        watcher.loop_stop()
