"""Rate limits live in the database, so the cloud's workers and hosts count together: a script
cannot multiply its tries by the number of workers. Keys are kept only as digests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webproc import Smtp, WebProcess
from web.db.engine import make_engine
from web.db.models import RateHit
from web.ratelimit import KEEP_S, DatabaseHits, MemoryHits, RateLimit


async def test_two_workers_share_one_limit_and_keys_are_not_stored(engine: AsyncEngine):
    now = [1_000_000.0]
    # Two workers: each its own objects, one database.
    first, second = (
        RateLimit(5, 600, "booking", DatabaseHits(engine, "sekret"), lambda: now[0])
        for _ in range(2)
    )
    assert [await first.allow("ip:203.0.113.7") for _ in range(3)] == [True] * 3
    assert [await second.allow("ip:203.0.113.7") for _ in range(3)] == [True, True, False]
    assert not await first.allow("ip:203.0.113.7")
    assert await first.allow("ip:198.51.100.1")  # another address is not affected
    assert 0 < await second.retry_after("ip:203.0.113.7") <= 600
    now[0] += 601  # the window slides: the first tries are forgotten
    assert await second.allow("ip:203.0.113.7")

    async with engine.connect() as conn:
        digests = list(await conn.scalars(select(RateHit.key_digest)))
    assert len(digests) == 7 and not any("203.0.113" in d for d in digests)

    hits = DatabaseHits(engine, "sekret")
    assert await hits.sweep(now[0] + KEEP_S) == 6  # all but the newest one are a day old
    assert await hits.count() == 1


async def test_concurrent_attempts_get_exactly_the_limit(engine: AsyncEngine):
    """The race a script would run: 40 attempts at once through two workers' engines (each
    its own connection pool). Exactly the limit gets through, on SQLite and PostgreSQL."""
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        workers = [
            RateLimit(7, 600, "login", DatabaseHits(e, "sekret"), lambda: 1_000_000.0)
            for e in (engine, other)
        ]
        answers = await asyncio.gather(*(workers[i % 2].allow("ip:203.0.113.9") for i in range(40)))
        assert answers.count(True) == 7
        assert await DatabaseHits(engine, "sekret").count() == 7  # refusals are not stored
    finally:
        await other.dispose()


async def test_a_progressive_delay_and_an_attempt_taken_back():
    now = [1_000_000.0]
    limit = RateLimit(10, 900, "t", MemoryHits(), lambda: now[0], backoff=lambda n: 5.0 * n)
    hit = await limit.take("k")
    assert hit is not None
    await limit.release("k", hit)  # a success: not counted
    assert await limit.allow("k")  # first failure
    assert not await limit.allow("k")  # 5 s after one failure
    assert 0 < await limit.retry_after("k") <= 5
    now[0] += 5
    assert await limit.allow("k")
    now[0] += 9
    assert not await limit.allow("k")  # 10 s after two
    now[0] += 1
    assert await limit.allow("k")


def test_two_cloud_processes_on_one_database_refuse_the_same_script(
    tmp_path: Path, pg_database: str
):
    """Wrong sign-in tries spread over two `okienko web` processes: after three, the next
    must wait (the progressive delay), whichever process gets it."""
    smtp = Smtp.start()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    env_key = {"OKIENKO_SECRET_KEY": "one-key-for-every-host"}
    a = WebProcess.start(tmp_path / "a", smtp_port=smtp.port, database_url=pg_database, env=env_key)
    b = WebProcess.start(tmp_path / "b", smtp_port=smtp.port, database_url=pg_database, env=env_key)
    try:
        codes = []
        for i in range(4):
            web = (a, b)[i % 2]
            with httpx.Client(base_url=web.url) as client:
                page = client.get("/signin")
                token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                r = client.post(
                    "/signin",
                    data={"email": "nikt@um.example", "password": "zle", "csrf_token": token},
                )
                codes.append(r.status_code)
        assert codes == [400, 400, 400, 429], codes
    finally:
        a.stop()
        b.stop()
        smtp.stop()
