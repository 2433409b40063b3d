"""The working-time clock: examples across a weekend, a Tuesday evening and public holidays,
and properties (hypothesis) that hold for any moment and duration."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from web.faults.workdays import CalendarError, WorkCalendar, lodz_calendar

WAW = ZoneInfo("Europe/Warsaw")
CAL = lodz_calendar()
H = timedelta(hours=1)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WAW)


def test_a_report_filed_on_saturday_starts_counting_on_monday_at_eight():
    saturday = at(2026, 3, 7, 11, 30)
    assert CAL.next_working_moment(saturday) == at(2026, 3, 9, 8)
    assert CAL.elapsed(saturday, at(2026, 3, 9, 8)) == timedelta(0)
    assert CAL.add_days(saturday, 1) == at(2026, 3, 10, 8)  # take up by Tuesday 8:00


def test_friday_afternoon_plus_one_working_hour_is_monday_morning():
    assert CAL.add(at(2026, 3, 6, 15, 30), H) == at(2026, 3, 9, 8, 30)
    assert CAL.elapsed(at(2026, 3, 6, 15, 30), at(2026, 3, 9, 8, 30)) == H


def test_tuesday_works_until_five_and_the_other_days_until_four():
    assert CAL.is_working(at(2026, 3, 10, 16, 59))
    assert not CAL.is_working(at(2026, 3, 10, 17, 0))
    assert not CAL.is_working(at(2026, 3, 11, 16, 0))
    assert CAL.add(at(2026, 3, 10, 8), 9 * H) == at(2026, 3, 10, 17)  # exactly the end
    assert CAL.add(at(2026, 3, 10, 16, 59), 2 * timedelta(minutes=1)) == at(2026, 3, 11, 8, 1)
    assert CAL.next_working_moment(at(2026, 3, 10, 17)) == at(2026, 3, 11, 8)
    assert CAL.next_working_moment(at(2026, 3, 10, 16, 59)) == at(2026, 3, 10, 16, 59)
    # Filed Tuesday at 18:00: the clock starts Wednesday 8:00, so one day is Thursday 8:00.
    assert CAL.add_days(at(2026, 3, 10, 18), 1) == at(2026, 3, 12, 8)
    assert CAL.add_days(at(2026, 3, 10, 16, 30), 1) == at(2026, 3, 11, 16)  # clamped


def test_christmas_eve_and_the_holidays_after_it_are_not_working_days():
    # 2026-12-24 (Thursday) is a public holiday in Poland from 2025 on, then 25 and 26.
    assert CAL.is_day_off(at(2026, 12, 24).date())
    assert CAL.next_working_moment(at(2026, 12, 23, 16)) == at(2026, 12, 28, 8)
    assert CAL.add(at(2026, 12, 23, 15), 2 * H) == at(2026, 12, 28, 9)
    assert CAL.add_days(at(2026, 12, 23, 10), 1) == at(2026, 12, 28, 10)
    # 10 working days from Monday 2026-12-21 skip 24-26 Dec and 1 and 6 Jan.
    assert CAL.add_days(at(2026, 12, 21, 9), 10) == at(2027, 1, 8, 9)


def test_may_and_november_holidays_are_skipped():
    assert CAL.add(at(2026, 11, 10, 16), 2 * H) == at(2026, 11, 12, 9)  # Tue till 17, 11 Nov off
    assert CAL.elapsed(at(2026, 4, 30, 15), at(2026, 5, 4, 9)) == 2 * H  # 1 May off


def test_the_calendar_is_configuration_read_from_toml():
    text = """
timezone = "Europe/Warsaw"
holidays = "PL"
closed = ["2026-03-09"]
[hours]
mon = "08:00-16:00"
tue = "08:00-17:00"
"""
    cal = WorkCalendar.from_mapping(tomllib.loads(text))
    assert cal.next_working_moment(at(2026, 3, 7, 12)) == at(2026, 3, 10, 8)  # Monday closed
    assert cal.next_working_moment(at(2026, 3, 11, 9)) == at(2026, 3, 16, 8)  # no Wednesday
    with pytest.raises(CalendarError, match=r"hours\.mon"):
        WorkCalendar.from_mapping({"hours": {"mon": "16:00-08:00"}})
    with pytest.raises(CalendarError, match="funday"):
        WorkCalendar.from_mapping({"hours": {"funday": "08:00-16:00"}})


def test_utc_moments_are_read_in_warsaw_time_across_dst():
    # 2026-03-29 is the spring change; Monday 30 March 8:00 Warsaw = 06:00 UTC.
    assert CAL.next_working_moment(datetime(2026, 3, 28, 12, tzinfo=UTC)) == at(2026, 3, 30, 8)
    assert CAL.elapsed(at(2026, 3, 27, 15), at(2026, 3, 30, 9)) == 2 * H


# -- properties --------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(WAW)
).map(lambda d: d.replace(second=0, microsecond=0))
minutes = st.integers(min_value=0, max_value=60 * 9 * 15).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(moments, minutes)
def test_elapsed_after_adding_is_what_was_added(start: datetime, d: timedelta):
    assert CAL.elapsed(start, CAL.add(start, d)) == d


@settings(max_examples=150, deadline=None)
@given(moments, minutes, minutes)
def test_adding_more_never_ends_earlier(start: datetime, a: timedelta, b: timedelta):
    lo, hi = sorted((a, b))
    assert CAL.add(start, lo) <= CAL.add(start, hi)


@settings(max_examples=150, deadline=None)
@given(moments, moments)
def test_elapsed_is_additive_and_never_exceeds_wall_time(a: datetime, b: datetime):
    a, b = sorted((a, b))
    mid = a + (b - a) / 2
    assert CAL.elapsed(a, b) == CAL.elapsed(a, mid) + CAL.elapsed(mid, b)
    assert CAL.elapsed(a, b) <= b - a


@settings(max_examples=150, deadline=None)
@given(moments, minutes)
def test_a_positive_addition_ends_inside_working_hours_or_at_their_end(
    start: datetime, d: timedelta
):
    end = CAL.add(start, d).astimezone(WAW)
    window = CAL.window(end.date())
    assert window is not None  # never on a weekend or a holiday
    assert window[0] <= end <= window[1]  # never at night
    if d:
        assert end > window[0]


@settings(max_examples=150, deadline=None)
@given(moments)
def test_no_minute_is_counted_or_lost_around_midnight(start: datetime):
    day = start.date()
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), WAW)
    # Night time counts nothing; the whole day counts exactly its working hours.
    assert CAL.elapsed(midnight - timedelta(minutes=1), midnight + timedelta(minutes=1)) == (
        timedelta(0)
    )
    w = CAL.window(day)
    day_start = datetime.combine(day, datetime.min.time(), WAW)
    assert CAL.elapsed(day_start, midnight) == ((w[1] - w[0]) if w else timedelta(0))


@settings(max_examples=150, deadline=None)
@given(moments, moments, st.integers(min_value=0, max_value=12))
def test_working_day_deadlines_are_monotonic(a: datetime, b: datetime, n: int):
    a, b = sorted((a, b))
    assert CAL.add_days(a, n) <= CAL.add_days(b, n)
    due = CAL.add_days(a, n).astimezone(WAW)
    assert CAL.window(due.date()) is not None


def test_the_late_cutoff_is_exact_to_the_microsecond_across_a_weekend():
    # Handed on Friday at 15:00: taken up by Monday 15:00, late one microsecond after.
    monday = at(2026, 3, 9, 15)
    cut = CAL.late_cutoff(monday + timedelta(microseconds=1), 1)
    assert cut == at(2026, 3, 6, 15)
    assert CAL.late_cutoff(monday, 1) == at(2026, 3, 6, 15) - timedelta(microseconds=1)


@settings(max_examples=150, deadline=None)
@given(moments, minutes, st.integers(min_value=0, max_value=12))
def test_a_start_is_late_exactly_when_it_is_not_after_the_cutoff(
    now: datetime, back: timedelta, n: int
):
    cut = CAL.late_cutoff(now, n)
    for start in (now - 4 * back, cut, cut + timedelta(microseconds=1)):
        assert (start <= cut) == (now > CAL.add_days(start, n)), start


# -- a 24/7 calendar: every instant is working time --------------------------------------------

ALWAYS = WorkCalendar.from_mapping(
    {
        "holidays": "",
        "hours": {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


def test_a_day_may_end_at_24_00_but_not_start_there():
    assert ALWAYS.is_working(at(2026, 3, 9, 23, 59)) and ALWAYS.is_working(at(2026, 3, 10, 0, 0))
    assert ALWAYS.elapsed(at(2026, 3, 9, 23, 59), at(2026, 3, 10, 0, 1)) == 2 * timedelta(minutes=1)
    # The spring DST change: that day has 23 real hours, the autumn one 25.
    assert ALWAYS.elapsed(at(2026, 3, 29), at(2026, 3, 30)) == 23 * H
    assert ALWAYS.elapsed(at(2026, 10, 25), at(2026, 10, 26)) == 25 * H
    with pytest.raises(CalendarError, match=r"hours\.mon"):
        WorkCalendar.from_mapping({"hours": {"mon": "24:00-08:00"}})
    with pytest.raises(CalendarError, match="holidays"):
        WorkCalendar.from_mapping({"holidays": "XX", "hours": {"mon": "08:00-16:00"}})


@settings(max_examples=200, deadline=None)
@given(instants, instants)
def test_on_a_24_7_calendar_working_time_is_wall_clock_time(a: datetime, b: datetime):
    a, b = sorted((a, b))
    assert ALWAYS.elapsed(a, b) == b - a
    assert ALWAYS.add(a, b - a) == b
    assert ALWAYS.next_working_moment(a) == a
