"""What can be booked, where and when: the catalog read from the database (departments,
locations, services, service points with their calendars), and its import from a site file.

``Catalog`` is plain data; booking, the public pages and the staff pages all read it through
``load_catalog`` so a change on the administration pages is seen by every worker.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from time import monotonic
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.config import Site, load_site
from web import search
from web.db import models as m
from web.reservations.booking import Offer
from web.reservations.calendar import Calendar, DatedHours, Span


@dataclass(frozen=True)
class DepartmentInfo:
    id: str
    name: str


@dataclass(frozen=True)
class LocationInfo:
    id: str
    name: str
    address: str = ""
    building_limit: int | None = None


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name: str
    name_en: str | None = None
    department: str | None = None
    description: str = ""
    duration_min: int = 15
    horizon_days: int = 30
    notice_min: int = 60
    hold_min: int = 15
    active: bool = True
    keywords: str = ""  # other words visitors use for it: "samochód, auto, tablice"
    name_uk: str | None = None

    def label(self, language: str) -> str:
        """The name in the visitor's language, the Polish one where none is given."""
        other = {"en": self.name_en, "uk": self.name_uk}.get(language)
        return other or self.name


@dataclass(frozen=True)
class PointInfo:
    id: str
    location: str
    name: str
    room: str
    calendar: Calendar
    active: bool = True


@dataclass(frozen=True)
class Catalog:
    departments: dict[str, DepartmentInfo] = field(default_factory=dict)
    locations: dict[str, LocationInfo] = field(default_factory=dict)
    services: dict[str, ServiceInfo] = field(default_factory=dict)
    points: dict[str, PointInfo] = field(default_factory=dict)
    capacity: dict[tuple[str, str], int] = field(default_factory=dict)  # (point, service)

    def offer(self, service: str, point: str, *, staff: bool = False) -> Offer:
        """The service at the point; ``staff`` books for a caller or at the desk, so the
        public notice does not apply: any hour not yet begun (later today too)."""
        s = self.services[service]
        return Offer(
            service=service,
            service_point=point,
            duration_min=s.duration_min,
            capacity=self.capacity[(point, service)],
            horizon_days=s.horizon_days,
            notice_min=0 if staff else s.notice_min,
            hold_min=s.hold_min,
        )

    def bookable_services(self) -> list[ServiceInfo]:
        offered = {svc for (p, svc) in self.capacity if self.points[p].active}
        return [s for s in self.services.values() if s.active and s.id in offered]

    def points_for(self, service: str, location: str | None = None) -> list[PointInfo]:
        return [
            p
            for (pid, svc) in self.capacity
            if svc == service
            and (p := self.points[pid]).active
            and (location is None or p.location == location)
        ]

    def locations_for(self, service: str) -> list[LocationInfo]:
        ids = {p.location for p in self.points_for(service)}
        return [loc for lid, loc in self.locations.items() if lid in ids]

    def search(self, text: str, language: str = "pl") -> list[ServiceInfo]:
        """Services where every typed word is found (in any form, with or without diacritics,
        or with a small typo; web/search.py), best first: found in the names and keywords
        before found only in the description or the department."""
        scored = []
        for s in self.bookable_services():
            dept = self.departments.get(s.department or "")
            fields = search.Fields(
                strong=(s.name, s.name_en or "", s.name_uk or "", s.keywords),
                weak=(s.description, dept.name if dept else ""),
            )
            if points := search.score(text, fields):
                scored.append((-points, s.label(language), s))
        return [s for *_, s in sorted(scored, key=lambda t: t[:2])]


# -- calendar JSON ({"mon": ["08:00-16:00"], …}) --------------------------------------------


def parse_span(text: str) -> Span:
    """ "08:00-16:00" → Span; ValueError with the text when it is not one."""
    try:
        a, b = (part.strip() for part in text.split("-"))
        start = time.fromisoformat(a)
        end = time(23, 59) if b == "24:00" else time.fromisoformat(b)
    except ValueError:
        raise ValueError(f"'{text}' is not hours like 08:00-16:00") from None
    return Span(start, end)


def parse_spans(text: str) -> tuple[Span, ...]:
    """ "08:00-12:00, 13:00-16:00" → spans; "" → none."""
    return tuple(parse_span(p) for p in text.split(",") if p.strip())


def format_spans(spans: Iterable[Span]) -> str:
    return ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in spans)


def weekly_from_json(text: str) -> dict[str, tuple[Span, ...]]:
    data = json.loads(text or "{}")
    return {day: tuple(parse_span(s) for s in spans) for day, spans in data.items()}


def weekly_to_json(weekly: dict[str, tuple[Span, ...]]) -> str:
    return json.dumps(
        {
            d: [f"{s.start:%H:%M}-{s.end:%H:%M}" for s in spans]
            for d, spans in weekly.items()
            if spans
        }
    )


# -- loading ---------------------------------------------------------------------------------


def _t(model: type[m.Base]) -> Table:
    return cast(Table, model.__table__)


async def load_catalog(engine: AsyncEngine) -> Catalog:
    async with engine.connect() as conn:
        return await read_catalog(conn)


async def read_catalog(conn: AsyncConnection) -> Catalog:
    exceptions: dict[str, list[DatedHours]] = {}
    for row in await conn.execute(select(_t(m.CalendarException))):
        exceptions.setdefault(row.service_point_id, []).append(
            DatedHours(row.day, parse_spans(row.spans), row.reason)
        )
    points = {}
    for row in await conn.execute(select(_t(m.ServicePoint))):
        calendar = Calendar(
            weekly=weekly_from_json(row.hours),
            breaks=weekly_from_json(row.breaks),
            exceptions=tuple(sorted(exceptions.get(row.id, ()), key=lambda e: e.day)),
            public_holidays=bool(row.public_holidays),
        )
        points[row.id] = PointInfo(
            row.id, row.location_id, row.name, row.room, calendar, bool(row.active)
        )
    return Catalog(
        departments={
            r.id: DepartmentInfo(r.id, r.name) for r in await conn.execute(select(_t(m.Department)))
        },
        locations={
            r.id: LocationInfo(r.id, r.name, r.address, r.building_limit)
            for r in await conn.execute(select(_t(m.Location)))
        },
        services={
            r.id: ServiceInfo(
                r.id,
                r.name,
                r.name_en,
                r.department_id,
                r.description,
                r.duration_min,
                r.horizon_days,
                r.notice_min,
                r.hold_min,
                bool(r.active),
                r.keywords,
                r.name_uk,
            )
            for r in await conn.execute(select(_t(m.Service)).order_by(_t(m.Service).c.name))
        },
        points=points,
        capacity={
            (r.service_point_id, r.service_id): r.capacity
            for r in await conn.execute(select(_t(m.ServicePointService)))
        },
    )


# -- import from a site file -----------------------------------------------------------------


def _site_hours(site: Site, service_ids: list[str]) -> dict[str, tuple[Span, ...]]:
    """A counter's bookable hours: per weekday, from the earliest opening to the latest closing
    of the services it takes."""
    weekly: dict[str, tuple[Span, ...]] = {}
    services = {s.id: s for s in site.services}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        hours = [services[s].hours[day] for s in service_ids if day in services[s].hours]
        if hours:
            closes = max(h.closes for h in hours)
            end = time(23, 59) if closes == time.max else closes
            weekly[day] = (Span(min(h.opens for h in hours), end),)
    return weekly


def slot_minutes(service_minutes: float) -> int:
    """A booking slot from the typical service time, rounded to 5 minutes (10:00, 10:10…)."""
    return max(5, round(service_minutes / 5) * 5)


async def import_site(engine: AsyncEngine, site: Site, *, hold_min: int = 15) -> None:
    """Make the site's location, departments, services and counters (as service points, one
    visitor per slot) bookable; running it again updates them and keeps reservations."""
    async with engine.begin() as conn:
        await _upsert(
            conn,
            m.Location,
            {"id": site.id, "name": site.name, "address": site.address, "building_limit": None},
        )
        for d in site.departments:
            await _upsert(conn, m.Department, {"id": d.id, "name": d.name})
        for s in site.services:
            await _upsert(
                conn,
                m.Service,
                {
                    "id": s.id,
                    "name": s.name,
                    "name_en": s.name_en,
                    "name_uk": s.name_uk,
                    "department_id": s.department,
                    "duration_min": slot_minutes(s.service_minutes),
                    "hold_min": hold_min,
                },
            )
        for c in site.counters:
            bookable = [
                sid for sid in c.services if any(s.id == sid and s.hours for s in site.services)
            ]
            if not bookable:
                continue
            await _upsert(
                conn,
                m.ServicePoint,
                {
                    "id": c.id,
                    "location_id": site.id,
                    "name": c.name,
                    "hours": weekly_to_json(_site_hours(site, bookable)),
                },
            )
            sps = _t(m.ServicePointService)
            await conn.execute(delete(sps).where(sps.c.service_point_id == c.id))
            for sid in bookable:
                await conn.execute(
                    sps.insert().values(service_point_id=c.id, service_id=sid, capacity=1)
                )


async def _upsert(conn: AsyncConnection, model: type[m.Base], values: dict[str, object]) -> None:
    table = _t(model)
    exists = await conn.scalar(select(table.c.id).where(table.c.id == values["id"]))
    if exists is None:
        await conn.execute(table.insert().values(**values))
    else:
        await conn.execute(table.update().where(table.c.id == values["id"]).values(**values))


async def import_site_file(engine: AsyncEngine, path: Path) -> None:
    await import_site(engine, load_site(path).site)


def today_exceptions(point: PointInfo, day: date) -> DatedHours | None:
    return next((e for e in point.calendar.exceptions if e.day == day), None)


# -- per-process cache -----------------------------------------------------------------------

CACHE_S = 5.0
_monotonic = monotonic


async def get_catalog(app: Any) -> Catalog:
    """The catalog, read at most every few seconds per worker; ``invalidate`` after an edit so
    the editing worker shows it at once (others within ``CACHE_S``)."""
    now = _monotonic()
    cached = getattr(app.state, "_catalog", None)
    if cached is None or now - cached[0] > CACHE_S:
        cached = (now, await load_catalog(app.state.engine))
        app.state._catalog = cached
    return cast(Catalog, cached[1])


def invalidate(app: Any) -> None:
    app.state._catalog = None
