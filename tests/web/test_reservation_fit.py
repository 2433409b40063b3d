"""Whether a visit fits its service point's schedule, and the planning report's counts (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from web.catalog import Catalog, LocationInfo, PointInfo, ServiceInfo
from web.reports import planning
from web.reservations.booking import TZ
from web.reservations.calendar import Calendar, Span
from web.reservations.fit import visit_fits, with_exception, within

MONDAY = date(2026, 12, 14)
HOURS = Calendar(
    weekly={"mon": (Span(time(8), time(16)),)},
    breaks={"mon": (Span(time(12), time(12, 30)),)},
)


def at(hh: int, mm: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hh, mm), TZ)


def test_a_visit_fits_only_wholly_inside_an_opening_span():
    assert within(HOURS, at(8), 15)
    assert within(HOURS, at(15, 45), 15)  # ends as the desk closes
    assert not within(HOURS, at(15, 50), 15)  # runs past closing
    assert not within(HOURS, at(11, 50), 15)  # runs into the lunch break
    assert within(HOURS, at(12, 30), 15)
    assert not within(HOURS, at(9, day=MONDAY + timedelta(days=1)), 15)  # closed on Tuesday


def test_an_exception_closes_the_day_or_shortens_it():
    point = PointInfo("s1", "loc", "Stanowisko 1", "", HOURS)
    assert not within(with_exception(point, MONDAY, ()), at(9), 15)
    shorter = with_exception(point, MONDAY, (Span(time(8), time(10)),))
    assert within(shorter, at(9), 15) and not within(shorter, at(11), 15)


def test_an_inactive_point_or_a_service_no_longer_offered_does_not_fit():
    catalog = Catalog(
        locations={"loc": LocationInfo("loc", "Urząd")},
        services={"dowody": ServiceInfo("dowody", "Dowody", duration_min=15)},
        points={"s1": PointInfo("s1", "loc", "Stanowisko 1", "", HOURS)},
        capacity={("s1", "dowody"): 1},
    )
    assert visit_fits(catalog, "s1", "dowody", at(9))
    assert not visit_fits(catalog, "s1", "meldunki", at(9))
    assert not visit_fits(catalog, "s2", "dowody", at(9))
    catalog.points["s1"] = PointInfo("s1", "loc", "Stanowisko 1", "", HOURS, active=False)
    assert not visit_fits(catalog, "s1", "dowody", at(9))


def test_the_plan_counts_by_day_service_point_and_status_and_the_outcome_waits_for_check_in():
    visits = [
        planning.Visit(at(9), "dowody", "s1", "confirmed"),
        planning.Visit(at(10), "dowody", "s1", "confirmed", fits=False),
        planning.Visit(at(11), "dowody", "s1", "cancelled"),
        planning.Visit(at(11), "dowody", "s1", "expired"),
        planning.Visit(at(9), "dowody", "s2", "pending"),
    ]
    rows = planning.plan(visits)
    assert [(r.service_point, r.counts, r.off_schedule, r.expected) for r in rows] == [
        ("s1", {"confirmed": 2, "cancelled": 1}, 1, 2),
        ("s2", {"pending": 1}, 0, 0),
    ]
    now = at(10, 10).astimezone(UTC)
    out = planning.outcome(
        [
            planning.Visit(at(9), "dowody", "s1", "checked_in"),
            planning.Visit(at(9, 30), "dowody", "s1", "confirmed"),  # never came
            planning.Visit(at(10), "dowody", "s1", "confirmed"),  # may still come until 10:15
            planning.Visit(at(8), "dowody", "s1", "no_show"),
        ],
        now,
    )
    assert [(r.kept, r.missed, r.cancelled) for r in out] == [(1, 2, 0)]
    assert out[0].kept_rate == 1 / 3
