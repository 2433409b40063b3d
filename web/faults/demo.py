"""The demo's citizen fault reports: an Open311 key for trying the API (the dictionary comes
with the migration)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from web.faults.open311 import create_key


async def open311_info(engine: AsyncEngine, web_url: str) -> dict[str, str]:
    key = await create_key(engine, "demo", datetime.now(UTC))
    return {"url": f"{web_url}/open311/v2/", "api_key": key}
