"""The working-time clock of citizen fault reports (Procedura § 2 pt 2): Mondays, Wednesdays,
Thursdays and Fridays 8:00–16:00, Tuesdays 8:00–17:00, minus Polish public holidays.

Pure. The calendar is configuration (``WorkCalendar.from_mapping`` reads the TOML-able shape
below); every function takes and returns aware datetimes and works in the calendar's time
zone, so a DST change or midnight loses no minute. Clocks count only working time: a report
filed on Saturday starts counting on Monday at 8:00.

    timezone = "Europe/Warsaw"
    holidays = "PL"            # the public holidays of this country only (holidays package);
                               # "" for none
    closed = ["2026-12-31"]    # extra days off, ISO dates
    [hours]
    mon = "08:00-16:00"
    tue = "08:00-17:00"        # "00:00-24:00": the whole day
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Far enough for any SLA (10 working days) over the longest holiday run; a calendar with no
# working day at all is refused at construction instead of looping.
_HORIZON_DAYS = 3660
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class CalendarError(ValueError):
    """The calendar configuration is wrong; the message names the key."""


@dataclass(frozen=True)
class Hours:
    """A weekday's working hours; ``to_midnight`` when they end at 24:00 (a 24/7 calendar
    loses no minute at midnight: the day runs into the next one's 00:00)."""

    start: time
    end: time
    to_midnight: bool = False

    @classmethod
    def parse(cls, text: str, key: str) -> Hours:
        try:
            a_text, b_text = (p.strip() for p in text.split("-"))
            a = time.fromisoformat(a_text)
            to_midnight = b_text in ("24:00", "24:00:00")
            b = time(0) if to_midnight else time.fromisoformat(b_text)
        except ValueError as exc:
            raise CalendarError(f"hours.{key}: expected HH:MM-HH:MM, got {text!r}") from exc
        if not to_midnight and b <= a:
            raise CalendarError(f"hours.{key}: {text!r} ends before it starts")
        return cls(a, b, to_midnight)


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    if not country:  # holidays = "": a calendar that works through public holidays
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year).keys())


@dataclass(frozen=True)
class WorkCalendar:
    hours: Mapping[str, Hours]  # "mon" -> hours; a missing weekday is a day off
    timezone: str = "Europe/Warsaw"
    country: str = "PL"
    closed: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        unknown = set(self.hours) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(f"hours: unknown weekday {sorted(unknown)[0]!r}")
        if not self.hours:
            raise CalendarError("hours: at least one working weekday is needed")
        try:
            _public_holidays(self.country, 2026)
        except NotImplementedError as exc:
            raise CalendarError(f"holidays: no public holidays known for {self.country!r}") from exc
        try:
            ZoneInfo(self.timezone)
        except (ValueError, KeyError) as exc:
            raise CalendarError(f"timezone: unknown time zone {self.timezone!r}") from exc

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkCalendar:
        hours = {k: Hours.parse(str(v), k) for k, v in dict(data.get("hours", {})).items()}
        try:
            closed = frozenset(date.fromisoformat(str(d)) for d in data.get("closed", ()))
        except ValueError as exc:
            raise CalendarError(f"closed: {exc}") from exc
        return cls(
            hours=hours,
            timezone=str(data.get("timezone", "Europe/Warsaw")),
            country=str(data.get("holidays", "PL")),
            closed=closed,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- days ---------------------------------------------------------------------------------

    def is_day_off(self, day: date) -> bool:
        return (
            WEEKDAYS[day.weekday()] not in self.hours
            or day in self.closed
            or day in _public_holidays(self.country, day.year)
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working hours as aware datetimes, or None on a day off."""
        if self.is_day_off(day):
            return None
        h = self.hours[WEEKDAYS[day.weekday()]]
        end_day = day + timedelta(days=1) if h.to_midnight else day
        return (
            datetime.combine(day, h.start, self.tz),
            datetime.combine(end_day, h.end, self.tz),
        )

    def _windows_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """Working windows from ``day`` on, in UTC: arithmetic and comparisons on aware
        datetimes of one zone ignore the offset, which would miscount a DST day."""
        for i in range(_HORIZON_DAYS):
            w = self.window(day + timedelta(days=i))
            if w is not None:
                yield w[0].astimezone(UTC), w[1].astimezone(UTC)
        raise CalendarError("no working day within ten years")

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("working time needs an aware datetime")
        return moment.astimezone(self.tz)

    # -- moments ------------------------------------------------------------------------------

    def is_working(self, moment: datetime) -> bool:
        local = self._local(moment)
        w = self.window(local.date())
        return w is not None and w[0].astimezone(UTC) <= moment.astimezone(UTC) < w[1]

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` itself inside working hours, else the start of the next working hours
        (the end of a day's hours belongs to the next working day)."""
        local = self._local(moment)
        now = local.astimezone(UTC)
        for start, end in self._windows_from(local.date()):
            if now < end:
                return max(now, start).astimezone(self.tz)
        raise AssertionError("unreachable")

    def add(self, moment: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of working time has passed since ``moment``. Exactly
        at a day's end is that end (Tuesday 8:00 + 9 h = Tuesday 17:00)."""
        if duration < timedelta(0):
            raise ValueError("a negative duration")
        local = self._local(moment)
        now = local.astimezone(UTC)
        left = duration
        for start, end in self._windows_from(local.date()):
            if now >= end:
                continue
            begin = max(now, start)
            if left <= end - begin:
                return (begin + left).astimezone(self.tz)
            left -= end - begin
        raise AssertionError("unreachable")

    def elapsed(self, since: datetime, until: datetime) -> timedelta:
        """Working time between two moments (zero when ``until`` is not later)."""
        a, b = self._local(since).astimezone(UTC), self._local(until).astimezone(UTC)
        total = timedelta(0)
        if b <= a:
            return total
        day, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        while day <= last:
            w = self.window(day)
            if w is not None:
                lo, hi = max(a, w[0].astimezone(UTC)), min(b, w[1].astimezone(UTC))
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def add_days(self, moment: datetime, days: int) -> datetime:
        """``days`` working days after ``moment``: the same time of day on the ``days``-th
        working day after the one the clock starts on (a moment outside hours starts at the
        next working hours); a time after that day's end becomes its end (Tuesday 16:30 +
        1 day = Wednesday 16:00)."""
        if days < 0:
            raise ValueError("a negative number of days")
        start = self.next_working_moment(moment)
        windows = self._windows_from(start.date())
        first = next(windows)
        target = first
        for _ in range(days):
            target = next(windows)
        if target is first:
            return start
        t_start, t_end = target
        day = t_start.astimezone(self.tz).date()
        due = datetime.combine(day, start.time(), self.tz).astimezone(UTC)
        return min(max(due, t_start), t_end).astimezone(self.tz)

    def late_cutoff(self, now: datetime, days: int) -> datetime:
        """The latest start whose ``days`` working days are over at ``now``: for any moment
        ``m``, ``now > add_days(m, days)`` exactly when ``m <= late_cutoff(now, days)``, so a
        database counts late clocks with one comparison instead of loading every row. The
        deadline never moves back as the start moves on, so the late starts are all those up
        to one moment, found by bisection to the microsecond (what the databases keep). (A
        00:00-24:00 calendar's repeated autumn hour is the one place add_days steps back.)"""
        end = self._local(now).astimezone(UTC)

        def late(us: int) -> bool:
            return end > self.add_days(_EPOCH + timedelta(microseconds=us), days)

        hi = (end - _EPOCH) // _US  # add_days(now, …) is never before now: not late
        back = timedelta(days=1)
        while not late(hi - back // _US):
            back *= 2
            if back > timedelta(days=2 * _HORIZON_DAYS):
                raise CalendarError("no working day within ten years")
        lo = hi - back // _US
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if late(mid) else (lo, mid)
        return (_EPOCH + timedelta(microseconds=lo)).astimezone(self.tz)


def lodz_calendar() -> WorkCalendar:
    """The seed's calendar: Mon, Wed–Fri 8–16, Tue 8–17, Polish public holidays."""
    return WorkCalendar.from_mapping(DEFAULT_CALENDAR)


DEFAULT_CALENDAR: dict[str, Any] = {
    "timezone": "Europe/Warsaw",
    "holidays": "PL",
    "closed": [],
    "hours": {
        "mon": "08:00-16:00",
        "tue": "08:00-17:00",
        "wed": "08:00-16:00",
        "thu": "08:00-16:00",
        "fri": "08:00-16:00",
    },
}


# The devices' own categories: a dispenser without paper stops the queue, so it is realised
# within working hours, not the residents' 10 working days. (subcategory code → hours)
DEVICE_HOURS: Mapping[str, int] = {"brak-papieru": 4, "urzadzenie-offline": 8}


@dataclass(frozen=True)
class Sla:
    """The procedure's limits in working days (§ 16 ust. 2, § 18 ust. 1, § 19 ust. 4 pkt 1),
    and the categories realised within working hours instead (``hours``: code → hours)."""

    take_up_days: int = 1
    realise_days: int = 10
    return_days: int = 2
    hours: Mapping[str, int] = field(default_factory=lambda: dict(DEVICE_HOURS), hash=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Sla:
        return cls(
            take_up_days=int(data.get("take_up_days", 1)),
            realise_days=int(data.get("realise_days", 10)),
            return_days=int(data.get("return_days", 2)),
            hours=dict(data.get("hours", DEVICE_HOURS)),
        )

    def realise_due(
        self, calendar: WorkCalendar, received_at: datetime, hours: int | None
    ) -> datetime:
        """The realisation deadline: ``hours`` of working time when the report's category has
        them, else ``realise_days`` working days."""
        if hours:
            return calendar.add(received_at, timedelta(hours=hours))
        return calendar.add_days(received_at, self.realise_days)
