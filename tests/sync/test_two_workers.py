"""The cloud keeps no state in its processes: two `okienko web` workers on one PostgreSQL; an
e-ticket page streamed by one updates from events a hub pushed to the other (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest

from hub.contract import sync as contract
from tests.support.sitefile import write_site_file
from tests.support.webproc import Smtp, WebProcess
from tests.web.conftest import PG_ADMIN


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"okienko_test_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def event(seq: int, body: dict[str, object]) -> dict[str, object]:
    return {"seq": seq, "body": {"at": datetime.now(UTC).isoformat(), **body}}


def test_a_page_on_one_worker_updates_from_an_event_ingested_by_another(
    tmp_path: Path, pg_url: str
):
    smtp = Smtp.start()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = WebProcess.start(
        tmp_path / "a",
        smtp_port=smtp.port,
        database_url=pg_url,
        site=write_site_file(tmp_path, "urzad"),
    )
    b = WebProcess.start(tmp_path / "b", smtp_port=smtp.port, database_url=pg_url)
    try:
        token = subprocess.run(
            [
                sys.executable,
                "-m",
                "okienko.cli",
                "site-token",
                "create",
                "--site",
                "urzad",
                "--database-url",
                pg_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        issued = event(
            1,
            {
                "type": "ticket_issued",
                "ticket_id": "t1",
                "token": "tok-abc-123",
                "service": "dowody",
                "seq": 1,
                "number": "A001",
                "kind": "walk_in",
            },
        )
        r = httpx.post(f"{b.url}{contract.PUSH_PATH}", json={"events": [issued]}, headers=auth)
        assert r.status_code == 200 and r.json() == {"acked": 1}
        # A repeat of the same batch (a lost answer) changes nothing.
        r = httpx.post(f"{b.url}{contract.PUSH_PATH}", json={"events": [issued]}, headers=auth)
        assert r.json() == {"acked": 1}

        received: list[str] = []
        opened = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", f"{a.url}/e/tok-abc-123/live", timeout=20) as stream:
                for line in stream.iter_lines():
                    if line.startswith("data:"):
                        received.append(json.loads(line[5:])["html"])
                        opened.set()
                        if "stanowiska" in received[-1] or "s2" in received[-1]:
                            return

        reader = threading.Thread(target=listen, daemon=True)
        reader.start()
        assert opened.wait(10), "worker A did not stream the ticket"
        called = event(
            2, {"type": "ticket_called", "ticket_id": "t1", "counter": "s2", "call_no": 1}
        )
        r = httpx.post(f"{b.url}{contract.PUSH_PATH}", json={"events": [called]}, headers=auth)
        assert r.status_code == 200
        reader.join(10)
        assert not reader.is_alive(), f"no update on worker A: {received}"
        assert "Zapraszamy" in received[-1]
    finally:
        a.stop()
        b.stop()
        smtp.stop()
