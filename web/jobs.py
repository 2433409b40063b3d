"""Background work of the cloud, run in every worker: each job is safe to run concurrently
(it claims rows with conditional updates), so several workers never do one thing twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.applications import Starlette

from web import metrics, ratelimit
from web.identity import audit, sessions
from web.privacy import access
from web.reservations import store

log = logging.getLogger("okienko.web.jobs")

Job = Callable[[Starlette, datetime], Awaitable[object]]


async def release_expired_holds(app: Starlette, now: datetime) -> int:
    """Free the places of holds not confirmed in time, then tell their visitors."""
    from web.reservations.notices import tell_expired

    swept = await store.sweep_expired(app.state.engine, now)
    await tell_expired(app, now)
    return swept


async def ticket_alerts(app: Starlette, now: datetime) -> int:
    from web.sync.alerts import send_alerts

    return await send_alerts(app, now)


async def visit_reminders(app: Starlette, now: datetime) -> int:
    from web.reservations.reminders import send_reminders

    return await send_reminders(app, now)


async def personal_data_retention(app: Starlette, now: datetime) -> int:
    from web.reservations.retention import forget_old_visitors

    return await forget_old_visitors(app, now)


# (job, period in seconds). Reminders every 5 minutes: a visit booked in the evening for
# tomorrow still gets one; retention hourly: a day's delay there harms nobody.
JOBS: list[tuple[Job, float]] = [
    (release_expired_holds, 30.0),
    (ticket_alerts, 3.0),
    (visit_reminders, 300.0),
    (personal_data_retention, 3600.0),
    (ratelimit.sweep, 3600.0),
    (sessions.sweep, 3600.0),
    (audit.sweep, 3600.0),
    (access.sweep, 3600.0),
]

# The helpdesk: scheduled publication, repetition, rating links' expiry.
from web.helpdesk.jobs import JOBS as _helpdesk_jobs  # noqa: E402

JOBS += _helpdesk_jobs

# Citizen fault reports: retention of personal data, reminders in working hours.
from web.faults.jobs import JOBS as _faults_jobs  # noqa: E402

JOBS += _faults_jobs


def _name(job: Job) -> str:
    return getattr(job, "__name__", str(job))


async def _every(app: Starlette, job: Job, period: float) -> None:
    name = _name(job)
    while True:
        try:
            await job(app, datetime.now(UTC))
        except Exception:  # a failing job is logged and retried; it never stops the service
            log.exception("background job %s failed", name)
            metrics.job_ran(name, ok=False)
        else:
            metrics.job_ran(name, ok=True)
        await asyncio.sleep(period)


@contextlib.asynccontextmanager
async def running(app: Starlette):  # type: ignore[no-untyped-def]
    for job, _ in JOBS:  # every job's failures counted from zero, before any has failed
        metrics.JOB_FAILURES.labels(_name(job))
    tasks = [asyncio.create_task(_every(app, job, period)) for job, period in JOBS]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
