"""What a ticket's page and a site's board show, read from the synced tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Location, SiteSync, Ticket

TK = cast(Table, Ticket.__table__)
SS = cast(Table, SiteSync.__table__)
LOC = cast(Table, Location.__table__)
TZ = ZoneInfo("Europe/Warsaw")
# The hub reports at least every few seconds; this long without a word means it is offline.
OFFLINE_AFTER = timedelta(seconds=60)
FINISHED = frozenset({"done", "missed", "cancelled"})


@dataclass(frozen=True)
class TicketView:
    token: str
    site: str
    site_name: str
    number: str
    service_name: str
    status: str
    counter_name: str | None
    counter_number: str | None
    ahead: int | None
    wait_min: int | None
    offline: bool
    finished: bool


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def site_state(engine: AsyncEngine, site: str) -> tuple[dict[str, Any], bool, str]:
    """(the hub's last queue snapshot, offline?, site name)."""
    async with engine.connect() as conn:
        sync = (await conn.execute(select(SS).where(SS.c.location_id == site))).first()
        name = await conn.scalar(select(LOC.c.name).where(LOC.c.id == site))
    snapshot = json.loads(sync.snapshot) if sync is not None else {}
    seen = _aware(sync.last_seen_at) if sync is not None else None
    offline = seen is None or datetime.now(UTC) - seen > OFFLINE_AFTER
    return snapshot, offline, str(name or snapshot.get("site_name") or site)


async def site_known(engine: AsyncEngine, site: str) -> bool:
    """Whether the site's hub has ever reported (what the board needs to show anything)."""
    async with engine.connect() as conn:
        found = await conn.scalar(select(SS.c.location_id).where(SS.c.location_id == site))
    return found is not None


async def ticket_view(engine: AsyncEngine, token: str, language: str = "pl") -> TicketView | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(TK).where(TK.c.token == token))).first()
    if row is None:
        return None
    snapshot, offline, site_name = await site_state(engine, row.location_id)
    service = next((s for s in snapshot.get("services", []) if s["id"] == row.service), None)
    service_name = row.service
    if service is not None:
        other = {"en": "name_en", "uk": "name_uk"}.get(language)
        service_name = (service.get(other) if other else None) or service["name"]
    counter = next((c for c in snapshot.get("counters", []) if c["id"] == row.counter), None)
    today = datetime.now(TZ).date()
    return TicketView(
        token=token,
        site=row.location_id,
        site_name=site_name,
        number=row.number,
        service_name=service_name,
        status=row.status,
        counter_name=counter["name"] if counter else row.counter,
        counter_number=counter["number"] if counter else None,
        ahead=row.ahead,
        wait_min=row.wait_min,
        offline=offline,
        finished=row.status in FINISHED or row.day < today,
    )
