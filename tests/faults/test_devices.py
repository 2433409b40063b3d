"""Reports from the appliances: a dispenser out of paper and a device offline longer than the
limit open reports for the technical service; recovery resolves them; nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import People
from web.db.models import Device
from web.faults import devices, listing, store

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
