"""The .ics file of a visit, and the rate limits that keep codes from being guessed."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar

from web.ratelimit import RateLimit
from web.reservations.booking import TZ
from web.reservations.ics import visit_ics


def test_ics_opens_in_a_calendar_at_the_right_time():
    data = visit_ics(
        uid="abc",
        start=datetime(2026, 11, 25, 9, 0, tzinfo=TZ),
        end=datetime(2026, 11, 25, 9, 30, tzinfo=TZ),
        summary="Dowody osobiste",
        location="ul. Batorego 38/40, Toruń",
        description="Kod: K7M2Q9PX",
    )
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert event.decoded("dtstart").astimezone(TZ).hour == 9
    assert str(event["location"]).startswith("ul. Batorego")
    assert str(event["summary"]) == "Dowody osobiste"


async def test_rate_limit_blocks_then_forgives():
    now = [0.0]
    limit = RateLimit(limit=5, window_s=600, clock=lambda: now[0])
    assert all([await limit.allow("ip:1.2.3.4") for _ in range(5)])
    assert not await limit.allow("ip:1.2.3.4")
    assert await limit.allow("ip:5.6.7.8")  # others are not affected
    assert 0 < await limit.retry_after("ip:1.2.3.4") <= 600
    now[0] = 601
    assert await limit.allow("ip:1.2.3.4")
