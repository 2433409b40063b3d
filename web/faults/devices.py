"""Reports from the appliances: a dispenser out of paper, or a device offline for longer than a
configurable time, opens a report for the sites' technical service (handed straight to its
coordinator group); when the device recovers, the report is resolved by the system. Watches
the fleet tables the hub snapshots keep (web/sync/fleet.py). One open report per device and
problem (``device_key``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Device, Location
from web.faults import store
from web.faults import tables as t
from web.faults.domain import Action, Actor, Channel, Role, Status, Step
from web.faults.settings import DEFAULT, FaultSettings

log = logging.getLogger("okienko.web.faults")
OFFLINE_AFTER = timedelta(minutes=15)
SYSTEM = Actor(0, Role.ADMIN)  # recorded with no person: history shows "system"
SUBCATEGORY = {"paper": "brak-papieru", "offline": "urzadzenie-offline"}
DESCRIPTION = {
    "paper": "Biletomat {device} w lokalizacji {location} nie ma papieru.",
    "offline": "Urządzenie {device} w lokalizacji {location} jest niedostępne od {since}.",
}


def problems(
    online: bool, printer: str, changed_at: datetime, now: datetime, after: timedelta
) -> set[str]:
    """Pure: what is wrong with a device now. An offline device's printer state is stale, so
    paper-out opens a report only while the device is online."""
    found = set()
    if not online and now - store.aware(changed_at) > after:
        found.add("offline")
    if online and printer == "paper_out":
        found.add("paper")
    return found


def site_name(sites: dict[str, Any], location_id: str) -> str:
    site = sites.get(location_id)
    return str(site.name) if site is not None and site.name else location_id


def site_place(sites: dict[str, Any], location_id: str) -> str:
    """The report's place: the site's name and address (its id only when the cloud does not
    know the site)."""
    site = sites.get(location_id)
    if site is None:
        return location_id
    return ", ".join(part for part in (site.name, site.address) if part) or location_id


def recovered(problem: str, online: bool, printer: str) -> bool:
    """Pure: whether an open report's problem is gone. Going offline does not refill the
    paper: a paper report waits until the device is back and reports paper."""
    if problem == "paper":
        return online and printer != "paper_out"
    return online


async def watch(
    engine: AsyncEngine,
    now: datetime,
    after: timedelta = OFFLINE_AFTER,
    settings: FaultSettings = DEFAULT,
) -> tuple[int, int]:
    """(opened, resolved)."""
    devices = Device.__table__
    r = t.reports.c
    async with engine.connect() as conn:
        fleet = list(await conn.execute(select(devices)))  # type: ignore[arg-type]
        sites = {
            row.id: row
            for row in await conn.execute(select(Location.__table__))  # type: ignore[arg-type]
        }
        open_reports = {
            row.device_key: row.id
            for row in await conn.execute(
                select(r.id, r.device_key).where(r.device_key.is_not(None), r.finished.is_(False))
            )
        }
        subs = {
            row.code: row
            for row in await conn.execute(
                select(t.subcategories).where(t.subcategories.c.code.in_(SUBCATEGORY.values()))
            )
        }
    wrong: dict[str, tuple[str, Any]] = {}
    for d in fleet:
        for problem in problems(bool(d.online), d.printer, d.changed_at, now, after):
            wrong[f"{d.location_id}/{d.device_id}/{problem}"] = (problem, d)
    opened = resolved = 0
    for key, (problem, d) in wrong.items():
        sub = subs.get(SUBCATEGORY[problem])
        if key in open_reports or sub is None:
            continue
        since = store.aware(d.changed_at).astimezone(store.WARSAW).strftime("%-d.%m.%Y, %H:%M")
        try:
            report_id, _ = await store.file_report(
                engine,
                store.Draft(
                    sub.id,
                    DESCRIPTION[problem].format(
                        device=d.device_id, location=site_name(sites, d.location_id), since=since
                    ),
                    Channel.DEVICE,
                    address=site_place(sites, d.location_id),
                    device_key=key,
                ),
                now,
                settings,
            )
        except IntegrityError:
            continue  # another worker opened it first (uq_fault_reports_open_device)
        if sub.coordinator_group_id is not None:
            await store.act(
                engine,
                SYSTEM,
                report_id,
                Step(Action.FORWARD, group_id=sub.coordinator_group_id),
                now,
                settings=settings,
            )
        opened += 1
    by_device = {f"{d.location_id}/{d.device_id}": d for d in fleet}
    for key, report_id in open_reports.items():
        if key in wrong:
            continue
        device_part, _, problem = key.rpartition("/")
        device = by_device.get(device_part)
        if device is not None and not recovered(problem, bool(device.online), device.printer):
            continue
        async with engine.begin() as conn:
            done = await conn.execute(
                update(t.reports)
                .where(r.id == report_id, r.finished.is_(False))
                .values(
                    status=str(Status.RESOLVED),
                    finished=True,
                    finished_at=store.utc(now),
                    last_change_at=store.utc(now),
                )
            )
            if done.rowcount == 1:
                await conn.execute(
                    t.events.insert().values(
                        report_id=report_id,
                        at=store.utc(now),
                        recorded_at=store.utc(now),
                        actor_id=None,
                        kind="device_recovered",
                        status=str(Status.RESOLVED),
                        note="",
                    )
                )
                resolved += 1
    if opened or resolved:
        log.info("device reports: %d opened, %d resolved", opened, resolved)
    return opened, resolved
