"""Enrolment, revocation and rotation against a real Mosquitto started from the files
``okienko provision init`` wrote, reloaded by ``--broker-pid`` the way an operator does it.

What Mosquitto 2.0 really does on SIGHUP (``mosquitto_security_apply``): it re-reads passwd
and ACL and re-checks every connected client's username and password against them, so a
revoked *or rotated* account is disconnected at once and refused when it reconnects, while
every other client keeps its connection (the man page's "clients already connected will not
be affected" is from 1.4 and no longer true). These tests pin that down.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.common.config import load_config
from hub.contract.topics import Topics
from provisioning.broker import Mosquitto, free_port
from tests.provisioning.conftest import LATE_DEVICE, provision
from tests.support.broker import Probe

TOPICS = Topics("prov-site")


@pytest.fixture
def state(workdir: Path, site_file: Path) -> Path:
    path = workdir / "state"
    port = free_port()
    args = ("--listen", "127.0.0.1", "--host", "127.0.0.1", "--port", str(port))
    assert provision("init", "--site", site_file, "--state", path, *args) == 0
    return path


@pytest.fixture
def broker(state: Path) -> Iterator[Mosquitto]:
    conf = state / "broker" / "mosquitto.conf"
    port = int(load_config(state / "bundles" / "display-1.toml").hub.port)
    cafile = state / "pki" / "ca.crt"
    with Mosquitto(conf, host="127.0.0.1", port=port, cafile=cafile) as running:
        yield running


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    made: list[Probe] = []
    yield made
    for p in made:
        p.close()


def from_bundle(broker: Mosquitto, bundle: Path, probes: list[Probe]) -> Probe:
    """A client with exactly what the bundle gives the device."""
    config = load_config(bundle)
    assert (config.hub.host, config.hub.port) == (broker.host, broker.port)
    assert broker.cafile is not None and config.hub.ca_pem() == broker.cafile.read_text()
    probe = Probe(broker, config.device, config.secret())
    probes.append(probe)
    return probe


def hub(broker: Mosquitto, state: Path, probes: list[Probe]) -> Probe:
    probe = Probe(broker, "hub", (state / "hub.password").read_text().strip())
    probes.append(probe)
    assert not probe.connect().is_failure
    return probe


def still_served(display: Probe, hub_probe: Probe, n: int) -> None:
    """The display has kept its connection, still receives the hub's state, still publishes."""
    hub_probe.publish(TOPICS.queue_state, f"state {n}".encode())
    assert display.wait_for(TOPICS.queue_state, count=n).payload == f"state {n}".encode()
    assert not display.publish(TOPICS.presence("display-1"), b"online").is_failure
    assert not display.disconnected.is_set()


def test_both_devices_connect_with_their_bundles(
    broker: Mosquitto, state: Path, probes: list[Probe]
) -> None:
    for device in ("terminal-1", "display-1"):
        probe = from_bundle(broker, state / "bundles" / f"{device}.toml", probes)
        assert not probe.connect().is_failure, device


def test_revoked_device_is_cut_off_while_the_other_stays_connected(
    broker: Mosquitto, state: Path, probes: list[Probe]
) -> None:
    hub_probe = hub(broker, state, probes)
    terminal_bundle = state / "bundles" / "terminal-1.toml"
    terminal = from_bundle(broker, terminal_bundle, probes)
    display = from_bundle(broker, state / "bundles" / "display-1.toml", probes)
    assert not terminal.connect().is_failure
    assert not display.connect().is_failure
    display.subscribe(TOPICS.queue_state)
    still_served(display, hub_probe, 1)
    old_password = load_config(terminal_bundle).secret()

    pid = str(broker.pid)
    assert provision("revoke", "--state", state, "--device", "terminal-1", "--broker-pid", pid) == 0

    assert terminal.disconnected.wait(5), "the revoked device kept its connection"
    again = Probe(broker, "terminal-1", old_password)
    probes.append(again)
    assert again.connect().is_failure
    still_served(display, hub_probe, 2)
    assert not hub_probe.disconnected.is_set()


def test_rotation_refuses_the_old_password_and_accepts_the_new(
    broker: Mosquitto, state: Path, probes: list[Probe]
) -> None:
    hub_probe = hub(broker, state, probes)
    bundle = state / "bundles" / "terminal-1.toml"
    old_password = load_config(bundle).secret()
    terminal = from_bundle(broker, bundle, probes)
    display = from_bundle(broker, state / "bundles" / "display-1.toml", probes)
    assert not terminal.connect().is_failure
    assert not display.connect().is_failure
    display.subscribe(TOPICS.queue_state)

    pidfile = state.parent / "mosquitto.pid"
    pidfile.write_text(f"{broker.pid}\n")
    assert (
        provision("rotate", "--state", state, "--device", "terminal-1", "--pidfile", pidfile) == 0
    )

    # The connection made with the old password ends too: the device must take its new bundle.
    assert terminal.disconnected.wait(5)
    old = Probe(broker, "terminal-1", old_password)
    probes.append(old)
    assert old.connect().is_failure
    new_password = load_config(bundle).secret()
    assert new_password != old_password
    fresh = from_bundle(broker, bundle, probes)
    assert not fresh.connect().is_failure
    assert not fresh.publish(TOPICS.presence("terminal-1"), b"online").is_failure
    still_served(display, hub_probe, 1)


def test_a_device_enrolled_later_connects_after_the_reload(
    broker: Mosquitto, state: Path, site_file: Path, probes: list[Probe]
) -> None:
    display = from_bundle(broker, state / "bundles" / "display-1.toml", probes)
    assert not display.connect().is_failure
    site_file.write_text(site_file.read_text() + LATE_DEVICE, encoding="utf-8")
    pid = str(broker.pid)
    assert provision("enrol", "--state", state, "--device", "dispenser-1", "--broker-pid", pid) == 0
    dispenser = from_bundle(broker, state / "bundles" / "dispenser-1.toml", probes)
    assert not dispenser.connect().is_failure
    assert not display.disconnected.is_set()


def test_a_revoked_device_enrolled_again_gets_a_new_password(
    broker: Mosquitto, state: Path, probes: list[Probe]
) -> None:
    bundle = state / "bundles" / "display-1.toml"
    old_password = load_config(bundle).secret()
    pid = str(broker.pid)
    assert provision("revoke", "--state", state, "--device", "display-1", "--broker-pid", pid) == 0
    assert provision("enrol", "--state", state, "--device", "display-1", "--broker-pid", pid) == 0
    assert load_config(bundle).secret() != old_password
    old = Probe(broker, "display-1", old_password)
    probes.append(old)
    assert old.connect().is_failure
    assert not from_bundle(broker, bundle, probes).connect().is_failure
