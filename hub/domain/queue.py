"""The queue's rules: which commands are allowed now and what events they produce, plus the
numbers people see (availability, people ahead, estimated wait). No I/O: time comes in as ``now``
and ids from an injectable source, so every rule is tested in microseconds.
"""

from __future__ import annotations

import heapq
import math
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from statistics import fmean
from zoneinfo import ZoneInfo

from hub.config import Site
from hub.domain import commands as cmd
from hub.domain import errors as err
from hub.domain import events as ev
from hub.domain.events import TicketKind
from hub.domain.model import CounterStatus, QueueState, Ticket, TicketState
from hub.domain.policy import CallPolicy, FairPriorityPolicy

MAX_CALLS = 3  # seed 004: a visitor who misses three calls is taken off the queue
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Availability(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # outside opening hours
    CUTOFF = "cutoff"  # too close to closing time
    DAILY_LIMIT = "daily_limit"
    BUILDING_FULL = "building_full"


@dataclass(frozen=True)
class IdSource:
    """Ticket ids and e-ticket tokens; tokens are unguessable because they are public links."""

    ticket_id: Callable[[], str] = lambda: uuid.uuid4().hex
    token: Callable[[], str] = lambda: secrets.token_urlsafe(16)


@dataclass(frozen=True)
class ServiceView:
    id: str
    waiting: int
    availability: Availability
    estimated_wait_s: float | None  # None: no counter open and none has served it today
    open_counters: int
    last_called: str | None


class Queue:
    """One site's queue for the current day: decide, then apply."""

    def __init__(
        self,
        site: Site,
        *,
        policy: CallPolicy | None = None,
        ids: IdSource | None = None,
        state: QueueState | None = None,
        today: date | None = None,
    ) -> None:
        self.site = site
        self.tz = ZoneInfo(site.timezone)
        self.policy = policy or FairPriorityPolicy(site.priority_streak)
        self.ids = ids or IdSource()
        self.state = state or QueueState.empty(today or date.min, [c.id for c in site.counters])
        self._counters = {c.id: c for c in site.counters}
        self._services = {s.id: s for s in site.services}

    # --- time ----------------------------------------------------------------------------

    def local_day(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def roll_over(self, now: datetime) -> bool:
        """Start a fresh day (numbering from 1, counters closed) when the date has changed."""
        day = self.local_day(now)
        if day == self.state.day:
            return False
        self.state = QueueState.empty(day, list(self._counters))
        return True

    # --- commands ------------------------------------------------------------------------

    def handle(self, command: cmd.Command, now: datetime) -> list[ev.Event]:
        """Decide and apply; raises a ``QueueError`` and changes nothing when refused."""
        self.roll_over(now)
        events = self.decide(command, now)
        for e in events:
            self.state.apply(e)
        return events

    def replay(self, events: list[ev.Event]) -> None:
        for e in events:
            self.state.apply(e)

    def decide(self, command: cmd.Command, now: datetime) -> list[ev.Event]:
        match command:
            case cmd.IssueTicket():
                return [self._issue(command, now)]
            case cmd.CallNext(counter=cid):
                return self._call_next(cid, now)
            case cmd.Recall(counter=cid):
                t = self._current(cid, TicketState.CALLED)
                return [
                    ev.TicketCalled(
                        at=now, ticket_id=t.id, counter=cid, call_no=t.calls, recall=True
                    )
                ]
            case cmd.StartService(counter=cid):
                t = self._current(cid, TicketState.CALLED)
                return [ev.ServiceStarted(at=now, ticket_id=t.id, counter=cid)]
            case cmd.FinishService(counter=cid):
                return self._finish(cid, now)
            case cmd.NoShow(counter=cid):
                t = self._current(cid, TicketState.CALLED)
                return [
                    ev.TicketNoShow(
                        at=now, ticket_id=t.id, counter=cid, removed=t.calls >= MAX_CALLS
                    )
                ]
            case cmd.Transfer():
                return [self._transfer(command, now)]
            case cmd.CancelTicket(ticket_id=tid):
                found = self.state.tickets.get(tid)
                if found is None:
                    raise err.UnknownTicket(tid)
                if found.state not in (
                    TicketState.WAITING,
                    TicketState.SKIPPED,
                    TicketState.CALLED,
                ):
                    raise err.InvalidState(f"ticket {found.number} is {found.state}")
                return [ev.TicketCancelled(at=now, ticket_id=tid)]
            case cmd.OpenCounter(counter=cid, clerk=clerk):
                self._counter(cid)
                return [ev.CounterOpened(at=now, counter=cid, clerk=clerk)]
            case cmd.PauseCounter(counter=cid):
                self._require_status(cid, CounterStatus.OPEN)
                if self.state.counter(cid).current is not None:
                    raise err.CounterBusy("finish or mark the current visitor first")
                return [ev.CounterPaused(at=now, counter=cid)]
            case cmd.ResumeCounter(counter=cid):
                self._require_status(cid, CounterStatus.PAUSED)
                return [ev.CounterResumed(at=now, counter=cid)]
            case cmd.CloseCounter(counter=cid):
                self._counter(cid)
                if self.state.counter(cid).current is not None:
                    raise err.CounterBusy("finish or mark the current visitor first")
                return [ev.CounterClosed(at=now, counter=cid)]
        raise err.QueueError(f"unknown command {command!r}")  # pragma: no cover

    def _issue(self, c: cmd.IssueTicket, now: datetime) -> ev.TicketIssued:
        service = self._services.get(c.service)
        if service is None:
            raise err.UnknownService(c.service)
        if c.kind is TicketKind.RESERVATION:
            if c.reservation_code and c.reservation_code in self.state.by_reservation:
                raise err.InvalidState("this reservation has already checked in")
        else:
            availability = self.availability(c.service, now)
            if availability is not Availability.OPEN:
                raise err.ServiceUnavailable(c.service, availability)
        if c.kind is TicketKind.PRIORITY and c.priority_reason is None:
            raise err.InvalidState("a priority ticket needs a reason")
        if c.kind is TicketKind.RESERVATION and c.number:
            # The visit keeps its number (R007); seq 0 leaves the service's walk-in numbering
            # (A001, A002, …) without a gap.
            seq, number = 0, c.number
        else:
            seq = self.state.seq_for(c.service)
            number = f"{service.prefix}{seq:03d}"
        return ev.TicketIssued(
            at=now,
            ticket_id=self.ids.ticket_id(),
            token=self.ids.token(),
            service=c.service,
            seq=seq,
            number=number,
            kind=c.kind,
            priority_reason=c.priority_reason if c.kind is TicketKind.PRIORITY else None,
            not_before=c.not_before,
            reservation_code=c.reservation_code,
        )

    def _call_next(self, cid: str, now: datetime) -> list[ev.Event]:
        counter = self._counter(cid)
        runtime = self._require_status(cid, CounterStatus.OPEN)
        events: list[ev.Event] = []
        current = self.state.current_ticket(cid)
        if current is not None:
            if current.state is TicketState.CALLED:
                raise err.CounterBusy(
                    f"{current.number} is called: start, finish or mark as not present first"
                )
            # "Call next" while serving means the clerk is done with this visitor.
            events += self._finish(cid, now)
            if any(isinstance(e, ev.TicketCalled) for e in events):
                return events  # the no-show rule already chose who comes next
        waiting = self.state.waiting_for(cid, counter.services)
        ticket = self.policy.choose(waiting, counter, runtime, now)
        if ticket is None and runtime.skipped:
            # Seed 004 recalls a no-show after the next visitor; with nobody else to serve,
            # their next call comes now rather than never.
            ticket = self.state.tickets[runtime.skipped[0]]
        if ticket is None:
            if events:
                return events
            raise err.QueueEmpty(cid)
        events.append(
            ev.TicketCalled(at=now, ticket_id=ticket.id, counter=cid, call_no=ticket.calls + 1)
        )
        return events

    def _finish(self, cid: str, now: datetime) -> list[ev.Event]:
        # "Served" means started: a called visitor who never came is a no-show, not a visit.
        t = self._current(cid, TicketState.SERVING)
        events: list[ev.Event] = [ev.ServiceFinished(at=now, ticket_id=t.id, counter=cid)]
        runtime = self.state.counter(cid)
        # Seed 004: a visitor who missed the call is called again once the next one is served.
        if runtime.skipped and runtime.status is CounterStatus.OPEN:
            skipped = self.state.tickets[runtime.skipped[0]]
            events.append(
                ev.TicketCalled(
                    at=now, ticket_id=skipped.id, counter=cid, call_no=skipped.calls + 1, auto=True
                )
            )
        return events

    def _transfer(self, c: cmd.Transfer, now: datetime) -> ev.TicketTransferred:
        t = self._current(c.counter, TicketState.CALLED, TicketState.SERVING)
        if (c.to_service is None) == (c.to_counter is None):
            raise err.InvalidTransfer("name either a service or a counter to transfer to")
        if c.to_counter is not None:
            if c.to_counter == c.counter:
                raise err.InvalidTransfer("the ticket is already at this counter")
            target = self._counter(c.to_counter)
            # Keep the service when the target counter serves it, else its first service.
            service = t.service if t.service in target.services else target.services[0]
            return ev.TicketTransferred(
                at=now,
                ticket_id=t.id,
                from_counter=c.counter,
                to_service=service,
                to_counter=c.to_counter,
            )
        assert c.to_service is not None
        if c.to_service not in self._services:
            raise err.UnknownService(c.to_service)
        return ev.TicketTransferred(
            at=now, ticket_id=t.id, from_counter=c.counter, to_service=c.to_service
        )

    def _counter(self, cid: str):  # type: ignore[no-untyped-def]
        counter = self._counters.get(cid)
        if counter is None:
            raise err.UnknownCounter(cid)
        return counter

    def _require_status(self, cid: str, status: CounterStatus):  # type: ignore[no-untyped-def]
        self._counter(cid)
        runtime = self.state.counter(cid)
        if runtime.status is not status:
            raise err.CounterNotOpen(f"counter {cid} is {runtime.status}")
        return runtime

    def _current(self, cid: str, *states: TicketState) -> Ticket:
        self._counter(cid)
        t = self.state.current_ticket(cid)
        if t is None or t.state not in states:
            raise err.NothingToDo(f"counter {cid} has no {'/'.join(states)} ticket")
        return t

    # --- what people see -----------------------------------------------------------------

    def availability(self, service_id: str, now: datetime) -> Availability:
        service = self._services[service_id]
        local = now.astimezone(self.tz)
        hours = service.hours.get(WEEKDAYS[local.weekday()])
        if hours is None or not (hours.opens <= local.time() < hours.closes):
            return Availability.CLOSED
        closes = local.replace(
            hour=hours.closes.hour, minute=hours.closes.minute, second=0, microsecond=0
        )
        if local >= closes - timedelta(minutes=service.cutoff_minutes):
            return Availability.CUTOFF
        if service.daily_limit is not None and self._issued_today(service_id, now) >= (
            service.daily_limit
        ):
            return Availability.DAILY_LIMIT
        if self.building_full(now):
            return Availability.BUILDING_FULL
        return Availability.OPEN

    def _issued_today(self, service_id: str, now: datetime) -> int:
        if self.local_day(now) != self.state.day:
            return 0
        return self.state.issued.get(service_id, 0)

    def building_full(self, now: datetime) -> bool:
        limit = self.site.building_limit
        if limit is None or self.local_day(now) != self.state.day:
            return False
        return self.state.inside() >= limit

    def open_counters(self, service_id: str) -> int:
        return sum(
            1
            for c in self.site.counters
            if service_id in c.services and self.state.counter(c.id).status is CounterStatus.OPEN
        )

    def service_seconds(self, service_id: str) -> float:
        recent = self.state.durations.get(service_id)
        if recent:
            return fmean(recent)
        return self._services[service_id].service_minutes * 60

    def _rank(self, t: Ticket, now: datetime) -> tuple[int, datetime]:
        if t.kind is TicketKind.RESERVATION:
            return (0, t.not_before or t.issued_at)
        return (1 if t.kind is TicketKind.PRIORITY else 2, t.order_key)

    def people_ahead(self, ticket: Ticket, now: datetime) -> int:
        """Waiting visitors of the same service who will be called before this one."""
        if ticket.state is not TicketState.WAITING:
            return 0
        mine = self._rank(ticket, now)
        peers: Iterable[Ticket]
        if ticket.target_counter is not None:
            peers = self.state.waiting_by_counter.get(ticket.target_counter, {}).values()
        else:
            peers = self.state.waiting_in(ticket.service)
        return sum(
            1
            for t in peers
            if t.id != ticket.id
            and (t.not_before is None or t.not_before <= now)
            and self._rank(t, now) < mine
        )

    def waiting_numbers(self, service_id: str, now: datetime, limit: int) -> list[str]:
        """The first ``limit`` waiting numbers of a service in queue order (bookings whose hour
        has come, then priority, then walk-ins by issue time); like the waiting count, without
        visitors sent to one counter in person."""
        due = (
            t
            for t in self.state.waiting_in(service_id)
            if t.not_before is None or t.not_before <= now
        )
        first = heapq.nsmallest(limit, due, key=lambda t: (self._rank(t, now), t.seq))
        return [t.number for t in first]

    def estimated_wait(self, service_id: str, ahead: int) -> float | None:
        counters = self.open_counters(service_id)
        if counters == 0:
            # On a break or between shifts nobody serves it this minute, but today's service
            # times and the counters that served it still say how long the queue takes.
            counters = len(self.state.served_by.get(service_id, ()))
        if counters == 0:
            return None  # nobody has served it today and no counter is open: unknown
        return math.ceil(ahead / counters) * self.service_seconds(service_id)

    def service_view(self, service_id: str, now: datetime) -> ServiceView:
        waiting = len(self.state.waiting_by_service.get(service_id, {}))
        return ServiceView(
            id=service_id,
            waiting=waiting,
            availability=self.availability(service_id, now),
            estimated_wait_s=self.estimated_wait(service_id, waiting),
            open_counters=self.open_counters(service_id),
            last_called=self.state.last_called.get(service_id),
        )
