"""The hub never fails silently: a secret file it cannot read is a clear refusal at start,
and a task that dies later ends the process with the reason (so systemd restarts it and the
admin reads why), instead of a service that looks active while no device is served."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SiteRig, make_rig
from tests.support.hubproc import HubProcess


def with_password_file(rig: SiteRig) -> Path:
    """The rig's site file, reading the hub's broker password from ``hub.pw`` beside it."""
    pw = rig.config.parent / "hub.pw"
    pw.write_text(rig.passwords["hub"] + "\n")
    pw.chmod(0o600)
    text = rig.config.read_text()
    rig.config.write_text(
        text.replace(f'password = "{rig.passwords["hub"]}"', 'password_file = "hub.pw"')
    )
    return pw


def test_a_missing_password_file_stops_the_hub_at_start_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    rig = make_rig(tmp_path / "site")
    try:
        with_password_file(rig).unlink()
        run = subprocess.run(
            [sys.executable, "-m", "okienko.cli", "hub", "--config", str(rig.config)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2, run.stdout + run.stderr
        assert "[hub.mqtt] password_file" in run.stderr and "hub.pw" in run.stderr
        assert "Traceback" not in run.stderr
    finally:
        rig.broker.stop()


def test_a_connection_task_that_dies_ends_the_hub_with_the_reason(tmp_path: Path) -> None:
    """The password file goes away while the hub runs; the broker restarts, the hub cannot
    log in again: it stops with a message that says so, not silence."""
    (tmp_path / "site").mkdir()
    rig = make_rig(tmp_path / "site")
    pw = with_password_file(rig)
    hub = HubProcess(
        rig.config,
        site=rig.site_id,
        port=rig.port,
        hub_password=rig.passwords["hub"],
        ca_file=rig.ca_file,
        log=rig.dir / "hub.log",
    ).start()
    try:
        pw.unlink()
        rig.broker.stop()
        rig.broker.start()
        deadline = time.monotonic() + 30
        while hub.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not hub.alive(), "the hub kept running without a broker connection"
        assert hub.proc is not None and hub.proc.returncode == 1
        assert "hub-mqtt stopped" in hub.tail() and "hub.pw" in hub.tail()
    finally:
        hub.stop()
        rig.broker.stop()
