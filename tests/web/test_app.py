"""`okienko web` as a real process: it migrates its database at start and answers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def test_okienko_web_starts_on_sqlite_with_no_configuration(tmp_path: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path / "web.sqlite3"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "web",
            "--port",
            str(port),
            "--database-url",
            f"sqlite+aiosqlite:///{db}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = json.loads(r.read())
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
                assert time.monotonic() < deadline, "okienko web did not answer"
                time.sleep(0.2)
        assert body == {"status": "ok", "database": "sqlite"}
        assert db.exists()
    finally:
        proc.terminate()
        proc.wait(10)
