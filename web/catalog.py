"""What can be booked: offers and calendars. Until the administration pages exist (issue 4),
they come from a site file: every service with opening hours is bookable at the site, with as
many places per slot as counters serve it."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from hub.config import Site, load_site
from web.reservations.booking import Offer
from web.reservations.calendar import Calendar, Span


def _span(opens: time, closes: time) -> Span:
    return Span(opens, time(23, 59) if closes == time.max else closes)


def from_site(site: Site, *, hold_min: int = 15) -> dict[str, tuple[Offer, Calendar]]:
    out = {}
    for s in site.services:
        if not s.hours:
            continue
        counters = sum(1 for c in site.counters if s.id in c.services)
        offer = Offer(
            service=s.id,
            service_point=site.id,
            duration_min=int(s.service_minutes),
            capacity=max(1, counters),
            hold_min=hold_min,
        )
        weekly: dict[str, tuple[Span, ...]] = {
            day: (_span(h.opens, h.closes),) for day, h in s.hours.items()
        }
        out[s.id] = (offer, Calendar(weekly=weekly))
    return out


def from_site_file(path: Path) -> dict[str, tuple[Offer, Calendar]]:
    return from_site(load_site(path).site)
