"""What visitors will be offered at a service point over the next days, computed by the same
Calendar the booking uses: opening hours, public holidays and dated exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from web.reservations.calendar import Calendar, Span


@dataclass(frozen=True)
class DayPreview:
    day: date
    spans: tuple[Span, ...]  # after breaks; empty = closed
    holiday: str | None  # the holiday's Polish name when it closes (or would close) the day
    exception: str | None  # the exception's reason ("" when none given) when one applies

    @property
    def open(self) -> bool:
        return bool(self.spans)


def next_days(calendar: Calendar, today: date, days: int = 14) -> list[DayPreview]:
    out = []
    for i in range(days):
        day = today + timedelta(days=i)
        exception = next((e for e in calendar.exceptions if e.day == day), None)
        out.append(
            DayPreview(
                day=day,
                spans=calendar.open_spans(day),
                holiday=calendar.is_holiday(day),
                exception=None if exception is None else exception.reason,
            )
        )
    return out
