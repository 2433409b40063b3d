"""Who is called next at a counter: one replaceable object.

The default order (issue #2): reservations whose hour has come, then legal priority, then the
longest wait weighted by the counter's order of services. Priority is bounded so that it cannot
starve everyone else: after ``max_priority_streak`` priority calls in a row at a counter, the
next call goes to the longest-waiting walk-in visitor if one waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hub.config import Counter
from hub.domain.events import TicketKind
from hub.domain.model import CounterRuntime, Ticket, TicketState


class CallPolicy(Protocol):
    def choose(
        self, waiting: Sequence[Ticket], counter: Counter, runtime: CounterRuntime, now: datetime
    ) -> Ticket | None:
        """The ticket to call at ``counter`` among all waiting tickets of the site, or None."""
        ...


def callable_here(ticket: Ticket, counter: Counter, now: datetime) -> bool:
    """Whether a waiting ticket may be called at this counter at all."""
    if ticket.state is not TicketState.WAITING:
        return False
    if ticket.target_counter is not None:
        return ticket.target_counter == counter.id
    if ticket.service not in counter.services:
        return False
    # A reservation enters the queue at its hour, not when its visitor checks in.
    return ticket.not_before is None or ticket.not_before <= now


@dataclass(frozen=True)
class FairPriorityPolicy:
    max_priority_streak: int = 2

    def choose(
        self, waiting: Sequence[Ticket], counter: Counter, runtime: CounterRuntime, now: datetime
    ) -> Ticket | None:
        here = [t for t in waiting if callable_here(t, counter, now)]
        if not here:
            return None
        due = [t for t in here if t.kind is TicketKind.RESERVATION]
        if due:
            return min(due, key=lambda t: (t.not_before or t.issued_at, t.issued_at, t.seq))
        priority = [t for t in here if t.kind is TicketKind.PRIORITY]
        others = [t for t in here if t.kind is TicketKind.WALK_IN]
        if priority and (runtime.priority_streak < self.max_priority_streak or not others):
            return min(priority, key=lambda t: (t.order_key, t.seq))
        return max(others, key=lambda t: self._score(t, counter, now))

    @staticmethod
    def _score(ticket: Ticket, counter: Counter, now: datetime) -> tuple[float, float]:
        if ticket.target_counter == counter.id:
            weight = counter.weight(0)  # sent here on purpose: as if it were the first service
        else:
            weight = counter.weight(counter.services.index(ticket.service))
        waited = max(0.0, (now - ticket.order_key).total_seconds())
        # Ties (e.g. two tickets issued in the same second) go to the earlier one.
        return (waited * weight, -ticket.order_key.timestamp())
