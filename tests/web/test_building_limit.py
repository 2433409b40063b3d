"""Seed 003's building limit ("ile osób może jednocześnie przebywać w budynku") over real HTTP,
on SQLite and PostgreSQL: visits count when they overlap in time, not when they share an hour.
Bookings go through the JSON API as a visitor's would (a hold holds a place)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess
from web.reservations.booking import TZ


@pytest.fixture(params=["sqlite", "postgresql"])
def web(request: pytest.FixtureRequest, tmp_path: Path, smtp: Smtp) -> Iterator[WebProcess]:
    url = None
    if request.param == "postgresql":
        pg = request.getfixturevalue("pg_database")
        url = pg.replace("postgresql://", "postgresql+asyncpg://")
    site = tmp_path / "site.toml"
    site.write_text(site_toml(database=tmp_path / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    proc = WebProcess.start(tmp_path, smtp_port=smtp.port, site=site, database_url=url)

    async def one_at_a_time(engine: AsyncEngine) -> None:
        # One visitor in the building at a time; "dowody" takes 15 minutes and "meldunki" 45,
        # so its visit
        # at 10:30 runs on to 11:15, across the full hour. Written before any page reads it.
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE locations SET building_limit = 1"))
            await conn.execute(text("UPDATE services SET duration_min = 15 WHERE id = 'dowody'"))
            await conn.execute(text("UPDATE services SET duration_min = 45 WHERE id = 'meldunki'"))

    proc.db(one_at_a_time)
    yield proc
    proc.stop()


DAY = datetime.now(TZ).date() + timedelta(days=3)


def book(web: WebProcess, service: str, hh: int, mm: int, who: str) -> int:
    start = datetime.combine(DAY, time(hh, mm), TZ)
    r = httpx.post(
        f"{web.url}/api/v1/reservations",
        json={
            "service": service,
            "location": "test-site",
            "start": start.isoformat(),
            "name": "Jan Testowy",
            "contact": f"{who}@example.org",
            "terms": True,
            "privacy": True,
        },
    )
    assert r.status_code in (201, 409), (service, hh, mm, r.text)
    return r.status_code


def offered(web: WebProcess, service: str) -> set[str]:
    page = httpx.get(
        f"{web.url}/book/hour",
        params={"service": service, "location": "test-site", "day": DAY.isoformat()},
    )
    assert page.status_code == 200
    return set(_times(page.text))  # "HH:MM"


def _times(html: str) -> list[str]:
    return re.findall(r'name="time" value="([^"]+)"', html)


def test_the_building_limit_counts_visits_that_overlap_in_time(web: WebProcess):
    assert book(web, "dowody", 10, 0, "a") == 201  # 10:00-10:15
    assert book(web, "dowody", 10, 0, "b") == 409  # another desk is free; the building is not
    # The first visitor is gone at 10:15: the next may come then, in the same hour.
    assert book(web, "dowody", 10, 15, "c") == 201
    assert book(web, "meldunki", 10, 30, "d") == 201  # 10:30-11:15
    before = offered(web, "dowody")
    # 11:00 is another hour, but the 10:30 visit is still inside: refused, and not offered.
    assert "11:00" not in before and "11:15" in before and "10:30" not in before
    assert book(web, "dowody", 11, 0, "e") == 409
    assert book(web, "dowody", 11, 15, "f") == 201
