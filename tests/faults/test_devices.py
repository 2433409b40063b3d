"""Reports from the appliances: a dispenser out of paper and a device offline longer than the
limit open reports for the technical service; recovery resolves them (paper only once the
device is back with paper); nothing twice, even with several workers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import People
from web.db.models import Device
from web.faults import devices, listing, store
from web.faults.domain import Channel

NOW = datetime(2026, 3, 3, 10, tzinfo=UTC)
DV = Device.__table__


async def test_paper_out_and_a_long_offline_open_reports_and_recovery_resolves_them(
    engine: AsyncEngine, people: People
):
    async with engine.begin() as conn:
        for device, online, printer, since in (
            ("dispenser-1", True, "paper_out", NOW - timedelta(minutes=1)),
            ("counter-2", False, "none", NOW - timedelta(minutes=20)),
            ("display-3", False, "none", NOW - timedelta(minutes=5)),  # not long enough
        ):
            await conn.execute(
                insert(DV).values(  # type: ignore[arg-type]
                    location_id="lodz-piotrkowska",
                    device_id=device,
                    role=device.split("-")[0],
                    online=online,
                    printer=printer,
                    changed_at=since,
                )
            )
    assert await devices.watch(engine, NOW, timedelta(minutes=15)) == (2, 0)
    assert await devices.watch(engine, NOW, timedelta(minutes=15)) == (0, 0)  # once
    tech = people.groups["TECH-K"]
    items = await listing.reports(engine, people.operator, listing.Filters(), NOW)
    assert {i.row.device_key for i in items} == {
        "lodz-piotrkowska/dispenser-1/paper",
        "lodz-piotrkowska/counter-2/offline",
    }
    assert all(i.row.coordinator_group_id == tech and i.row.channel == "device" for i in items)
    async with engine.begin() as conn:
        await conn.execute(
            update(DV).where(DV.c.device_id == "dispenser-1").values(printer="ok")  # type: ignore[arg-type]
        )
    assert await devices.watch(engine, NOW + timedelta(minutes=2)) == (0, 1)
    paper = next(i.row for i in items if i.row.device_key.endswith("/paper"))
    row = await store.load(engine, people.super, paper.id)
    assert row is not None and row.status == "resolved" and row.finished
    kinds = [e.kind for e in await store.history(engine, paper.id)]
    assert kinds == ["filed", "forward", "device_recovered"]


async def _dispenser(engine: AsyncEngine, **values: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(DV).values(  # type: ignore[arg-type]
                location_id="lodz-piotrkowska",
                device_id="dispenser-1",
                role="dispenser",
                **values,
            )
        )


async def _set(engine: AsyncEngine, **values: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(DV).where(DV.c.device_id == "dispenser-1").values(**values)  # type: ignore[arg-type]
        )


async def test_a_paper_report_stays_open_while_the_dispenser_is_offline(
    engine: AsyncEngine, people: People
):
    await _dispenser(engine, online=True, printer="paper_out", changed_at=NOW)
    assert await devices.watch(engine, NOW) == (1, 0)
    # Going offline (the printer state now stale, or reset) does not refill the paper.
    await _set(engine, online=False, changed_at=NOW + timedelta(minutes=1))
    assert await devices.watch(engine, NOW + timedelta(minutes=2)) == (0, 0)
    await _set(engine, printer="none")
    assert await devices.watch(engine, NOW + timedelta(minutes=3)) == (0, 0)
    # Back online still without paper: the same report, not a second one.
    await _set(engine, online=True, printer="paper_out", changed_at=NOW + timedelta(minutes=4))
    assert await devices.watch(engine, NOW + timedelta(minutes=5)) == (0, 0)
    await _set(engine, printer="ok")
    assert await devices.watch(engine, NOW + timedelta(minutes=6)) == (0, 1)
    items = await listing.reports(engine, people.operator, listing.Filters(status="all"), NOW)
    assert [(i.row.device_key, i.row.status) for i in items] == [
        ("lodz-piotrkowska/dispenser-1/paper", "resolved")
    ]


async def test_several_workers_watching_at_once_open_one_report_per_problem(
    engine: AsyncEngine, people: People
):
    await _dispenser(engine, online=True, printer="paper_out", changed_at=NOW)
    results = await asyncio.gather(*(devices.watch(engine, NOW) for _ in range(4)))
    assert sum(opened for opened, _ in results) == 1
    items = await listing.reports(engine, people.operator, listing.Filters(status="all"), NOW)
    assert len(items) == 1
    # The database itself refuses a second open report for the same device and problem...
    draft = store.Draft(
        people.subs["brak-papieru"], "x", Channel.DEVICE, device_key=items[0].row.device_key
    )
    with pytest.raises(IntegrityError):
        await store.file_report(engine, draft, NOW)
    # ...but not once the first is finished.
    await _set(engine, printer="ok")
    assert await devices.watch(engine, NOW) == (0, 1)
    await store.file_report(engine, draft, NOW)
