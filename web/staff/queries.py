"""Reading reservations for the staff pages (SQLAlchemy Core, the same on SQLite and
PostgreSQL): the register's search, a service point's day, a look-up by access code.

Changes go through ``web.reservations.store`` (state machine, history, sync feed); nothing
here writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, false, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.catalog import Catalog
from web.db.models import Reservation
from web.reservations.booking import TZ, Status
from web.reservations.fit import visit_fits
from web.staff.filters import RegisterFilter

R = cast(Table, Reservation.__table__)
PAGE_SIZE = 50

# lower() folds only ASCII on SQLite (and depends on the locale on PostgreSQL), while Polish
# surnames often start with Ł, Ś, Ż…: these letters are folded explicitly, on both databases.
_POLISH_UPPER = "ĄĆĘŁŃÓŚŹŻ"
_POLISH_LOWER = "ąćęłńóśźż"


def fold(column: Any) -> Any:
    expr = func.lower(column)
    for upper, lower in zip(_POLISH_UPPER, _POLISH_LOWER, strict=True):
        expr = func.replace(expr, upper, lower)
    return expr


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC bounds of Warsaw days first..last (inclusive)."""
    lo = datetime.combine(first, time.min, TZ).astimezone(UTC)
    hi = datetime.combine(last + timedelta(days=1), time.min, TZ).astimezone(UTC)
    return lo, hi


def _conditions(f: RegisterFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    name = fold(R.c.name)
    for word in f.name_words():
        # A word of the name matches where a word of the stored name begins with it, so
        # "kowal" finds "Jan Kowalski" but "ski" does not find everyone; each part of a
        # double-barrelled surname is a word ("klawiatura" finds "Kowalski-Klawiatura").
        w = _like_escape(word)
        where.append(
            name.like(f"{w}%", escape="\\")
            | name.like(f"% {w}%", escape="\\")
            | name.like(f"%-{w}%", escape="\\")
        )
    if f.code:
        where.append(R.c.access_code.like(f"{_like_escape(f.code)}%", escape="\\"))
    if f.service:
        where.append(R.c.service == f.service)
    if f.point:
        where.append(R.c.service_point == f.point)
    if f.status:
        where.append(R.c.status == f.status)
    if f.kind:
        where.append(R.c.kind == f.kind)
    if f.email:
        where.append(
            fold(R.c.contact).contains(f.email, autoescape=True)
            | fold(R.c.contact_extra).contains(f.email, autoescape=True)
        )
    if f.phone:
        # Phones are stored in E.164 (+48600100200): the typed digits are the number's end.
        where.append(R.c.contact.like(f"%{f.phone}") | R.c.contact_extra.like(f"%{f.phone}"))
    if f.first is not None and f.last is not None:
        lo, hi = day_bounds(f.first, f.last)
        where.append((R.c.start >= lo) & (R.c.start < hi))
    return where


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    pages: int


async def search(
    engine: AsyncEngine,
    f: RegisterFilter,
    page_size: int = PAGE_SIZE,
    *,
    location: str | None = None,
    catalog: Catalog | None = None,
) -> Page:
    """One page of the register; ``location``: only that location's visits (None: all).
    Whether a visit fits its point's schedule is the catalog's to say (``catalog``), so that
    filter is applied here, over the ids the other conditions found."""
    where = and_(True, *_conditions(f))
    if location is not None:  # "": an account without a location sees none
        where = and_(where, R.c.location == location if location else false())
    order = (R.c.start.desc() if f.newest_first else R.c.start.asc(), R.c.number, R.c.id)
    async with engine.connect() as conn:
        if f.fits and catalog is not None:
            wanted = f.fits == "yes"
            found = await conn.execute(
                select(R.c.id, R.c.service_point, R.c.service, R.c.start)
                .where(where)
                .order_by(*order)
            )
            ids = [
                r.id
                for r in found
                if visit_fits(catalog, r.service_point, r.service, _aware(r.start)) == wanted
            ]
            total = len(ids)
            pages = max(1, math.ceil(total / page_size))
            page = min(max(1, f.page), pages)
            chosen = ids[(page - 1) * page_size : page * page_size]
            rows = list(await conn.execute(select(R).where(R.c.id.in_(chosen)).order_by(*order)))
            return Page([_aware_row(r) for r in rows], total, page, pages)
        total = int(await conn.scalar(select(func.count()).select_from(R).where(where)) or 0)
        pages = max(1, math.ceil(total / page_size))
        page = min(max(1, f.page), pages)
        rows = list(
            await conn.execute(
                select(R)
                .where(where)
                .order_by(*order)
                .limit(page_size)
                .offset((page - 1) * page_size)
            )
        )
    return Page([_aware_row(r) for r in rows], total, page, pages)


# A day's list for a desk: expired holds were never visits; the posted docket leaves out
# what will not happen (cancelled, unconfirmed) too.
PLAN_STATUSES = tuple(s for s in Status if s is not Status.EXPIRED)
DOCKET_STATUSES = (Status.CONFIRMED, Status.CHECKED_IN, Status.NO_SHOW)


async def day_of_point(
    engine: AsyncEngine, point: str, day: date, statuses: tuple[Status, ...]
) -> list[Row]:
    """A service point's visits of one Warsaw day, in time order (its plan and docket)."""
    return await _day(engine, R.c.service_point == point, day, statuses)


@dataclass(frozen=True)
class Row:
    """A reservation row with an aware ``start`` (SQLite gives naive UTC back)."""

    id: str
    access_code: str
    service_point: str
    service: str
    start: datetime
    status: str
    name: str
    contact: str
    kind: str
    number: int | None
    location: str
    created_at: datetime
    manage_token: str | None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _aware_row(r: Any) -> Row:
    return Row(
        id=r.id,
        access_code=r.access_code,
        service_point=r.service_point,
        service=r.service,
        start=_aware(r.start),
        status=r.status,
        name=r.name,
        contact=r.contact,
        kind=r.kind,
        number=r.number,
        location=r.location,
        created_at=_aware(r.created_at),
        manage_token=r.manage_token,
    )


async def day_of_location(
    engine: AsyncEngine, location: str, day: date, statuses: tuple[Status, ...]
) -> list[Row]:
    """A location's visits of one Warsaw day, in time order (the register's read API)."""
    return await _day(engine, R.c.location == location, day, statuses)


async def _day(
    engine: AsyncEngine, where: Any, day: date, statuses: tuple[Status, ...]
) -> list[Row]:
    lo, hi = day_bounds(day, day)
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(R)
            .where(
                where
                & (R.c.start >= lo)
                & (R.c.start < hi)
                & R.c.status.in_([str(s) for s in statuses])
            )
            .order_by(R.c.start, R.c.number, R.c.id)
        )
        return [_aware_row(r) for r in rows]
