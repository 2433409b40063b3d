"""The hub is found by zeroconf with its broker address, port and site; other sites and other
protocol versions are not mistaken for it; the announcement is withdrawn when the hub stops.
An announcement is only a hint: a broker that cannot prove itself with the site CA is
skipped before any password is sent to it."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from appliance.common.config import ApplianceConfig
from appliance.common.hub_client import HubClient
from appliance.common.kivy_app import credentials_for
from hub.contract.topics import Topics
from hub.discovery import SERVICE_TYPE, HubAdvertiser, browse_hubs, find_hub
from provisioning.broker import Mosquitto
from tests.conftest import SiteRig, make_rig

LOOPBACK = ["127.0.0.1"]  # tests browse on loopback only


def _site() -> str:
    return f"t-{secrets.token_hex(4)}"


async def test_an_advertised_hub_is_found_with_its_broker_and_site():
    site = _site()
    async with HubAdvertiser(site, "0.0.0.0", 18883, address="127.0.0.1"):
        found = await asyncio.to_thread(find_hub, site, 5.0, interfaces=LOOPBACK)
        assert found is not None
        assert (found.site, found.host, found.port) == (site, "127.0.0.1", 18883)
        assert found.topic_root == Topics(site).root and not found.tls
        assert await asyncio.to_thread(browse_hubs, 1.5, site=_site(), interfaces=LOOPBACK) == []
    gone = await asyncio.to_thread(browse_hubs, 1.5, site=site, interfaces=LOOPBACK)
    assert gone == []


async def test_an_incompatible_protocol_version_is_ignored():
    site = _site()
    zc = AsyncZeroconf(ip_version=IPVersion.V4Only, interfaces=LOOPBACK)
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
        assert await asyncio.to_thread(browse_hubs, 1.5, site=site, interfaces=LOOPBACK) == []
    finally:
        await zc.async_unregister_service(info)
        await zc.async_close()


@pytest.mark.parametrize("broker_host", ["0.0.0.0", "localhost"])
def test_a_wildcard_broker_is_announced_at_a_reachable_address(broker_host: str):
    adv = HubAdvertiser(_site(), broker_host, 1883)
    assert adv.address not in ("0.0.0.0", "localhost", "")


# --- a zeroconf answer is only a hint ------------------------------------------------------


@pytest.fixture
def impostor(searchable_dir_for_impostor: Path) -> Iterator[Mosquitto]:
    """A second, real Mosquitto under another CA, with a certificate for 127.0.0.1 too: what
    someone on the LAN could run and announce as the hub. It would accept any password."""
    from hub.config import parse_site_file
    from provisioning.broker import free_port, write_broker_files
    from tests.support.broker import site_tls
    from tests.support.sitefile import site_toml

    other = site_tls(searchable_dir_for_impostor / "pki")
    draft = site_toml(
        database=searchable_dir_for_impostor / "x.sqlite3",
        mqtt_port=1,
        hub_password="x",
        tls_ca=other.ca_file,
    )
    site = parse_site_file(draft).site
    passwords = {"hub": "x", **{d.id: "anything" for d in site.devices}}
    files = write_broker_files(
        site, searchable_dir_for_impostor / "b", passwords, port=free_port(), tls=other.files
    )
    with Mosquitto.for_files(files) as broker:
        yield broker


@pytest.fixture
def searchable_dir_for_impostor() -> Iterator[Path]:
    from tests.support.broker import searchable_tempdir

    path = searchable_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _appliance_config(rig: SiteRig, device: str) -> ApplianceConfig:
    """A display's installed bundle without a host: it finds the hub by zeroconf."""
    return ApplianceConfig.model_validate(
        {
            "role": "display",
            "device": device,
            "password": rig.passwords[device],
            "hub": {"site": rig.site_id, "ca_cert": rig.ca_file.read_text()},
        }
    )


async def test_an_impostor_broker_announced_on_zeroconf_gets_no_password(
    tmp_path: Path, impostor: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(tmp_path, site_id=_site())
    try:
        config = _appliance_config(rig, "display-1")
        # Only the impostor is announced for our site: the appliance finds no hub at all.
        async with HubAdvertiser(rig.site_id, "127.0.0.1", impostor.port, address="127.0.0.1"):
            with pytest.raises(SystemExit, match="no Okienko hub"):
                await asyncio.to_thread(credentials_for, config, timeout=2.0, interfaces=LOOPBACK)
        assert "not proved by the site CA" in caplog.text
        # The impostor saw a TLS handshake fail, never an MQTT CONNECT: no user, no password.
        impostor_log = impostor.log.read_text(errors="replace")
        assert "alert unknown ca" in impostor_log  # it was tried, and refused by the client
        assert "display-1" not in impostor_log and "u'" not in impostor_log
        # With the real hub announced as well, the appliance takes the real one.
        async with (
            HubAdvertiser(rig.site_id, "127.0.0.1", impostor.port, address="127.0.0.1"),
            HubAdvertiser(rig.site_id, "127.0.0.1", rig.port, address="127.0.0.1"),
        ):
            creds = await asyncio.to_thread(
                credentials_for, config, timeout=2.0, interfaces=LOOPBACK
            )
        assert (creds.host, creds.port) == ("127.0.0.1", rig.port)
        with HubClient(creds) as client:
            assert client.connected.is_set()
        assert "display-1" not in impostor.log.read_text(errors="replace")
    finally:
        rig.broker.stop()
