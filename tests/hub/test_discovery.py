"""The hub is found by zeroconf with its broker address, port and site; other sites and other
protocol versions are not mistaken for it; the announcement is withdrawn when the hub stops."""

from __future__ import annotations

import asyncio
import secrets
import socket

import pytest
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from hub.contract.topics import Topics
from hub.discovery import SERVICE_TYPE, HubAdvertiser, browse_hubs, find_hub


def _site() -> str:
    return f"t-{secrets.token_hex(4)}"


async def test_an_advertised_hub_is_found_with_its_broker_and_site():
    site = _site()
    async with HubAdvertiser(site, "0.0.0.0", 18883, address="127.0.0.1"):
        found = await asyncio.to_thread(find_hub, site, 5.0)
        assert found is not None
        assert (found.site, found.host, found.port) == (site, "127.0.0.1", 18883)
        assert found.topic_root == Topics(site).root and not found.tls
        assert await asyncio.to_thread(browse_hubs, 1.5, site=_site()) == []
    gone = await asyncio.to_thread(browse_hubs, 1.5, site=site)
    assert gone == []


async def test_an_incompatible_protocol_version_is_ignored():
    site = _site()
    zc = AsyncZeroconf(ip_version=IPVersion.V4Only)
    info = AsyncServiceInfo(
        SERVICE_TYPE,
        f"okienko-{site}.{SERVICE_TYPE}",
        addresses=[socket.inet_aton("127.0.0.1")],
        port=1883,
        properties={"site": site, "v": "99", "root": f"okienko/v99/{site}", "tls": "0"},
        server=f"okienko-{site}.local.",
    )
    await zc.async_register_service(info)
    try:
        assert await asyncio.to_thread(browse_hubs, 1.5, site=site) == []
    finally:
        await zc.async_unregister_service(info)
        await zc.async_close()


@pytest.mark.parametrize("broker_host", ["0.0.0.0", "localhost"])
def test_a_wildcard_broker_is_announced_at_a_reachable_address(broker_host: str):
    adv = HubAdvertiser(_site(), broker_host, 1883)
    assert adv.address not in ("0.0.0.0", "localhost", "")
