"""The site network's PKI as ``okienko provision`` makes it: a site CA whose key stays in the
state directory, a broker certificate for the hub's names, an office's own PKI instead,
renewal on a running broker, and an existing site moved to TLS without re-enrolment."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from appliance.common.config import load_config
from hub.tls import client_context
from provisioning import pki
from provisioning.broker import Mosquitto, free_port
from provisioning.statedir import cert_status
from tests.provisioning.conftest import provision, tree
from tests.support.broker import Probe

NAMES = '\n[hub.broker]\nnames = ["kolejka.um.local", "10.0.0.2"]\n'


def _served_serial(port: int, ca_file: Path) -> int:
    """The serial number of the certificate the broker shows a client now."""
    context = client_context(ca_file=ca_file)
    with (
        socket.create_connection(("127.0.0.1", port)) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def test_init_makes_a_site_ca_and_a_certificate_for_the_hubs_names(
    workdir: Path, site_file: Path
) -> None:
    site_file.write_text(site_file.read_text() + NAMES)
    state = workdir / "state"
    assert provision("init", "--site", site_file, "--state", state, "--host", "10.0.0.5") == 0
    ca_key = state / "pki" / "ca.key"
    assert ca_key.stat().st_mode & 0o777 == 0o600
    # The hub's service user reads the CA certificate by name; nobody else lists pki/.
    assert (state / "pki").stat().st_mode & 0o777 == 0o711
    assert (state / "pki" / "ca.crt").stat().st_mode & 0o777 == 0o644
    assert (state / "pki" / "server.key").stat().st_mode & 0o777 == 0o600
    ca = x509.load_pem_x509_certificate((state / "pki" / "ca.crt").read_bytes())
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    server = (state / "pki" / "server.crt").read_bytes()
    assert set(pki.names_of(server)) == {
        *("kolejka.um.local", "10.0.0.2", "10.0.0.5"),
        *("okienko-prov-site.local", "localhost", "127.0.0.1"),
    }
    # The broker's copy of the key is its own, not world-readable; the CA key never goes there.
    broker_tls = state / "broker" / "tls"
    assert (broker_tls / "server.key").stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in broker_tls.iterdir()) == ["ca.crt", "server.crt", "server.key"]
    bundle = load_config(state / "bundles" / "display-1.toml")
    assert bundle.hub.ca_pem() == (state / "pki" / "ca.crt").read_text()


def _office_pki(directory: Path, names: tuple[str, ...]) -> tuple[Path, Path, Path]:
    """What an office's own PKI would hand over: its CA and a server certificate and key."""
    now = pki.now_utc()
    ca = pki.create_ca("urząd", now)
    server = pki.issue_server(ca, names, now)
    directory.mkdir()
    paths = (directory / "office-ca.crt", directory / "broker.crt", directory / "broker.key")
    for path, data in zip(paths, (ca.cert_pem, server.cert_pem, server.key_pem), strict=True):
        path.write_bytes(data)
    return paths


def test_an_office_brings_its_own_ca_and_certificate(workdir: Path, site_file: Path) -> None:
    ca, cert, key = _office_pki(
        workdir / "office", ("10.0.0.5", "okienko-prov-site.local", "localhost", "127.0.0.1")
    )
    state = workdir / "state"
    own = ("--ca-cert", ca, "--cert", cert, "--key", key)
    assert provision("init", "--site", site_file, "--state", state, "--host", "10.0.0.5", *own) == 0
    assert not (state / "pki" / "ca.key").exists()  # the office keeps its CA's key
    assert (state / "pki" / "ca.crt").read_bytes() == ca.read_bytes()
    assert load_config(state / "bundles" / "display-1.toml").hub.ca_pem() == ca.read_text()
    # Renewal is then the office's: a new certificate from the same CA.
    assert provision("renew-cert", "--state", state) == 2


def test_an_own_certificate_that_misses_a_name_is_refused_before_writing(
    workdir: Path, site_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca, cert, key = _office_pki(workdir / "office", ("localhost",))
    state = workdir / "state"
    own = ("--ca-cert", ca, "--cert", cert, "--key", key)
    assert provision("init", "--site", site_file, "--state", state, "--host", "10.0.0.5", *own) == 2
    assert "does not cover: 10.0.0.5" in capsys.readouterr().err
    assert not state.exists()


def test_renew_cert_replaces_the_certificate_of_a_running_broker(
    workdir: Path, site_file: Path
) -> None:
    state, port = workdir / "state", free_port()
    args = ("--listen", "127.0.0.1", "--host", "127.0.0.1", "--port", str(port))
    assert provision("init", "--site", site_file, "--state", state, *args) == 0
    ca_file = state / "pki" / "ca.crt"
    before = tree(state / "bundles"), ca_file.read_bytes()
    conf = state / "broker" / "mosquitto.conf"
    with Mosquitto(conf, host="127.0.0.1", port=port, cafile=ca_file) as broker:
        display = load_config(state / "bundles" / "display-1.toml")
        connected = Probe(broker, "display-1", display.secret())
        assert not connected.connect().is_failure
        old = _served_serial(port, ca_file)
        assert provision("renew-cert", "--state", state, "--broker-pid", str(broker.pid)) == 0
        new = x509.load_pem_x509_certificate((state / "pki" / "server.crt").read_bytes())
        assert new.serial_number != old
        # Mosquitto 2.0 reloads its certificate on SIGHUP (handled in its main loop, a moment
        # later): new clients get the new one ...
        deadline = time.monotonic() + 5
        while _served_serial(port, ca_file) != new.serial_number:
            assert time.monotonic() < deadline, "the broker still shows the old certificate"
            time.sleep(0.05)
        # ... while connected devices stay, and nothing changes for any device.
        assert not connected.disconnected.is_set()
        connected.close()
    assert (tree(state / "bundles"), ca_file.read_bytes()) == before


def test_fleet_warning_is_due_30_days_before_expiry(workdir: Path, site_file: Path) -> None:
    state = workdir / "state"
    assert provision("init", "--site", site_file, "--state", state) == 0
    status = cert_status(state)
    assert not status.due
    assert cert_status(state, status.expires - timedelta(days=31)).due is False
    assert cert_status(state, status.expires - timedelta(days=30)).due is True


def _as_before_tls(state: Path) -> dict[str, str]:
    """Turn a state into what a site made before TLS had: no pki/, bundles without the CA,
    the broker on a plaintext port. Returns each bundle's password."""
    passwords = {}
    for bundle in (state / "bundles").iterdir():
        text = bundle.read_text()
        passwords[bundle.stem] = load_config(bundle).secret()
        old = re.sub(
            r"^port = \d+$", "port = 1883", text[: text.index("# The site CA")], flags=re.M
        )
        bundle.write_text(old)
    for path in (state / "pki").iterdir():
        path.unlink()
    (state / "pki").rmdir()
    data = json.loads((state / "state.json").read_text())
    data["broker"]["port"] = 1883
    (state / "state.json").write_text(json.dumps(data))
    return passwords


def test_an_existing_site_upgrades_to_tls_without_re_enrolment(
    workdir: Path, site_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, port = workdir / "state", free_port()
    args = ("--listen", "127.0.0.1", "--host", "127.0.0.1", "--port", str(port))
    assert provision("init", "--site", site_file, "--state", state, *args) == 0
    passwords = _as_before_tls(state)
    hashes = json.loads((state / "state.json").read_text())["accounts"]
    assert provision("enrol", "--state", state, "--device", "display-1") == 0  # old: works
    capsys.readouterr()
    assert provision("renew-cert", "--state", state) == 2
    assert "--upgrade-tls" in capsys.readouterr().err
    device_etc = workdir / "device-etc"
    old_bundle = state / "bundles" / "display-1.toml"
    assert provision("install", old_bundle, "--target", device_etc) == 2
    assert "--upgrade-tls" in capsys.readouterr().err and not device_etc.exists()

    assert provision("init", "--upgrade-tls", "--state", state, "--port", str(port)) == 0
    out = capsys.readouterr().out
    assert "restart the broker" in out and "tls_ca" in out
    assert json.loads((state / "state.json").read_text())["accounts"] == hashes  # no rotation
    conf = state / "broker" / "mosquitto.conf"
    with Mosquitto(conf, host="127.0.0.1", port=port, cafile=state / "pki" / "ca.crt") as broker:
        for device, password in passwords.items():
            config = load_config(state / "bundles" / f"{device}.toml")
            assert (config.secret(), config.hub.port) == (password, port)
            assert config.hub.ca_pem() == (state / "pki" / "ca.crt").read_text()
            probe = Probe(broker, device, config.secret())
            assert not probe.connect().is_failure
            probe.close()
    # On the device, the refreshed bundle installs over nothing but its config: same password.
    assert provision("install", old_bundle, "--target", device_etc) == 0
    assert load_config(device_etc / "appliance.toml").secret() == passwords["display-1"]
    assert provision("init", "--upgrade-tls", "--state", state) == 2  # once is enough
