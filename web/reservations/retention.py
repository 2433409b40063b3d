"""Forgetting visitors: 30 days after a visit the name and the phone number or e-mail address
of its reservation are erased (name "", contact "usunięto"); the time, matter, place and status
stay for statistics and the register, and carry nothing personal.

Why 30 days (neither seed gives a figure): the data serves to organise one visit (GDPR art. 5
(1)(b) and (e): purpose and storage limitation). After the visit it is still needed only to
answer a visitor's question or complaint about that visit ("I had a booking and was not
served") and for the office to check its register against the day's queue, which in practice
happens within days; a month covers that and the office's monthly reporting with room to
spare, while anything longer keeps contact data with no purpose. An installation may shorten
or lengthen it with ``app.state.retention_days``.

The update is conditional and idempotent, so several workers may run it at once; the log says
how many rows were cleared and nothing about whom.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, update

from web.db.models import Reservation

log = logging.getLogger("okienko.web.retention")
R = cast(Table, Reservation.__table__)
DEFAULT_DAYS = 30
ERASED_NAME = ""
ERASED_CONTACT = "usunięto"


async def forget_old_visitors(app: Any, now: datetime) -> int:
    """Erase the personal data of reservations whose visit was over ``retention_days`` ago,
    whatever their status (kept, missed, cancelled, never confirmed)."""
    days = getattr(app.state, "retention_days", None) or DEFAULT_DAYS
    cutoff = now - timedelta(days=days)
    async with app.state.engine.begin() as conn:
        result = await conn.execute(
            update(R)
            .where(
                (R.c.start < cutoff) & ((R.c.name != ERASED_NAME) | (R.c.contact != ERASED_CONTACT))
            )
            .values(name=ERASED_NAME, contact=ERASED_CONTACT, contact_extra="")
        )
    count = int(result.rowcount or 0)
    if count:
        log.info("erased the personal data of %d past reservations", count)
    return count
