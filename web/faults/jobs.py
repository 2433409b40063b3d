"""The fault reports' timed work, run by web/jobs.py in every worker: retention of personal
data (§ 27), reminders and escalations (only in working hours), and reports from the appliances
(``app.state.device_offline_after`` sets how long a device may be offline, 15 minutes else)."""

from __future__ import annotations

from datetime import datetime

from starlette.applications import Starlette

from web.faults import devices, notices, retention
from web.faults.settings import of as settings_of


async def fault_retention(app: Starlette, now: datetime) -> int:
    return (await retention.run(app.state.engine, now)).deleted


async def fault_reminders(app: Starlette, now: datetime) -> int:
    return await notices.remind(app, now)


async def device_reports(app: Starlette, now: datetime) -> int:
    after = getattr(app.state, "device_offline_after", devices.OFFLINE_AFTER)
    opened, resolved = await devices.watch(app.state.engine, now, after, settings_of(app))
    return opened + resolved


JOBS = [(fault_retention, 3600.0), (fault_reminders, 300.0), (device_reports, 60.0)]
