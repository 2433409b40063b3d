"""When a service point receives visitors: weekly hours, breaks, dated exceptions and Polish
public holidays (the ``holidays`` package; Christmas Eve is a holiday from 2025 on).

Pure: no database, no clock. Times are local (Europe/Warsaw) wall-clock times; the booking
rules turn them into aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Span:
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"{self.start:%H:%M}-{self.end:%H:%M} ends before it starts")

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class DatedHours:
    """A dated change: closed all day (no spans), or different hours that day."""

    day: date
    spans: tuple[Span, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Calendar:
    weekly: dict[str, tuple[Span, ...]]  # "mon" -> opening spans
    breaks: dict[str, tuple[Span, ...]] = field(default_factory=dict)
    exceptions: tuple[DatedHours, ...] = ()  # dated changes, e.g. a duty Saturday
    public_holidays: bool = True  # closed on Polish public holidays

    def is_holiday(self, day: date) -> str | None:
        if not self.public_holidays:
            return None
        name = holidays.Poland(years=day.year, language="pl").get(day)
        return str(name) if name else None

    def open_spans(self, day: date) -> tuple[Span, ...]:
        """The day's opening spans with breaks cut out; empty when closed."""
        for exc in self.exceptions:
            if exc.day == day:
                return exc.spans  # an exception wins, even over a holiday (e.g. a duty Saturday)
        if self.is_holiday(day):
            return ()
        key = WEEKDAYS[day.weekday()]
        spans = list(self.weekly.get(key, ()))
        for pause in self.breaks.get(key, ()):
            spans = [piece for s in spans for piece in _cut(s, pause)]
        return tuple(spans)


def _cut(span: Span, pause: Span) -> list[Span]:
    if not span.overlaps(pause):
        return [span]
    pieces = []
    if span.start < pause.start:
        pieces.append(Span(span.start, pause.start))
    if pause.end < span.end:
        pieces.append(Span(pause.end, span.end))
    return pieces
