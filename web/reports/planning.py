"""Seed 003's "zestawienia związane z planowaniem i obsługą wizyt" (pure): the upcoming
visits by day, service, service point and status, and the visits kept and missed over a
period, by day and service.

Kept = the visitor checked in; missed = marked as not kept, or confirmed and never checked in
once the check-in window has closed. Expired holds were never visits and are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from web.reservations.booking import CHECKIN_LATE_MIN, TZ, Status

# The plan's columns, in the order a planner reads them.
PLAN_STATUSES = (
    Status.CONFIRMED,
    Status.PENDING,
    Status.CHECKED_IN,
    Status.NO_SHOW,
    Status.CANCELLED,
)


@dataclass(frozen=True)
class Visit:
    start: datetime
    service: str
    service_point: str
    status: str
    fits: bool = True  # still fits the point's schedule (web/reservations/fit.py)


@dataclass(frozen=True)
class PlanRow:
    day: date
    service: str
    service_point: str
    counts: dict[str, int]  # by status
    off_schedule: int  # confirmed or pending, but outside the point's hours now

    @property
    def expected(self) -> int:
        """Visitors still to come or come: what the desk plans for."""
        return sum(self.counts.get(s, 0) for s in (Status.CONFIRMED, Status.CHECKED_IN))


def plan(visits: Iterable[Visit]) -> list[PlanRow]:
    groups: dict[tuple[date, str, str], Counter[str]] = defaultdict(Counter)
    off: Counter[tuple[date, str, str]] = Counter()
    for v in visits:
        if v.status == Status.EXPIRED:
            continue
        key = (v.start.astimezone(TZ).date(), v.service, v.service_point)
        groups[key][v.status] += 1
        if not v.fits and v.status in (Status.CONFIRMED, Status.PENDING):
            off[key] += 1
    return [
        PlanRow(day, service, point, dict(counts), off[(day, service, point)])
        for (day, service, point), counts in sorted(groups.items())
    ]


@dataclass(frozen=True)
class OutcomeRow:
    day: date
    service: str
    kept: int
    missed: int
    cancelled: int

    @property
    def kept_rate(self) -> float | None:
        total = self.kept + self.missed
        return self.kept / total if total else None


def missed(status: str, start: datetime, now: datetime) -> bool:
    late = start + timedelta(minutes=CHECKIN_LATE_MIN)
    return status == Status.NO_SHOW or (status == Status.CONFIRMED and late < now)


def outcome(visits: Iterable[Visit], now: datetime) -> list[OutcomeRow]:
    groups: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for v in visits:
        counts = groups[(v.start.astimezone(TZ).date(), v.service)]
        if v.status == Status.CHECKED_IN:
            counts[0] += 1
        elif missed(v.status, v.start, now):
            counts[1] += 1
        elif v.status == Status.CANCELLED:
            counts[2] += 1
    return [
        OutcomeRow(day, service, *counts)
        for (day, service), counts in sorted(groups.items())
        if any(counts)
    ]


def total(rows: Iterable[OutcomeRow]) -> OutcomeRow | None:
    rows = list(rows)
    if not rows:
        return None
    return OutcomeRow(
        rows[0].day,
        "",
        sum(r.kept for r in rows),
        sum(r.missed for r in rows),
        sum(r.cancelled for r in rows),
    )
