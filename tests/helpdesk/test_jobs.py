"""The helpdesk's timed work as web/jobs.py runs it: the rating window closes 30 days after
completion (the request leaves the active list, the e-mailed link dies), once."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from tests.helpdesk.conftest import NOW, Catalogue
from web.helpdesk import jobs, listing, store
from web.helpdesk.domain import Action, RatingClosed


def app_with(engine: AsyncEngine) -> Starlette:
    return cast(Starlette, SimpleNamespace(state=SimpleNamespace(engine=engine)))


async def ids(engine: AsyncEngine, cat: Catalogue, f: listing.ListFilter, now: Any) -> list[int]:
    async with engine.connect() as conn:
        return [r.id for r in await conn.execute(listing.query(cat.alice, f, now))]


def test_the_cloud_runs_the_closing_job():
    from web.jobs import JOBS

    assert jobs.close_rating_windows in [job for job, _every in JOBS]


async def test_rating_closes_30_days_after_completion(engine: AsyncEngine, cat: Catalogue):
    app = app_with(engine)
    kept = await store.file_request(engine, cat.alice, store.Filing(
        cat.unit_a, cat.address_a, cat.it, "Nowy projektor"), NOW)  # fmt: skip
    late = await store.file_request(engine, cat.alice, store.Filing(
        cat.unit_a, cat.address_a, cat.it, "Naprawa rzutnika"), NOW)  # fmt: skip
    tokens = {}
    for filed, at in ((kept, NOW + timedelta(days=5)), (late, NOW)):
        await store.change_status(engine, cat.staff, filed.id, Action.ACCEPT, "", at)
        done = await store.change_status(engine, cat.staff, filed.id, Action.COMPLETE, "", at)
        assert done.rating_token
        tokens[filed.id] = done.rating_token

    assert await jobs.close_rating_windows(app, NOW + timedelta(days=30)) == 0  # day 30 still open
    day31 = NOW + timedelta(days=30, minutes=1)
    assert await jobs.close_rating_windows(app, day31) == 1
    assert await jobs.close_rating_windows(app, day31) == 0  # once

    # Closed: out of the active list (still Zrealizowane, and found by that status); the link
    # is still known (to say why its form is gone) but rates nothing.
    assert await ids(engine, cat, listing.ListFilter(), day31) == [kept.id]
    assert late.id in await ids(engine, cat, listing.ListFilter(statuses=["completed"]), day31)
    assert (await store.by_rating_token(engine, tokens[late.id])).id == late.id  # type: ignore[union-attr]
    with pytest.raises(RatingClosed):
        await store.rate_by_token(engine, tokens[late.id], 5, "Dziękuję", day31)
    with pytest.raises(RatingClosed):  # nor from the request page
        await store.rate(engine, cat.alice, late.id, 5, "Dziękuję", day31)
    assert (await store.load(engine, cat.alice, late.id)).status == "completed"

    # The other one, completed five days later, is still rated by its link.
    await store.rate_by_token(engine, tokens[kept.id], 5, "Dziękuję", day31)
    assert (await store.load(engine, cat.alice, kept.id)).status == "rated"
