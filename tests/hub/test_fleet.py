"""Fleet health of the site network: the hub reports its broker, and says when the
certificate the broker proves itself with is 30 days or less from expiring."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.app import running_hub
from hub.config import load_site
from hub.contract.sync import DeviceHealth
from hub.service import Hub
from tests.conftest import SiteRig, make_rig


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
