"""Commands: what a device or person asks the queue to do. Plain dataclasses, checked by
``hub.domain.queue.decide``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.domain.events import PriorityReason, TicketKind


@dataclass(frozen=True)
class IssueTicket:
    service: str
    kind: TicketKind = TicketKind.WALK_IN
    priority_reason: PriorityReason | None = None
    # A checked-in reservation enters the queue at its hour (seed 004).
    not_before: datetime | None = None
    reservation_code: str | None = None
    # A checked-in reservation's own number (R007) instead of the service's next one.
    number: str | None = None


@dataclass(frozen=True)
class CallNext:
    counter: str


@dataclass(frozen=True)
class Recall:
    counter: str


@dataclass(frozen=True)
class StartService:
    counter: str


@dataclass(frozen=True)
class FinishService:
    counter: str


@dataclass(frozen=True)
class NoShow:
    counter: str


@dataclass(frozen=True)
class Transfer:
    counter: str
    to_service: str | None = None
    to_counter: str | None = None


@dataclass(frozen=True)
class CancelTicket:
    ticket_id: str


@dataclass(frozen=True)
class OpenCounter:
    counter: str
    clerk: str


@dataclass(frozen=True)
class PauseCounter:
    counter: str


@dataclass(frozen=True)
class ResumeCounter:
    counter: str


@dataclass(frozen=True)
class CloseCounter:
    counter: str


Command = (
    IssueTicket
    | CallNext
    | Recall
    | StartService
    | FinishService
    | NoShow
    | Transfer
    | CancelTicket
    | OpenCounter
    | PauseCounter
    | ResumeCounter
    | CloseCounter
)
