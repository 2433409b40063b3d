"""The access log: who opened a record with personal data (a reservation in the staff
register, a reception look-up, a helpdesk request, a fault report), or exported or erased a
person's data; when, and which record. A table like the sign-in audit (logs carry no personal
data); kept ``--access-log-days`` (365 by default: a year covers a supervisory authority's
question about the past year's processing, while the records it points to are mostly gone
long before), then deleted by a job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Row, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import AccessEvent

A = cast(Table, AccessEvent.__table__)
KEEP_DAYS_DEFAULT = 365
PAGE = 200


class Action(StrEnum):
    OPENED = "opened"
    LOOKED_UP = "looked_up"
    SEARCHED = "searched"
    EXPORTED = "exported"
    ERASED = "erased"


async def record(engine: AsyncEngine, actor: str, action: Action, what: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            A.insert().values(
                at=datetime.now(UTC), actor=actor[:200], action=str(action), record=what[:120]
            )
        )


async def opened(request: Any, actor: str, what: str, action: Action = Action.OPENED) -> None:
    """A page showed a record with personal data to ``actor``."""
    await record(request.app.state.engine, actor, action, what)


async def latest(engine: AsyncEngine, limit: int = PAGE) -> list[Row[Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(A).order_by(A.c.at.desc(), A.c.id.desc()).limit(limit))
        return list(rows)


async def sweep(app: Any, now: datetime) -> int:
    """The job that deletes entries older than the kept period."""
    days = int(getattr(app.state, "access_log_days", KEEP_DAYS_DEFAULT))
    async with app.state.engine.begin() as conn:
        done = await conn.execute(delete(A).where(A.c.at < now - timedelta(days=days)))
    return int(done.rowcount or 0)
