"""Seed 003's information board ("Tablica informacyjna"): the day's visits of a site by access
code (masked), hour, status and place, for the hall screen beside the queue board.

A visit's status comes from the reservation until the visitor checks in, then from the
ticket the dispenser issued for it (linked by the access code in the ticket's issue event):
Rezerwacja → Oczekujący → Zapraszam → W toku; a visit done, missed (three calls unanswered)
or cancelled leaves the board, and so does a booked one whose check-in window has closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.catalog import Catalog
from web.db.models import QueueEvent, Reservation, Ticket
from web.i18n import N_
from web.reservations.booking import CHECKIN_LATE_MIN, TZ, Status

R = cast(Table, Reservation.__table__)
QE = cast(Table, QueueEvent.__table__)
TK = cast(Table, Ticket.__table__)
SHOWN_SIGNS = 3  # the code's last signs: enough to find one's line, too few to use the code


class BoardStatus(StrEnum):
    BOOKED = "booked"  # Rezerwacja
    WAITING = "waiting"  # Oczekujący
    CALLED = "called"  # Zapraszam
    SERVING = "serving"  # W toku


LABEL = {
    BoardStatus.BOOKED: N_("Reservation"),
    BoardStatus.WAITING: N_("Waiting"),
    BoardStatus.CALLED: N_("Please come"),
    BoardStatus.SERVING: N_("Being served"),
}
_FROM_TICKET = {
    "waiting": BoardStatus.WAITING,
    "called": BoardStatus.CALLED,
    "serving": BoardStatus.SERVING,
}


@dataclass(frozen=True)
class Visit:
    """A reservation as the board needs it."""

    access_code: str
    start: datetime
    status: str
    service_point: str
    duration_min: int


@dataclass(frozen=True)
class TicketNow:
    status: str  # waiting, called, serving, done, missed, cancelled
    counter: str | None


@dataclass(frozen=True)
class BoardRow:
    code_end: str
    start: datetime
    status: BoardStatus
    place: str


def code_end(code: str) -> str:
    return code[-SHOWN_SIGNS:]


def board_rows(
    visits: Iterable[Visit],
    tickets: Mapping[str, TicketNow],
    places: Mapping[str, str],
    now: datetime,
) -> list[BoardRow]:
    """The board's rows by hour. ``tickets``: the ticket of a checked-in visit by access code;
    ``places``: a service point's or counter's name as the hall knows it."""
    rows = []
    for v in visits:
        place = places.get(v.service_point, v.service_point)
        if v.status == Status.CONFIRMED:
            if now > v.start + timedelta(minutes=CHECKIN_LATE_MIN):
                continue  # may no longer check in: not expected any more
            status = BoardStatus.BOOKED
        elif v.status == Status.CHECKED_IN:
            ticket = tickets.get(v.access_code)
            if ticket is None:
                # Checked in by staff, without a ticket: waiting until its slot is over.
                if now > v.start + timedelta(minutes=v.duration_min):
                    continue
                status = BoardStatus.WAITING
            elif ticket.status in _FROM_TICKET:
                status = _FROM_TICKET[ticket.status]
                if status is not BoardStatus.WAITING and ticket.counter:
                    place = places.get(ticket.counter, ticket.counter)
            else:
                continue  # done, missed or cancelled
        else:
            continue
        rows.append(BoardRow(code_end(v.access_code), v.start, status, place))
    rows.sort(key=lambda r: (r.start, r.code_end))
    return rows


def places_of(catalog: Catalog, site: str, snapshot: Mapping[str, Any]) -> dict[str, str]:
    """Names of the site's service points (with the room), and of its counters as the hub
    calls them (a counter's id is usually its service point's)."""
    out: dict[str, str] = {}
    for p in catalog.points.values():
        if p.location == site:
            out[p.id] = f"{p.name}, {p.room}" if p.room and p.room not in p.name else p.name
    for c in snapshot.get("counters", []):
        out.setdefault(str(c["id"]), str(c["name"]))
    return out


async def visits_today(
    engine: AsyncEngine, catalog: Catalog, site: str, now: datetime
) -> tuple[list[Visit], dict[str, TicketNow]]:
    """The site's visits of today (Warsaw) that may still be on the board, and the tickets
    issued for them."""
    day = now.astimezone(TZ).date()
    lo, hi = _day(day)
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(R.c.access_code, R.c.start, R.c.status, R.c.service_point, R.c.service).where(
                (R.c.location == site)
                & (R.c.start >= lo)
                & (R.c.start < hi)
                & R.c.status.in_([str(Status.CONFIRMED), str(Status.CHECKED_IN)])
            )
        )
        visits = [
            Visit(
                r.access_code,
                _aware(r.start),
                r.status,
                r.service_point,
                s.duration_min if (s := catalog.services.get(r.service)) else 15,
            )
            for r in rows
        ]
        checked_in = {v.access_code for v in visits if v.status == Status.CHECKED_IN}
        tickets: dict[str, TicketNow] = {}
        if checked_in:
            issued = await conn.execute(
                select(QE.c.ticket_id, QE.c.body).where(
                    (QE.c.location_id == site) & (QE.c.day == day) & (QE.c.type == "ticket_issued")
                )
            )
            by_ticket = {}
            for e in issued:
                code = json.loads(e.body).get("reservation_code")
                if code in checked_in:
                    by_ticket[e.ticket_id] = code
            if by_ticket:
                found = await conn.execute(
                    select(TK.c.ticket_id, TK.c.status, TK.c.counter).where(
                        (TK.c.location_id == site) & TK.c.ticket_id.in_(list(by_ticket))
                    )
                )
                for t in found:
                    tickets[by_ticket[t.ticket_id]] = TicketNow(t.status, t.counter)
    return visits, tickets


def _day(day: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(day, time.min, TZ).astimezone(UTC)
    return lo, datetime.combine(day + timedelta(days=1), time.min, TZ).astimezone(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
