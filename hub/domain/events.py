"""Domain events: what happened to the queue. The hub stores them (append-only) and rebuilds the
day's state by replaying them, so each event carries every decision (ticket id, number, counter).
The cloud sync ships the same records.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class TicketKind(StrEnum):
    WALK_IN = "walk_in"
    PRIORITY = "priority"
    RESERVATION = "reservation"


class PriorityReason(StrEnum):
    """Legal grounds for service out of turn (obsługa poza kolejnością)."""

    PREGNANCY = "pregnancy"
    DISABILITY = "disability"
    LARGE_FAMILY = "large_family"
    SENIOR = "senior"
    OTHER = "other"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    at: datetime


class TicketIssued(_Event):
    type: Literal["ticket_issued"] = "ticket_issued"
    ticket_id: str
    token: str
    service: str
    seq: int
    number: str
    kind: TicketKind
    priority_reason: PriorityReason | None = None
    not_before: datetime | None = None
    reservation_code: str | None = None


class TicketCalled(_Event):
    type: Literal["ticket_called"] = "ticket_called"
    ticket_id: str
    counter: str
    call_no: int  # 1..3 within the no-show rule; a manual recall repeats the number
    recall: bool = False
    auto: bool = False  # called again by the no-show rule, not by a button


class ServiceStarted(_Event):
    type: Literal["service_started"] = "service_started"
    ticket_id: str
    counter: str


class ServiceFinished(_Event):
    type: Literal["service_finished"] = "service_finished"
    ticket_id: str
    counter: str


class TicketNoShow(_Event):
    type: Literal["ticket_no_show"] = "ticket_no_show"
    ticket_id: str
    counter: str
    removed: bool  # the third missed call takes the ticket off the queue


class TicketTransferred(_Event):
    type: Literal["ticket_transferred"] = "ticket_transferred"
    ticket_id: str
    from_counter: str
    to_service: str
    to_counter: str | None = None


class TicketCancelled(_Event):
    type: Literal["ticket_cancelled"] = "ticket_cancelled"
    ticket_id: str


class CounterOpened(_Event):
    type: Literal["counter_opened"] = "counter_opened"
    counter: str
    clerk: str


class CounterPaused(_Event):
    type: Literal["counter_paused"] = "counter_paused"
    counter: str


class CounterResumed(_Event):
    type: Literal["counter_resumed"] = "counter_resumed"
    counter: str


class CounterClosed(_Event):
    type: Literal["counter_closed"] = "counter_closed"
    counter: str


class ClerkLocked(_Event):
    """Five wrong PINs for ``clerk`` (the last one at ``device``, the terminal of ``counter``):
    signing in as that clerk is refused until ``until``. Changes no queue state; stored and
    synced so the cloud's reports see lockouts."""

    type: Literal["clerk_locked"] = "clerk_locked"
    clerk: str
    device: str
    counter: str
    until: datetime


Event = Annotated[
    TicketIssued
    | TicketCalled
    | ServiceStarted
    | ServiceFinished
    | TicketNoShow
    | TicketTransferred
    | TicketCancelled
    | CounterOpened
    | CounterPaused
    | CounterResumed
    | CounterClosed
    | ClerkLocked,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_from_json(data: str | bytes) -> Event:
    return EVENT_ADAPTER.validate_json(data)


def ticket_of(event: Event) -> str | None:
    return getattr(event, "ticket_id", None)
