"""Secrets on disk and in logs, against a real `okienko web` where a process is involved: the
session key, the outbox's messages and the database's folder belong to the owner alone even
under a umask of 0 (where a file made open and narrowed afterwards would show it), and the
log never carries a link's token or an API key."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route

from tests.support.webproc import Smtp, WebProcess
from web.app import create_app, secret_key
from web.db.engine import make_engine
from web.notify.outbox import Notifier
from web.redact import redact


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The worst umask an administrator may run us under: nothing taken away."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_the_session_key_and_the_database_folder_are_the_owners_only(tmp_path: Path, smtp: Smtp):
    data = tmp_path / "data" / "okienko"
    web = WebProcess.start(
        tmp_path,
        smtp_port=smtp.port,
        database_url=f"sqlite+aiosqlite:///{data / 'web.sqlite3'}",
        umask=0,
    )
    web.stop()
    assert mode(data / "web.secret") == 0o600
    assert mode(data) == 0o700 and mode(data.parent) == 0o700
    assert not [
        p.name for p in data.iterdir() if p.name.startswith("web.") and p.suffix[1:].isdigit()
    ]


def test_the_session_key_is_never_readable_by_others_not_even_for_a_moment(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch
):
    """Written open and narrowed by chmod afterwards, the key would be readable by anyone in
    between: every chmod is watched for a file that was open before it."""
    exposed: list[str] = []
    real_chmod = os.chmod

    def watched_chmod(path: str | Path, new: int, *args: object, **kwargs: object) -> None:
        if mode(Path(path)) & 0o077 and not new & 0o077:
            exposed.append(str(path))
        real_chmod(path, new, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "chmod", watched_chmod)
    monkeypatch.delenv("OKIENKO_SECRET_KEY", raising=False)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db' / 'web.sqlite3'}")
    assert len(secret_key(engine)) > 40
    assert mode(tmp_path / "db" / "web.secret") == 0o600 and not exposed, exposed


def test_outbox_messages_are_the_owners_only(tmp_path: Path, open_umask: None):
    """The attack: another account on the server reads the codes and manage links in the
    development outbox."""
    outbox = tmp_path / "var" / "outbox"
    notifier = Notifier.outbox(outbox)
    asyncio.run(notifier.send("jan@example.org", "Kod", "Twój kod: 123456"))
    asyncio.run(notifier.send("600100200", "Kod", "Twój kod: 654321"))
    asyncio.run(notifier.send("600100200", "Kod", "Twój kod: 111111"))
    (eml,) = outbox.glob("*.eml")
    assert mode(eml) == 0o600 and mode(outbox / "sms.jsonl") == 0o600
    assert mode(outbox) == 0o700 and mode(outbox.parent) == 0o700
    assert len((outbox / "sms.jsonl").read_text().splitlines()) == 2


SECRET = "SEKRETtoken123"


def test_every_link_with_a_token_is_redacted(tmp_path: Path):
    """Each route with a {token} in its path, from the app itself: a new one must be listed
    in web/redact.py, or this fails."""
    app = create_app(f"sqlite+aiosqlite:///{tmp_path / 'routes.sqlite3'}")
    paths = [r.path for r in app.routes if isinstance(r, Route) and "{token" in r.path]
    assert len(paths) >= 10
    for path in paths:
        line = f'127.0.0.1:5555 - "GET {path.replace("{token}", SECRET)}?x=1 HTTP/1.1" 200'
        assert SECRET not in redact(line), path
    assert SECRET not in redact(f"/open311/v2/requests.json?api_key={SECRET}&x=1")
    assert (
        redact("/visits/2026 /eticket /static/e/x.css") == "/visits/2026 /eticket /static/e/x.css"
    )


def test_the_access_log_of_the_real_process_carries_no_token(tmp_path: Path, smtp: Smtp):
    """The attack: whoever reads the server's log (an operator, a log collector, a backup)
    opens visitors' visits, tickets and password links from it."""
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, extra=["--access-log"])
    try:
        with httpx.Client(base_url=web.url) as client:
            for path in (
                f"/visit/{SECRET}",
                f"/visit/{SECRET}/cancel",
                f"/visit/{SECRET}.ics",
                f"/e/{SECRET}",
                f"/password/reset/{SECRET}",
                f"/staff/password/reset/{SECRET}",
                f"/helpdesk/reset/{SECRET}",
                f"/helpdesk/rate/{SECRET}",
                f"/usterka/s/{SECRET}",
                f"/open311/v2/requests.json?api_key={SECRET}",
            ):
                client.get(path)
            client.get("/privacy")
    finally:
        web.stop()
    log = web.log.read_text(encoding="utf-8")
    assert '"GET /privacy HTTP/1.1" 200' in log, log  # the access log is on
    assert '"GET /visit/*** HTTP/1.1" 404' in log, log
    assert SECRET not in log, [line for line in log.splitlines() if SECRET in line]
