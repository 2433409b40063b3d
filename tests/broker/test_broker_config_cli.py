"""``okienko broker-config`` as an admin runs it: a second run never silently gives every
device a new password, a taken port is said before anything is written, and the hub's
password file holds what ``[hub.mqtt] password_file`` reads (the bare password)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from provisioning.broker import free_port
from tests.support.broker import SiteTls, site_tls
from tests.support.sitefile import site_toml


def broker_config(tmp_path: Path, tls: SiteTls, *extra: str) -> subprocess.CompletedProcess[str]:
    site = tmp_path / "site.toml"
    if not site.exists():
        site.write_text(
            site_toml(database=tmp_path / "hub.sqlite3", mqtt_port=8883, hub_password="x")
        )
    files = tls.files
    return subprocess.run(
        [
            *(sys.executable, "-m", "okienko.cli", "broker-config", "--site", str(site)),
            *("--out", str(tmp_path / "out"), "--cafile", str(files.cafile)),
            *("--certfile", str(files.certfile), "--keyfile", str(files.keyfile), *extra),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def passwords(out: Path) -> dict[str, str]:
    lines = (out / "passwords.txt").read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines)  # type: ignore[misc]


def test_running_again_keeps_the_passwords_unless_rotate_all(tmp_path: Path) -> None:
    tls = site_tls(tmp_path / "pki")
    port = ("--host", "127.0.0.1", "--port", str(free_port()))
    assert broker_config(tmp_path, tls, *port).returncode == 0
    out = tmp_path / "out"
    first = passwords(out)
    assert (out / "hub.password").read_text() == first["hub"] + "\n"
    again = broker_config(tmp_path, tls, *port)
    assert again.returncode == 2
    assert "--rotate-all" in again.stderr and "provision init" in again.stderr
    assert "Traceback" not in again.stderr
    assert passwords(out) == first
    rotated = broker_config(tmp_path, tls, *port, "--rotate-all")
    assert rotated.returncode == 0, rotated.stderr
    assert passwords(out)["hub"] != first["hub"]
    assert (out / "hub.password").read_text().strip() == passwords(out)["hub"]


def test_a_taken_port_is_said_before_anything_is_written(tmp_path: Path) -> None:
    tls = site_tls(tmp_path / "pki")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = broker_config(tmp_path, tls, "--host", "127.0.0.1", "--port", str(port))
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert not (tmp_path / "out").exists()
