"""The hub's view of its devices, from the retained presence and status messages; and of its
broker: fleet health says when the certificate the broker proves itself with is 30 days or less
from expiring."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from hub.app import running_hub
from hub.config import load_site, parse_site_file
from hub.contract import messages as msg
from hub.contract.sync import DeviceHealth
from hub.fleet import Fleet
from hub.service import Hub
from tests.conftest import SiteRig, make_rig
from tests.support.sitefile import site_toml

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def fleet(tmp_path: Path) -> Fleet:
    draft = site_toml(database=tmp_path / "hub.sqlite3", mqtt_port=1883, hub_password="x")
    return Fleet(parse_site_file(draft).site, lambda: NOW)


def display_status(speech: msg.SpeechState, detail: str | None = None) -> bytes:
    status = msg.DeviceStatus(
        device="display-1",
        role="display",
        software="okienko 0.1.0",
        speech=speech,
        detail=detail,
        at=NOW,
    )
    return status.dump()


def test_a_display_reporting_failing_speech_shows_the_fault_until_it_speaks_again(
    tmp_path: Path,
) -> None:
    f = fleet(tmp_path)
    assert f.devices["display-1"].speech is msg.SpeechState.NONE
    f.status("display-1", display_status(msg.SpeechState.FAILING, "SynthesisFailed: no speech"))
    health = f.devices["display-1"]
    assert health.speech is msg.SpeechState.FAILING and health.detail == (
        "SynthesisFailed: no speech"
    )
    assert health.printer is msg.PrinterState.NONE and health.last_seen == NOW
    f.status("display-1", display_status(msg.SpeechState.OK))
    assert f.devices["display-1"].speech is msg.SpeechState.OK


def _broker_health(hub: Hub) -> DeviceHealth:
    return next(d for d in hub.snapshot().devices if d.id == "broker")


async def _connected_broker_health(rig: SiteRig) -> DeviceHealth:
    async with running_hub(load_site(rig.config)) as (hub, bridge):
        await asyncio.wait_for(bridge.connected.wait(), 15)
        return _broker_health(hub)


async def test_fleet_health_warns_30_days_before_the_broker_certificate_expires(
    tmp_path: Path,
) -> None:
    for days, warned in ((31, False), (30, True)):
        rig = make_rig(tmp_path / f"d{days}", cert_days=days)
        try:
            health = await _connected_broker_health(rig)
        finally:
            rig.broker.stop()
        assert health.online and health.role == "broker"
        assert (health.detail is not None) is warned, health.detail
        if warned:
            assert health.detail and "renew-cert" in health.detail
