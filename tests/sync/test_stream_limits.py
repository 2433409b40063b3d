"""Live streams against a real `okienko web`: one client address holds at most N open at once
(here 2), and a slot comes back when a stream ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from hub.contract import sync as contract
from tests.support.sitefile import write_site_file
from tests.support.webproc import Smtp, WebProcess, site_token
from tests.sync.conftest import SITE, issued, snapshot


@pytest.fixture
def web(tmp_path: Path, smtp: Smtp) -> Iterator[WebProcess]:
    proc = WebProcess.start(
        tmp_path,
        smtp_port=smtp.port,
        site=write_site_file(tmp_path, SITE),
        extra=["--streams-per-client", "2"],
    )
    token = site_token(proc.database_url, SITE)
    push = contract.PushRequest(events=[issued(1, "t1", "tok-s-1", "A001")], snapshot=snapshot())
    r = httpx.post(
        proc.url + contract.PUSH_PATH,
        content=push.model_dump_json(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    yield proc
    proc.stop()


def reopened(client: httpx.Client, path: str) -> bool:
    """Whether a stream opens once the server has seen the closed ones go (it notices a
    disconnect as it happens, not at once)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with client.stream("GET", path) as again:
            if again.status_code == 200:
                return True
        time.sleep(0.05)
    return False


def test_one_address_cannot_hold_more_than_its_share_of_streams(web: WebProcess):
    """The attack: one address opens streams until the process runs out of connections."""
    with httpx.Client(base_url=web.url, timeout=10) as client, ExitStack() as held:
        paths = ["/board/urzad/live", "/e/tok-s-1/live"]
        for path in paths:
            opened = held.enter_context(client.stream("GET", path))
            assert opened.status_code == 200
            assert opened.headers["content-type"].startswith("text/event-stream")
        for path in paths:
            refused = client.get(path)
            assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
        held.close()  # the visitor closes a page: its slot is free again
        assert reopened(client, "/board/urzad/live")
    assert httpx.get(f"{web.url}/board/nie-ma/live").status_code == 404
