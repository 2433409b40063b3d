"""What `okienko web` tells the admin reading its log: one start line with its address and
database (the password hidden)."""

from __future__ import annotations

from pathlib import Path

from tests.support.webproc import Smtp, WebProcess


def test_the_start_line_names_address_and_database_without_the_password(
    tmp_path: Path, pg_database: str, smtp: Smtp
) -> None:
    url = pg_database.replace("postgresql://", "postgresql+asyncpg://")
    assert ":okienko@" in url  # the test role's password is in the URL given
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, database_url=url)
    try:
        log = web.log.read_text()
        line = next((ln for ln in log.splitlines() if "cloud on http://" in ln), "")
        assert f"cloud on {web.url}" in line, log
        assert pg_database.rsplit("/", 1)[1] in line and "***@" in line, line
        assert ":okienko@" not in log
    finally:
        web.stop()
