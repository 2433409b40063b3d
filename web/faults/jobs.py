"""The fault reports' timed work, run by web/jobs.py in every worker: retention of personal
data (§ 27) and reminders and escalations (only in working hours)."""

from __future__ import annotations

from datetime import datetime

from starlette.applications import Starlette

from web.faults import notices, retention


async def fault_retention(app: Starlette, now: datetime) -> int:
    return (await retention.run(app.state.engine, now)).deleted


async def fault_reminders(app: Starlette, now: datetime) -> int:
    return await notices.remind(app, now)


JOBS = [(fault_retention, 3600.0), (fault_reminders, 300.0)]
