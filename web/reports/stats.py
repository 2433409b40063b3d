"""Queue statistics from events (pure): per ticket what happened when, then waiting and
service times (mean, median, 90th percentile), no-show rate, tickets per hour, grouped by
service, counter or clerk.

Waiting runs from issue (or the booked hour, for a reservation ticket) to the first call;
service from start to finish. A clerk is whoever opened the counter last before the call.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from hub.domain import events as ev

TZ = ZoneInfo("Europe/Warsaw")


@dataclass
class TicketFacts:
    ticket_id: str
    site: str
    service: str
    kind: str
    issued_at: datetime
    not_before: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: str | None = None
    clerk: str | None = None
    no_show: bool = False

    @property
    def waiting_s(self) -> float | None:
        if self.called_at is None:
            return None
        since = max(self.issued_at, self.not_before) if self.not_before else self.issued_at
        return max(0.0, (self.called_at - since).total_seconds())

    @property
    def service_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())


def facts(events: Iterable[tuple[str, ev.Event]]) -> list[TicketFacts]:
    """(site, event) in each site's order → one record per ticket."""
    tickets: dict[tuple[str, str], TicketFacts] = {}
    clerk_at: dict[tuple[str, str], str] = {}
    for site, e in events:
        if isinstance(e, ev.CounterOpened):
            clerk_at[(site, e.counter)] = e.clerk
            continue
        tid = ev.ticket_of(e)
        if tid is None:
            continue
        if isinstance(e, ev.TicketIssued):
            tickets[(site, tid)] = TicketFacts(
                tid, site, e.service, str(e.kind), e.at, not_before=e.not_before
            )
            continue
        t = tickets.get((site, tid))
        if t is None:  # its issue is outside the period
            continue
        if isinstance(e, ev.TicketCalled) and t.called_at is None:
            t.called_at, t.counter = e.at, e.counter
            t.clerk = clerk_at.get((site, e.counter))
        elif isinstance(e, ev.ServiceStarted):
            t.started_at, t.counter = e.at, e.counter
            t.clerk = clerk_at.get((site, e.counter), t.clerk)
        elif isinstance(e, ev.ServiceFinished):
            t.finished_at = e.at
        elif isinstance(e, ev.TicketNoShow) and e.removed:
            t.no_show = True
        elif isinstance(e, ev.TicketTransferred):
            t.service = e.to_service
    return list(tickets.values())


@dataclass(frozen=True)
class Spread:
    mean: float | None = None
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        if not values:
            return cls()
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        return cls(statistics.fmean(ordered), statistics.median(ordered), p90)


@dataclass(frozen=True)
class Summary:
    tickets: int
    served: int
    no_shows: int
    waiting: Spread = field(default_factory=Spread)
    service: Spread = field(default_factory=Spread)

    @property
    def no_show_rate(self) -> float | None:
        called = self.served + self.no_shows
        return self.no_shows / called if called else None


def summarize(items: list[TicketFacts]) -> Summary:
    return Summary(
        tickets=len(items),
        served=sum(1 for t in items if t.finished_at is not None),
        no_shows=sum(1 for t in items if t.no_show),
        waiting=Spread.of([w for t in items if (w := t.waiting_s) is not None]),
        service=Spread.of([s for t in items if (s := t.service_s) is not None]),
    )


def grouped(
    items: list[TicketFacts], key: Callable[[TicketFacts], str | None]
) -> dict[str, Summary]:
    groups: dict[str, list[TicketFacts]] = defaultdict(list)
    for t in items:
        k = key(t)
        if k is not None:
            groups[k].append(t)
    return {k: summarize(v) for k, v in sorted(groups.items())}


def per_hour(items: list[TicketFacts]) -> dict[int, int]:
    """Tickets issued per hour of the day (local time), over the whole period."""
    counts = Counter(t.issued_at.astimezone(TZ).hour for t in items)
    return {h: counts.get(h, 0) for h in range(min(counts, default=8), max(counts, default=16) + 1)}


@dataclass(frozen=True)
class ReservationOutcome:
    kept: int
    missed: int
    cancelled: int

    @property
    def kept_rate(self) -> float | None:
        total = self.kept + self.missed
        return self.kept / total if total else None


def reservation_outcome(
    statuses: Iterable[tuple[str, datetime]], now: datetime
) -> ReservationOutcome:
    """Kept = checked in; missed = confirmed but never came (its hour has passed) or no-show."""
    kept = missed = cancelled = 0
    for status, start in statuses:
        if status == "checked_in":
            kept += 1
        elif status == "no_show" or (status == "confirmed" and start < now):
            missed += 1
        elif status == "cancelled":
            cancelled += 1
    return ReservationOutcome(kept, missed, cancelled)
