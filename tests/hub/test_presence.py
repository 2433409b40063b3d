"""The hub's and the appliances' retained presence after they stop: a normal stop (SIGTERM,
what ``systemctl stop`` sends) and a crash (SIGKILL) both leave "offline" for every screen
that connects afterwards, never a stale "online"."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from hub.contract.topics import HUB_DEVICE_ID, Topics
from tests.conftest import SiteRig, make_rig
from tests.support.broker import tls_client
from tests.support.screen import NEEDS_X, ApplianceWindow, info_file


def retained_presence(rig: SiteRig, device: str, timeout: float = 5.0) -> str:
    """What a screen connecting now reads as ``device``'s presence."""
    got: list[str] = []
    arrived = threading.Event()

    def on_message(_c: object, _u: object, m: mqtt.MQTTMessage) -> None:
        got.append(json.loads(m.payload)["state"])
        arrived.set()

    c = tls_client(rig.ca_file)
    c.username_pw_set("hub", rig.passwords["hub"])
    c.on_message = on_message
    c.connect("127.0.0.1", rig.port)
    c.subscribe(Topics(rig.site_id).presence(device), qos=1)
    c.loop_start()
    try:
        assert arrived.wait(timeout), f"no retained presence of {device}"
        return got[-1]
    finally:
        c.disconnect()
        c.loop_stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteRig]:
    (tmp_path / "site").mkdir()
    rig = make_rig(tmp_path / "site")
    yield rig
    rig.broker.stop()


def test_a_hub_stopped_normally_is_offline_for_every_screen(site: SiteRig) -> None:
    hub = site.hub().start()
    assert retained_presence(site, HUB_DEVICE_ID) == "online"
    hub.stop()  # SIGTERM
    assert retained_presence(site, HUB_DEVICE_ID) == "offline"
    assert "could not announce" not in hub.tail()


def test_a_hub_killed_is_offline_by_its_last_will(site: SiteRig) -> None:
    hub = site.hub().start()
    hub.kill9()
    assert retained_presence(site, HUB_DEVICE_ID, timeout=10) == "offline"


@NEEDS_X
def test_an_appliance_stopped_normally_is_offline(site: SiteRig, tmp_path: Path) -> None:
    hub = site.hub().start()
    try:
        info = info_file(site, tmp_path / "i.json")
        with ApplianceWindow("counter-display", "cdisplay-1", info, tmp_path / "cd") as screen:
            assert retained_presence(site, "cdisplay-1") == "online"
        # Leaving the block sent SIGTERM: the app stopped the normal way (not killed by the
        # signal, which would leave the offline notice to the broker's Last Will alone).
        assert screen.app is not None and screen.app.returncode == 0, screen.tail()
        assert retained_presence(site, "cdisplay-1") == "offline"
    finally:
        hub.stop()
