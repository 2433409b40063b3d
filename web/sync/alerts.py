"""Telling visitors who asked (on their e-ticket page) that their turn is near, and that they
are called. Each message is claimed with a conditional UPDATE before it is sent, so several
workers never send it twice; the contact is deleted once the ticket is finished."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update

from web.db.models import Ticket, TicketAlert
from web.eticket.state import FINISHED, site_state
from web.i18n import translations

log = logging.getLogger("okienko.web.alerts")
AL = cast(Table, TicketAlert.__table__)
TK = cast(Table, Ticket.__table__)


async def send_alerts(app: Any, now: datetime) -> int:
    engine = app.state.engine
    pl = translations("pl")
    async with engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(
                    AL.c.id,
                    AL.c.contact,
                    AL.c.ahead.label("wanted"),
                    AL.c.sent_ahead_at,
                    AL.c.sent_called_at,
                    TK.c.number,
                    TK.c.status,
                    TK.c.ahead,
                    TK.c.counter,
                    TK.c.location_id,
                ).join(TK, TK.c.token == AL.c.token)
            )
        )
    sent = 0
    snapshots: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.status in ("called", "serving") and r.sent_called_at is None:
            column, text = (
                "sent_called_at",
                pl.gettext("Ticket %(number)s: please come to counter %(counter)s.")
                % {"number": r.number, "counter": await _counter_label(engine, snapshots, r)},
            )
        elif (
            r.status == "waiting"
            and r.sent_ahead_at is None
            and r.ahead is not None
            and r.ahead <= r.wanted
        ):
            column, text = (
                "sent_ahead_at",
                pl.gettext("Your turn is near: %(n)s people ahead of ticket %(number)s.")
                % {"n": r.ahead, "number": r.number},
            )
        else:
            continue
        async with engine.begin() as conn:
            claimed = await conn.execute(
                update(AL).where((AL.c.id == r.id) & (AL.c[column].is_(None))).values({column: now})
            )
        if claimed.rowcount != 1:
            continue  # another worker took it
        try:
            await app.state.notifier.send(r.contact, text, text)
            sent += 1
        except Exception as exc:  # a failed message is logged, without the contact
            log.warning("ticket alert %s not sent: %s", r.id, type(exc).__name__)
    await _forget_finished(engine)
    return sent


async def _counter_label(engine: Any, snapshots: dict[str, dict[str, Any]], row: Any) -> str:
    """The counter's short number as the hall shows it ("3"), from the site's snapshot."""
    if row.location_id not in snapshots:
        snapshots[row.location_id] = (await site_state(engine, row.location_id))[0]
    for c in snapshots[row.location_id].get("counters", []):
        if c["id"] == row.counter:
            return str(c["number"])
    return str(row.counter or "")


async def _forget_finished(engine: Any) -> None:
    """Contacts are kept only while their ticket is in the queue."""
    async with engine.begin() as conn:
        finished = select(TK.c.token).where(TK.c.status.in_(FINISHED))
        await conn.execute(delete(AL).where(AL.c.token.in_(finished)))
