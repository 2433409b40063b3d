"""The hub as a real process (``okienko hub --config``), so tests can kill -9 it and restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from hub.contract.topics import HUB_DEVICE_ID, Topics
from tests.support.broker import tls_client


class HubProcess:
    def __init__(
        self, config: Path, *, site: str, port: int, hub_password: str, ca_file: Path, log: Path
    ):
        self.config = config
        self.topics = Topics(site)
        self.port = port
        self.hub_password = hub_password
        self.ca_file = ca_file
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> HubProcess:
        online = threading.Event()

        def on_message(client, userdata, message):  # type: ignore[no-untyped-def]
            # Only a live "online" counts: a retained one may be left from a killed hub.
            if not message.retain and b"online" in message.payload:
                online.set()

        watcher = tls_client(self.ca_file)
        watcher.username_pw_set("hub", self.hub_password)
        watcher.on_message = on_message
        watcher.connect("127.0.0.1", self.port)
        watcher.subscribe(self.topics.presence(HUB_DEVICE_ID), qos=1)
        watcher.loop_start()
        try:
            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "okienko.cli", "hub", "--config", str(self.config)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            deadline = time.monotonic() + timeout
            while not online.wait(0.1):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"hub exited with {self.proc.returncode}:\n{self.tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"hub did not come online:\n{self.tail()}")
        finally:
            watcher.disconnect()
            watcher.loop_stop()
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
