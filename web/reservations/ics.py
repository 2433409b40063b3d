"""The visit as an .ics calendar file (icalendar), attached to the confirmation."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event


def visit_ics(
    *,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    location: str,
    description: str,
    now: datetime | None = None,
) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Okienko//reservations//PL")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"{uid}@okienko")
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    cal.add_component(event)
    return bytes(cal.to_ical())
