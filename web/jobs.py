"""Background work of the cloud, run in every worker: each job is safe to run concurrently
(it claims rows with conditional updates), so several workers never do one thing twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.applications import Starlette

from web.reservations import store

log = logging.getLogger("okienko.web.jobs")

Job = Callable[[Starlette, datetime], Awaitable[object]]


async def release_expired_holds(app: Starlette, now: datetime) -> int:
    return await store.sweep_expired(app.state.engine, now)


async def ticket_alerts(app: Starlette, now: datetime) -> int:
    from web.sync.alerts import send_alerts

    return await send_alerts(app, now)


# (job, period in seconds); the booking pages add the day-before reminders.
JOBS: list[tuple[Job, float]] = [(release_expired_holds, 30.0), (ticket_alerts, 3.0)]


async def _every(app: Starlette, job: Job, period: float) -> None:
    while True:
        try:
            await job(app, datetime.now(UTC))
        except Exception:  # a failing job is logged and retried; it never stops the service
            log.exception("background job %s failed", getattr(job, "__name__", job))
        await asyncio.sleep(period)


@contextlib.asynccontextmanager
async def running(app: Starlette):  # type: ignore[no-untyped-def]
    tasks = [asyncio.create_task(_every(app, job, period)) for job, period in JOBS]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
