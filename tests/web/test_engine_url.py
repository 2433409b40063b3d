"""DATABASE_URL as people write it: a plain postgresql:// or postgres:// URL (what hosting
panels and psql give) runs the service on asyncpg, a sqlite:/// one on aiosqlite, and a URL
that cannot work is refused at start with one line saying what to write, never a trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.support.webproc import Smtp, WebProcess
from tests.web.conftest import PG_ADMIN
from web.db.engine import DatabaseUrlError, async_url, make_engine


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@db:5432/okienko", "postgresql+asyncpg://u:***@db:5432/okienko"),
        ("postgres://u:p@db/okienko", "postgresql+asyncpg://u:***@db/okienko"),
        ("postgresql+asyncpg://u@db/okienko", "postgresql+asyncpg://u@db/okienko"),
        ("sqlite:///var/web.sqlite3", "sqlite+aiosqlite:///var/web.sqlite3"),
        (" sqlite+aiosqlite:///x.db ", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_urls_get_the_async_driver(given: str, used: str):
    assert async_url(given).render_as_string(hide_password=True) == used


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("localhost:5432/okienko", "cannot be read"),
        ("mysql://u:sekret@db/okienko", "only PostgreSQL and SQLite"),
        ("postgresql+psycopg2://u:sekret@db/okienko", "postgresql://"),
        ("sqlite+pysqlite:///x.db", "sqlite://"),
    ],
)
def test_urls_that_cannot_work_are_refused_with_what_to_write(given: str, says: str):
    with pytest.raises(DatabaseUrlError, match=says) as refused:
        async_url(given)
    assert "sekret" not in str(refused.value)


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://"])
async def test_a_plain_postgresql_url_connects(scheme: str):
    engine = make_engine(PG_ADMIN.replace("postgresql://", scheme))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
        assert engine.dialect.driver == "asyncpg"
    finally:
        await engine.dispose()


def test_okienko_web_runs_on_a_url_written_as_for_psql(tmp_path: Path, pg_database: str):
    smtp = Smtp.start()
    plain = pg_database.replace("postgresql://", "postgres://")
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, database_url=plain)
    try:
        health = httpx.get(f"{web.url}/healthz").json()
        assert health == {"status": "ok", "database": "postgresql"}
    finally:
        web.stop()
        smtp.stop()


@pytest.mark.parametrize("flag", [True, False])
def test_okienko_web_refuses_a_wrong_url_in_one_line(tmp_path: Path, flag: bool):
    url = "mysql://okienko:sekret@db/okienko"
    args = ["--database-url", url] if flag else []
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "web", "--port", "1", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "sekret" not in done.stderr
    assert "only PostgreSQL and SQLite" in done.stderr and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://nobody:sekret@127.0.0.1:5432/okienko", 'role "nobody" does not exist'),
        ("postgresql://okienko:sekret@127.0.0.1:1/okienko", "Connect call failed"),
    ],
)
def test_okienko_web_says_in_one_line_when_the_database_cannot_be_reached(
    tmp_path: Path, url: str, says: str
):
    done = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "web", "--port", "1", "--database-url", url],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "sekret" not in done.stderr
    assert "cannot connect to the database" in done.stderr and says in done.stderr
    assert len(done.stderr.splitlines()) == 1
