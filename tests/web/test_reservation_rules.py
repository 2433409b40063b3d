"""Booking rules in pure Python: the calendar with breaks, exceptions and Polish holidays, the
30-day window, capacity and holds, the building's hourly limit, reservation states, codes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from web.reservations.booking import (
    CODE_ALPHABET,
    TZ,
    InvalidTransition,
    NotASlot,
    NotYet,
    Offer,
    OutsideWindow,
    Status,
    access_code,
    check_request,
    check_timing,
    count_holding,
    free_slots,
    may_change,
    peak_inside,
    slots_of_day,
    transition,
)
from web.reservations.calendar import Calendar, DatedHours, Span

# Seed 001's office week: Tue 8-17, other weekdays 8-16; lunch 12:00-12:30.
CAL = Calendar(
    weekly={d: (Span(time(8), time(16)),) for d in ("mon", "wed", "thu", "fri")}
    | {"tue": (Span(time(8), time(17)),)},
    breaks={d: (Span(time(12), time(12, 30)),) for d in ("mon", "tue", "wed", "thu", "fri")},
    exceptions=(DatedHours(date(2026, 12, 5), (Span(time(9), time(13)),), "Sobota dyżurna"),),
)
OFFER = Offer(service="dowody", service_point="s1", duration_min=30, capacity=2)
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)  # a Tuesday morning


def test_slots_follow_hours_and_skip_the_break():
    slots = slots_of_day(CAL, OFFER, date(2026, 11, 25))  # Wednesday 8-16
    starts = [s.start.time() for s in slots]
    assert starts[0] == time(8) and starts[-1] == time(15, 30)
    assert time(12) not in starts and time(12, 30) in starts
    assert len(slots_of_day(CAL, OFFER, date(2026, 11, 24))) == len(slots) + 2  # Tuesday to 17


def test_public_holidays_are_closed_including_christmas_eve():
    assert slots_of_day(CAL, OFFER, date(2026, 11, 11)) == []  # Independence Day
    assert slots_of_day(CAL, OFFER, date(2026, 12, 24)) == []  # Wigilia, a holiday since 2025
    assert CAL.is_holiday(date(2026, 12, 24))
    assert slots_of_day(CAL, OFFER, date(2026, 11, 28)) == []  # an ordinary Saturday


def test_an_exception_opens_a_duty_saturday():
    starts = [s.start.time() for s in slots_of_day(CAL, OFFER, date(2026, 12, 5))]
    assert starts == [
        time(9),
        time(9, 30),
        time(10),
        time(10, 30),
        time(11),
        time(11, 30),
        time(12),
        time(12, 30),
    ]


def test_booking_window_is_notice_to_thirty_days():
    with pytest.raises(OutsideWindow):
        check_request(CAL, OFFER, NOW + timedelta(minutes=30), NOW)  # less than an hour ahead
    with pytest.raises(OutsideWindow):
        check_request(CAL, OFFER, datetime(2026, 12, 28, 9, tzinfo=TZ), NOW)  # 34 days
    assert check_request(CAL, OFFER, datetime(2026, 12, 23, 9, tzinfo=TZ), NOW)
    with pytest.raises(NotASlot):
        check_request(CAL, OFFER, datetime(2026, 11, 25, 9, 10, tzinfo=TZ), NOW)


def test_free_places_count_capacity_holds_and_the_building_limit():
    day = date(2026, 11, 25)
    nine, nine30 = (datetime(2026, 11, 25, 9, m, tzinfo=TZ) for m in (0, 30))
    slots = {f.slot.start: f.free for f in free_slots(CAL, OFFER, day, NOW, {nine: 1})}
    assert slots[nine] == 1 and slots[nine30] == 2
    full = {f.slot.start for f in free_slots(CAL, OFFER, day, NOW, {nine: 2})}
    assert nine not in full
    # Two visitors inside 9:00-9:30 and one 9:45-10:15: the building holds three at once.
    nine45 = nine30 + timedelta(minutes=15)
    inside = [(nine, nine30), (nine, nine30), (nine45, nine45 + timedelta(minutes=30))]
    limited = {
        f.slot.start: f.free
        for f in free_slots(CAL, OFFER, day, NOW, {}, building_limit=3, building_visits=inside)
    }
    assert limited[nine] == 1  # one more at 9:00
    assert limited[nine30] == 2  # 9:30-10:00: the two have left, one comes at 9:45
    assert peak_inside(inside, nine, nine30 + timedelta(minutes=30)) == 2
    assert peak_inside(inside, nine30, nine30 + timedelta(minutes=15)) == 0  # in between


def test_an_expired_hold_frees_its_place():
    held = [(Status.PENDING, NOW + timedelta(minutes=5)), (Status.CONFIRMED, None)]
    assert count_holding(held, NOW) == 2
    assert count_holding(held, NOW + timedelta(minutes=6)) == 1
    assert count_holding([(Status.CANCELLED, None), (Status.EXPIRED, None)], NOW) == 0


def test_reservation_states():
    assert transition(Status.PENDING, Status.CONFIRMED) is Status.CONFIRMED
    assert transition(Status.CONFIRMED, Status.CANCELLED) is Status.CANCELLED
    with pytest.raises(InvalidTransition):
        transition(Status.CANCELLED, Status.CHECKED_IN)  # cancelled online: no check-in
    with pytest.raises(InvalidTransition):
        transition(Status.CHECKED_IN, Status.CHECKED_IN)  # each code checks in once


def test_access_codes_are_random_and_unambiguous():
    codes = {access_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("01OIL") & set(CODE_ALPHABET)


def test_arrived_not_kept_and_its_undoing_wait_for_the_visits_time():
    start = datetime(2026, 12, 8, 10, 0, tzinfo=TZ)
    confirmed, no_show = Status.CONFIRMED, Status.NO_SHOW
    assert not may_change(confirmed, Status.CHECKED_IN, start, start - timedelta(hours=3))
    assert may_change(confirmed, Status.CHECKED_IN, start, start - timedelta(minutes=60))
    assert not may_change(confirmed, no_show, start, start)  # may still come
    assert not may_change(confirmed, no_show, start, start + timedelta(minutes=15))
    assert may_change(confirmed, no_show, start, start + timedelta(minutes=16))
    assert may_change(no_show, confirmed, start, start + timedelta(hours=6))  # the same day
    assert not may_change(no_show, confirmed, start, start + timedelta(days=1))
    with pytest.raises(NotYet):
        check_timing(confirmed, no_show, start, start + timedelta(minutes=5))
