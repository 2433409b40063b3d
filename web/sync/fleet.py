"""Fleet health in the cloud: each site's devices as its hub reports them in its snapshots,
and a history row whenever a device goes online or offline or its printer state changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.contract import sync as contract
from web.db.models import Device, DeviceChange

DV = cast(Table, Device.__table__)
DC = cast(Table, DeviceChange.__table__)


async def record(
    conn: AsyncConnection, location: str, devices: Sequence[contract.DeviceHealth], now: datetime
) -> None:
    known = {
        r.device_id: r for r in await conn.execute(select(DV).where(DV.c.location_id == location))
    }
    for d in devices:
        values: dict[str, Any] = {
            "role": d.role,
            "online": d.online,
            "software": d.software or "",
            "printer": str(d.printer),
            "detail": d.detail or "",
            "last_seen": d.last_seen,
        }
        old = known.get(d.id)
        if old is None:
            await conn.execute(
                DV.insert().values(location_id=location, device_id=d.id, changed_at=now, **values)
            )
            changed = True
        else:
            changed = (bool(old.online), old.printer) != (d.online, str(d.printer))
            same = all(
                _same(getattr(old, k), v) for k, v in values.items() if k != "last_seen"
            ) and _same(old.last_seen, d.last_seen)
            if not same:
                if changed:
                    values["changed_at"] = now
                await conn.execute(
                    update(DV)
                    .where((DV.c.location_id == location) & (DV.c.device_id == d.id))
                    .values(**values)
                )
        if changed:
            await conn.execute(
                DC.insert().values(
                    location_id=location,
                    device_id=d.id,
                    at=now,
                    online=d.online,
                    printer=str(d.printer),
                )
            )


def _same(a: object, b: object) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return _utc(a) == _utc(b)
    return a == b


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def devices_of(engine: AsyncEngine, location: str) -> list[Any]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(DV).where(DV.c.location_id == location).order_by(DV.c.role, DV.c.device_id)
            )
        )


async def history_of(engine: AsyncEngine, location: str, limit: int = 50) -> list[Any]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(DC)
                .where(DC.c.location_id == location)
                .order_by(DC.c.at.desc(), DC.c.id.desc())
                .limit(limit)
            )
        )
