"""``okienko privacy export|erase`` run as a real process on SQLite and PostgreSQL: the export
is a JSON file that reads back with the person in it; erase wants --yes, and after it the
export holds nothing of the person; both are in the access log, done by "cli"."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.okienko.test_cloud_cli import okienko
from tests.web import privacy_data as data
from web.db.engine import make_engine
from web.db.migrate import upgrade
from web.privacy import access


async def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        await data.seed(engine)
    finally:
        await engine.dispose()


async def _log(url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(access.A).order_by(access.A.c.id))
            return [(r.actor, r.action, r.record) for r in rows]
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cloud.sqlite3'}"
    return str(request.getfixturevalue("pg_database"))


def test_export_then_erase_as_a_process(tmp_path: Path, url: str) -> None:
    asyncio.run(_seed(url))
    out = tmp_path / "jan.json"
    done = okienko(
        tmp_path, "privacy", "export", "--contact", "+48 600-100-200", "--out", str(out),
        env={"DATABASE_URL": url},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["contact"] == data.PHONE
    assert {r["name"] for r in doc["reservations"]} == {data.NAME}
    assert doc["fault_reports"][0]["reporter_email"] == data.EMAIL
    assert doc["fault_reports"][0]["kept_until"] and doc["retention_notice"]["en"]

    refused = okienko(tmp_path, "privacy", "erase", "--contact", "600100200", "--database-url", url)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "Traceback" not in refused.stderr

    for contact in ("600 100 200", data.EMAIL):
        erased = okienko(
            tmp_path, "privacy", "erase", "--contact", contact, "--yes", "--database-url", url
        )
        assert erased.returncode == 0, erased.stderr
        assert "erased" in erased.stdout and data.EMAIL not in erased.stdout

    for contact in ("+48600100200", data.EMAIL):
        again = okienko(
            tmp_path, "privacy", "export", "--contact", contact, "--out", str(out),
            "--database-url", url,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        text = out.read_text(encoding="utf-8")
        doc = json.loads(text)
        assert all(doc[part] == [] for part in ("reservations", "fault_reports", "signins"))
        assert data.NAME not in text and "600 100 200" not in text

    log = asyncio.run(_log(url))
    assert [(a, b) for a, b, _ in log] == [("cli", "exported")] + [("cli", "erased")] * 2 + [
        ("cli", "exported")
    ] * 2
    assert all(data.EMAIL not in what and "600100200" not in what for _, _, what in log)


def test_not_a_contact_is_one_line(tmp_path: Path) -> None:
    done = okienko(
        tmp_path, "privacy", "export", "--contact", "Jan Kowalski", "--out", "x.json",
        "--database-url", f"sqlite:///{tmp_path / 'c.sqlite3'}",
    )  # fmt: skip
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
