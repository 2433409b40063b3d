"""The running hub follows its site file: ``provision add-device``, ``rotate`` and ``revoke``
signal it (found by its run lock) as they signal the broker, so a device added while the hub
runs is served without a restart; a broken file on reload is refused and the hub keeps what it
had; the hub's own password can be rotated. A real hub process and a real Mosquitto, both from
the files ``provision init`` wrote."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.common.config import load_config
from appliance.common.hub_client import Credentials, HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from provisioning.broker import Mosquitto, free_port
from tests.provisioning.conftest import SITE_TOML, provision
from tests.support.hubproc import HubProcess
from tests.support.sitefile import ALL_DAY

HUB_SECTION = """
[hub]
database = "hub.sqlite3"
advertise = false

[hub.mqtt]
host = "127.0.0.1"
port = {port}
password_file = "state/hub.password"
tls_ca = "state/pki/ca.crt"
"""


@dataclass
class Site:
    file: Path
    state: Path
    broker: Mosquitto
    hub: HubProcess

    def client(self, device: str) -> HubClient:
        config = load_config(self.state / "bundles" / f"{device}.toml")
        ca = (self.state / "pki" / "ca.crt").read_text()
        creds = Credentials("127.0.0.1", self.broker.port, "prov-site", device, config.secret(), ca)
        return HubClient(creds).start()


@pytest.fixture
def site(workdir: Path) -> Iterator[Site]:
    port = free_port()
    site_file = workdir / "site.toml"
    open_all_day = SITE_TOML.replace('prefix = "A"\n', f'prefix = "A"\nhours = {{ {ALL_DAY} }}\n')
    site_file.write_text(open_all_day + HUB_SECTION.format(port=port), encoding="utf-8")
    state = workdir / "state"
    args = ("--listen", "127.0.0.1", "--host", "127.0.0.1", "--port", str(port))
    assert provision("init", "--site", site_file, "--state", state, *args) == 0
    conf = state / "broker" / "mosquitto.conf"
    with Mosquitto(conf, host="127.0.0.1", port=port, cafile=state / "pki" / "ca.crt") as broker:
        hub = HubProcess(
            site_file,
            site="prov-site",
            port=port,
            hub_password=(state / "hub.password").read_text().strip(),
            ca_file=state / "pki" / "ca.crt",
            log=workdir / "hub.log",
        ).start()
        try:
            yield Site(site_file, state, broker, hub)
        finally:
            hub.stop()


def issue(client: HubClient) -> msg.Reply:
    req = msg.IssueTicketRequest(request_id=new_request_id(), service="dowody")
    return client.request(Operation.ISSUE_TICKET, req)


def wait_in_log(hub: HubProcess, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tail = hub.tail(200)
        if text in tail:
            return tail
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in the hub's log:\n{hub.tail()}")


def test_a_device_added_while_the_hub_runs_is_served_without_a_restart(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site.hub.proc is not None
    pid = str(site.broker.pid)
    args = ("--device", "dispenser-9", "--role", "dispenser", "--broker-pid", pid)
    capsys.readouterr()
    assert provision("add-device", "--state", site.state, *args) == 0
    out = capsys.readouterr().out
    assert f"hub (pid {site.hub.proc.pid}) reloaded its site file" in out
    assert "restart the hub" not in out
    wait_in_log(site.hub, "reloaded: devices terminal-1, display-1, dispenser-9")
    client = site.client("dispenser-9")
    try:
        reply = issue(client)
        assert reply.ok and reply.ticket is not None, reply.error
        assert reply.ticket.number.startswith("A")
    finally:
        client.stop()
    assert site.hub.alive()


def test_an_unknown_device_is_told_the_real_cause(site: Site) -> None:
    """A device written into the site file by hand and enrolled is served at once (enrol
    reloads the hub too); taken out of the file by hand and the hub sent SIGHUP, it still has
    its broker account, and its refusal says when the hub read the file and what to do."""
    assert site.hub.proc is not None
    before = site.file.read_text()
    site.file.write_text(before + '\n[[site.devices]]\nid = "dispenser-7"\nrole = "dispenser"\n')
    pid = str(site.broker.pid)
    assert (
        provision("enrol", "--state", site.state, "--device", "dispenser-7", "--broker-pid", pid)
        == 0
    )
    wait_in_log(site.hub, "display-1, dispenser-7")
    client = site.client("dispenser-7")
    try:
        assert issue(client).ok
        site.file.write_text(before)
        site.hub.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not any(
            line.endswith("reloaded: devices terminal-1, display-1")
            for line in site.hub.tail(200).splitlines()
        ):
            assert time.monotonic() < deadline, site.hub.tail()
            time.sleep(0.1)
        refused = issue(client)
        assert not refused.ok and refused.error is not None
        assert refused.error.code == "unknown_device"
        assert "not in the site file loaded at" in refused.error.message
        assert "provision add-device" in refused.error.message
        assert "SIGHUP" in refused.error.message
    finally:
        client.stop()


def test_a_broken_site_file_on_reload_is_refused_and_the_hub_keeps_its_devices(
    site: Site,
) -> None:
    assert site.hub.proc is not None
    good = site.file.read_text()
    site.file.write_text(good + "\n[[site.devices]]\nid = 'x'\nrole = 'toaster'\n")
    site.hub.proc.send_signal(signal.SIGHUP)
    tail = wait_in_log(site.hub, "not reloaded")
    line = next(line for line in tail.splitlines() if "not reloaded" in line)
    assert str(site.file) in line and "should be 'dispenser'" in line
    assert "keeping the one loaded at" in line
    assert site.hub.alive()
    client = site.client("display-1")
    terminal = site.client("terminal-1")
    try:
        # The devices of the old file are still served.
        req = msg.SignInRequest(request_id=new_request_id(), clerk="nobody", pin="1234")
        reply = terminal.request(Operation.SIGN_IN, req)
        assert reply.error is None or reply.error.code != "unknown_device"
    finally:
        client.stop()
        terminal.stop()


def test_the_hubs_own_password_is_rotated_and_the_hub_reconnects_with_it(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    old = (site.state / "hub.password").read_text().strip()
    capsys.readouterr()
    pid = str(site.broker.pid)
    assert provision("rotate", "--state", site.state, "--device", "hub", "--broker-pid", pid) == 0
    out = capsys.readouterr().out
    assert "hub: new password issued" in out and "password file:" in out
    new = (site.state / "hub.password").read_text().strip()
    assert new != old
    # The broker dropped the hub's old login; the hub logs in again with the new password and
    # serves devices as before.
    wait_in_log(site.hub, f"connection to 127.0.0.1:{site.broker.port} lost")
    deadline = time.monotonic() + 15
    while site.hub.tail(200).count("connected to the broker at") < 2:
        assert time.monotonic() < deadline, site.hub.tail()
        time.sleep(0.1)
    client = site.client("terminal-1")
    try:
        req = msg.SignInRequest(request_id=new_request_id(), clerk="nobody", pin="1234")
        reply = client.request(Operation.SIGN_IN, req)
        assert reply.error is None or reply.error.code != "unknown_device"
    finally:
        client.stop()
    assert site.hub.alive()
