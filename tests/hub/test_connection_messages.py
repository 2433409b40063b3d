"""What the hub and an appliance say when the broker is not there: the host and port they
tried, "cannot connect" while no connection has ever worked (a wrong port, a broker that is
down), "connection lost" once one had. A real Mosquitto, the hub as a real process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance.common.hub_client import HubClient
from tests.conftest import make_rig


def wait_until(ready: Callable[[], bool], what: Callable[[], str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(what())
        time.sleep(0.1)


def test_the_hub_says_cannot_connect_then_connection_lost_naming_host_and_port(
    tmp_path: Path,
) -> None:
    (tmp_path / "site").mkdir()
    rig = make_rig(tmp_path / "site")
    rig.broker.stop()  # the broker is not up yet when the hub starts
    where = f"127.0.0.1:{rig.port}"
    log = rig.dir / "hub.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "okienko.cli", "hub", "--config", str(rig.config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        text = log.read_text
        wait_until(lambda: f"cannot connect to {where}" in text(), text)
        assert "lost" not in text()
        rig.broker.start()
        wait_until(lambda: f"connected to the broker at {where}" in text(), text)
        rig.broker.stop()
        wait_until(lambda: f"connection to {where} lost" in text(), text)
        assert proc.poll() is None, "the hub keeps trying while the broker is away"
    finally:
        proc.terminate()
        proc.wait(10)
        rig.broker.stop()


def test_an_appliance_says_cannot_connect_then_connection_lost_naming_host_and_port(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "site").mkdir()
    rig = make_rig(tmp_path / "site")
    rig.broker.stop()
    where = f"127.0.0.1:{rig.port}"
    caplog.set_level(logging.INFO, logger="okienko")
    client = HubClient(rig.creds("display-1")).start_background()
    try:
        wait_until(
            lambda: f"cannot connect to the broker at {where}" in caplog.text, lambda: caplog.text
        )
        assert "lost" not in caplog.text
        assert caplog.text.count("cannot connect") == 1, "one warning per outage, not per retry"
        rig.broker.start()
        wait_until(client.connected.is_set, lambda: caplog.text)
        rig.broker.stop()
        wait_until(
            lambda: f"connection to the broker at {where} lost" in caplog.text,
            lambda: caplog.text,
        )
    finally:
        client.stop()
        rig.broker.stop()
