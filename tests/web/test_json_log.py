"""`okienko web --log-format json`: the real process writes one JSON object per line, every
line with the request id (null outside a request), the same id the answer's X-Request-Id
carries, on the access line and on what the app logged while handling that request; with one
process and with --workers (each worker logs the same way)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.sitefile import write_site_file
from tests.support.webproc import WebProcess, free_port
from web.reservations.booking import TZ

SECRET = "SEKRETmanagetoken42"


@pytest.mark.parametrize("workers", [1, 2])
def test_every_line_is_json_with_the_request_id(tmp_path: Path, workers: int):
    site = write_site_file(tmp_path)
    # Nothing listens on the mail port: the code cannot be sent, which the app logs.
    web = WebProcess.start(
        tmp_path,
        smtp_port=free_port(),
        site=site,
        extra=["--log-format", "json", "--access-log", "--workers", str(workers)],
    )
    try:
        with httpx.Client(base_url=web.url, timeout=30) as client:
            probe = client.get("/healthz", headers={"X-Request-Id": "proxy-id-1"})
            assert probe.headers["X-Request-Id"] == "proxy-id-1"
            day = datetime.now(TZ).date() + timedelta(days=2)
            body = {
                "service": "dowody",
                "start": datetime(day.year, day.month, day.day, 10, tzinfo=TZ).isoformat(),
                "name": "Anna Nowak",
                "contact": "anna@example.org",
                "terms": True,
                "privacy": True,
            }
            failed = client.post(
                "/api/v1/reservations", json=body, headers={"X-Request-Id": "hold-1"}
            )
            assert failed.status_code == 502 and failed.headers["X-Request-Id"] == "hold-1"
            # An id that could break a log line is replaced by one of the server's own.
            odd = client.get("/healthz", headers={"X-Request-Id": 'a"b c'})
            assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-Id"])
            client.get(f"/visit/{SECRET}", headers={"X-Request-Id": "visit-1"})
    finally:
        web.stop()
    text = web.log.read_text(encoding="utf-8")
    assert SECRET not in text  # still redacted
    lines = [json.loads(line) for line in text.splitlines()]  # every line, or this fails
    assert lines and all(isinstance(line, dict) for line in lines)
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line), line
    start = next(line for line in lines if line["message"].startswith("cloud on http://"))
    assert start["request_id"] is None and start["level"] == "INFO"
    hold = [line for line in lines if line["request_id"] == "hold-1"]
    loggers = {line["logger"] for line in hold}
    # The access line and the app's own warning about the code, both with the request's id.
    assert {"uvicorn.access", "okienko.web.reservations"} <= loggers, hold
    assert any("POST /api/v1/reservations" in line["message"] for line in hold)
    assert any(line["level"] == "WARNING" and "not sent" in line["message"] for line in hold)
    assert any(
        line["request_id"] == "proxy-id-1" and "GET /healthz" in line["message"] for line in lines
    )
    assert any(line["request_id"] == odd.headers["X-Request-Id"] for line in lines)
