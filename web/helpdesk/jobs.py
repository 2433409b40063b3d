"""The helpdesk's timed work, run by web/jobs.py in every worker (each step claims its rows
with a conditional UPDATE): scheduled requests are published, repeating ones repeat, and
rating links die after 30 days. The 24-hour red flag needs no job: it is computed."""

from __future__ import annotations

from datetime import datetime

from starlette.applications import Starlette

from web.helpdesk import notices, store


async def publish_scheduled(app: Starlette, now: datetime) -> int:
    done = await store.publish_due(app.state.engine, now)
    for request_id in done:
        await notices.published(app, request_id)
    return len(done)


async def repeat_requests(app: Starlette, now: datetime) -> int:
    made = await store.repeat_due(app.state.engine, now)
    for request_id in made:
        await notices.filed(app, request_id, None)
    return len(made)


async def close_rating_windows(app: Starlette, now: datetime) -> int:
    return await store.close_rating_windows(app.state.engine, now)


JOBS = [(publish_scheduled, 5.0), (repeat_requests, 5.0), (close_rating_windows, 600.0)]
