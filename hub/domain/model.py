"""The queue of one site for one day: tickets, counters, and how each event changes them.

``QueueState.apply`` is the only code that changes the state; it trusts the event (decisions were
made in ``hub.domain.queue``) so that replaying the stored events rebuilds exactly the same day.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from hub.domain import events as ev
from hub.domain.events import PriorityReason, TicketKind

RECENT_DURATIONS = 20  # service times kept per service for the wait estimate
RECENT_CALLS = 10  # calls the hall display lists


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    SKIPPED = "skipped"  # missed a call; called again after the counter's next visitor
    DONE = "done"
    REMOVED = "removed"  # missed three calls
    CANCELLED = "cancelled"


# Visitors still in the building for the building limit: issued and not yet gone.
INSIDE = frozenset(
    {TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.SKIPPED}
)


class CounterStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


@dataclass
class Ticket:
    id: str
    token: str
    service: str
    seq: int
    number: str
    kind: TicketKind
    issued_at: datetime
    priority_reason: PriorityReason | None = None
    not_before: datetime | None = None
    reservation_code: str | None = None
    state: TicketState = TicketState.WAITING
    counter: str | None = None  # where it is called, served or was skipped
    target_counter: str | None = None  # transferred to one counter rather than a service
    calls: int = 0  # calls so far in the no-show rule
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def order_key(self) -> datetime:
        # A transferred ticket keeps its place: order is always by issue time.
        return self.issued_at


@dataclass
class CounterRuntime:
    id: str
    status: CounterStatus = CounterStatus.CLOSED
    clerk: str | None = None
    current: str | None = None  # ticket id called or being served here
    priority_streak: int = 0
    served: int = 0
    skipped: list[str] = field(default_factory=list)  # no-shows waiting for their next call
    last_number: str | None = None


@dataclass(frozen=True)
class CallRecord:
    ticket_id: str
    number: str
    counter: str
    at: datetime


@dataclass
class QueueState:
    day: date
    tickets: dict[str, Ticket] = field(default_factory=dict)
    counters: dict[str, CounterRuntime] = field(default_factory=dict)
    next_seq: dict[str, int] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=dict)
    durations: dict[str, deque[float]] = field(default_factory=dict)
    recent_calls: deque[CallRecord] = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))
    by_token: dict[str, str] = field(default_factory=dict)
    # Indexes kept by apply(): displays are recomputed after every command, so reading them
    # must not scan the whole day's tickets.
    waiting_by_service: dict[str, dict[str, Ticket]] = field(default_factory=dict)
    waiting_by_counter: dict[str, dict[str, Ticket]] = field(default_factory=dict)
    inside_count: int = 0
    last_called: dict[str, str] = field(default_factory=dict)  # service -> number
    served_by: dict[str, set[str]] = field(default_factory=dict)  # service -> counters today
    by_reservation: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls, day: date, counter_ids: list[str]) -> QueueState:
        return cls(day=day, counters={c: CounterRuntime(id=c) for c in counter_ids})

    # --- queries -------------------------------------------------------------------------

    def counter(self, counter_id: str) -> CounterRuntime:
        return self.counters[counter_id]

    def current_ticket(self, counter_id: str) -> Ticket | None:
        cur = self.counters[counter_id].current
        return self.tickets[cur] if cur is not None else None

    def waiting(self) -> list[Ticket]:
        out = [t for group in self.waiting_by_service.values() for t in group.values()]
        out += [t for group in self.waiting_by_counter.values() for t in group.values()]
        return out

    def waiting_in(self, service: str) -> Iterable[Ticket]:
        """Waiting tickets of a service (not those transferred to one counter)."""
        return self.waiting_by_service.get(service, {}).values()

    def waiting_for(self, counter: str, services: Iterable[str]) -> list[Ticket]:
        """Waiting tickets a counter serving ``services`` may be able to call."""
        out = list(self.waiting_by_counter.get(counter, {}).values())
        for s in services:
            out.extend(self.waiting_in(s))
        return out

    def waiting_count(self, counter: str, services: Iterable[str]) -> int:
        n = len(self.waiting_by_counter.get(counter, {}))
        return n + sum(len(self.waiting_by_service.get(s, {})) for s in services)

    def inside(self) -> int:
        return self.inside_count

    def _index(self, t: Ticket) -> None:
        if t.state in INSIDE:
            self.inside_count += 1
        if t.state is TicketState.WAITING:
            if t.target_counter is not None:
                self.waiting_by_counter.setdefault(t.target_counter, {})[t.id] = t
            else:
                self.waiting_by_service.setdefault(t.service, {})[t.id] = t

    def _unindex(self, t: Ticket) -> None:
        if t.state in INSIDE:
            self.inside_count -= 1
        if t.state is TicketState.WAITING:
            if t.target_counter is not None:
                self.waiting_by_counter.get(t.target_counter, {}).pop(t.id, None)
            else:
                self.waiting_by_service.get(t.service, {}).pop(t.id, None)

    def _record_call(self, call: CallRecord) -> None:
        # One row per ticket and counter: a recall moves the ticket's row to the top instead
        # of listing the same number twice.
        key = (call.ticket_id, call.counter)
        for old in [r for r in self.recent_calls if (r.ticket_id, r.counter) == key]:
            self.recent_calls.remove(old)
        self.recent_calls.appendleft(call)

    def seq_for(self, service: str) -> int:
        return self.next_seq.get(service, 1)

    # --- evolution -----------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        tid = ev.ticket_of(event)
        before = self.tickets.get(tid) if tid is not None else None
        if before is not None:
            self._unindex(before)
        self._apply(event)
        after = self.tickets.get(tid) if tid is not None else None
        if after is not None:
            self._index(after)

    def _apply(self, event: ev.Event) -> None:
        match event:
            case ev.TicketIssued():
                t = Ticket(
                    id=event.ticket_id,
                    token=event.token,
                    service=event.service,
                    seq=event.seq,
                    number=event.number,
                    kind=event.kind,
                    issued_at=event.at,
                    priority_reason=event.priority_reason,
                    not_before=event.not_before,
                    reservation_code=event.reservation_code,
                )
                self.tickets[t.id] = t
                self.by_token[t.token] = t.id
                if t.reservation_code is not None:
                    self.by_reservation[t.reservation_code] = t.id
                self.next_seq[t.service] = max(self.seq_for(t.service), event.seq + 1)
                self.issued[t.service] = self.issued.get(t.service, 0) + 1
            case ev.TicketCalled():
                t = self.tickets[event.ticket_id]
                c = self.counters[event.counter]
                if not event.recall:
                    if t.kind is TicketKind.PRIORITY:
                        c.priority_streak += 1
                    elif t.kind is TicketKind.WALK_IN:
                        c.priority_streak = 0
                if t.id in c.skipped:
                    c.skipped.remove(t.id)
                t.state = TicketState.CALLED
                t.counter = event.counter
                t.calls = event.call_no
                t.called_at = event.at
                c.current = t.id
                c.last_number = t.number
                self.last_called[t.service] = t.number
                self._record_call(CallRecord(t.id, t.number, event.counter, event.at))
            case ev.ServiceStarted():
                t = self.tickets[event.ticket_id]
                t.state = TicketState.SERVING
                t.started_at = event.at
            case ev.ServiceFinished():
                t = self.tickets[event.ticket_id]
                c = self.counters[event.counter]
                began = t.started_at or t.called_at or event.at
                self.durations.setdefault(t.service, deque(maxlen=RECENT_DURATIONS)).append(
                    max(0.0, (event.at - began).total_seconds())
                )
                t.state = TicketState.DONE
                t.finished_at = event.at
                c.current = None
                c.served += 1
                self.served_by.setdefault(t.service, set()).add(c.id)
            case ev.TicketNoShow():
                t = self.tickets[event.ticket_id]
                c = self.counters[event.counter]
                c.current = None
                if event.removed:
                    t.state = TicketState.REMOVED
                    t.finished_at = event.at
                else:
                    t.state = TicketState.SKIPPED
                    c.skipped.append(t.id)
            case ev.TicketTransferred():
                t = self.tickets[event.ticket_id]
                c = self.counters[event.from_counter]
                if c.current == t.id:
                    c.current = None
                t.state = TicketState.WAITING
                t.service = event.to_service
                t.target_counter = event.to_counter
                t.counter = None
                t.calls = 0
                t.started_at = None
            case ev.TicketCancelled():
                t = self.tickets[event.ticket_id]
                if t.counter is not None:
                    c = self.counters[t.counter]
                    if c.current == t.id:
                        c.current = None
                    if t.id in c.skipped:
                        c.skipped.remove(t.id)
                t.state = TicketState.CANCELLED
                t.finished_at = event.at
            case ev.CounterOpened():
                c = self.counters[event.counter]
                c.status = CounterStatus.OPEN
                c.clerk = event.clerk
            case ev.ClerkLocked():
                pass  # a security record: the lockout itself lives in hub.clerks
            case ev.CounterPaused():
                self.counters[event.counter].status = CounterStatus.PAUSED
            case ev.CounterResumed():
                self.counters[event.counter].status = CounterStatus.OPEN
            case ev.CounterClosed():
                c = self.counters[event.counter]
                c.status = CounterStatus.CLOSED
                c.clerk = None
                c.priority_streak = 0
                # Visitors skipped here are not lost with the counter: back to the queue.
                for tid in c.skipped:
                    t = self.tickets[tid]
                    self._unindex(t)
                    t.state = TicketState.WAITING
                    t.counter = None
                    self._index(t)
                c.skipped.clear()
