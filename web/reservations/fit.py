"""Whether a visit still fits its service point's schedule (seed 003's register filter
"Rezerwacja zgodna z terminarzem"): a visit booked before the point was closed that day, given
other hours, deactivated or stopped offering the service no longer does.

Pure: the catalog is data; the callers read it and the reservations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from web.catalog import Catalog, PointInfo
from web.reservations.booking import TZ, Status
from web.reservations.calendar import Calendar, DatedHours, Span

# Visits that are still to happen: only these are flagged and offered to be moved.
OPEN = frozenset({Status.PENDING, Status.CONFIRMED})


def within(calendar: Calendar, start: datetime, duration_min: int) -> bool:
    """The visit's whole time lies in one of its day's opening spans (breaks cut out)."""
    local = start.astimezone(TZ)
    end = local + timedelta(minutes=duration_min)
    day = local.date()
    return any(
        datetime.combine(day, s.start, TZ) <= local and end <= datetime.combine(day, s.end, TZ)
        for s in calendar.open_spans(day)
    )


def visit_fits(catalog: Catalog, service_point: str, service: str, start: datetime) -> bool:
    point = catalog.points.get(service_point)
    if point is None or not point.active or (service_point, service) not in catalog.capacity:
        return False
    s = catalog.services.get(service)
    return within(point.calendar, start, s.duration_min if s else 15)


def with_exception(point: PointInfo, day: date, spans: tuple[Span, ...]) -> Calendar:
    """The point's calendar as it will be once the exception is saved."""
    kept = tuple(e for e in point.calendar.exceptions if e.day != day)
    return dataclasses.replace(point.calendar, exceptions=(*kept, DatedHours(day, spans)))


def off_schedule(catalog: Catalog) -> Callable[[Any], bool]:
    """For the pages: whether a visit (anything with its point, service, start and status)
    is still to happen but no longer fits its point's schedule, so it is flagged."""

    def flagged(r: Any) -> bool:
        return r.status in OPEN and not visit_fits(catalog, r.service_point, r.service, r.start)

    return flagged
