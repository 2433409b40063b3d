"""`okienko web --workers N`: several worker processes on one port and one database, as a
production cloud runs. Migrations run once before the workers start, and any worker may serve
any request: the eleventh sign-in try is refused whichever worker gets it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.webproc import csrf_of, free_port


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def test_two_workers_serve_one_port_and_share_the_limits(tmp_path: Path, pg_database: str):
    port = free_port()
    log = (tmp_path / "web.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "web",
            "--workers",
            "2",
            "--port",
            str(port),
            "--database-url",
            pg_database,
            "--outbox",
            str(tmp_path / "outbox"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "OKIENKO_SECRET_KEY": "one-key-for-every-worker"},
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a failure limit: workers start slowly on a busy machine
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).json()["database"] == "postgresql":
                    break
            except (httpx.TransportError, ValueError):
                pass
            assert proc.poll() is None, (tmp_path / "web.log").read_text()
            assert time.monotonic() < deadline, "okienko web --workers 2 did not answer"
            time.sleep(0.3)
        assert len(_children(proc.pid)) >= 2, "uvicorn did not start two workers"

        codes = []
        for _ in range(4):
            with httpx.Client(base_url=url, timeout=30) as client:  # a new connection: any worker
                token = csrf_of(client.get("/signin").text)
                r = client.post(
                    "/signin",
                    data={"email": "nikt@um.example", "password": "zle", "csrf_token": token},
                )
                codes.append(r.status_code)
        # Three wrong tries, then the fourth must wait (the delay), whichever worker has it.
        assert codes == [400, 400, 400, 429], codes
        # The booking page renders in every worker (catalog, templates, sessions). A worker's
        # first page loads the catalog and compiles templates: slow on a busy machine, so the
        # wait is generous (this checks that it answers, not how fast).
        assert all(httpx.get(f"{url}/", timeout=30).status_code == 200 for _ in range(6))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    assert "Traceback" not in (tmp_path / "web.log").read_text()
