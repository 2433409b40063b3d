"""The hub ↔ cloud sync contract (HTTPS, JSON): the one definition both sides import.

The hub pushes its stored queue events in order (``seq`` from its own database) with a live
snapshot, and pulls its site's reservations from a cursor. (site, seq) is the idempotency key:
a batch sent again after a lost answer takes effect once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.contract import messages as msg

PUSH_PATH = "/api/v1/sync/events"
PULL_PATH = "/api/v1/sync/reservations"
MAX_BATCH = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SyncEvent(_Strict):
    seq: int = Field(ge=1, description="the event's place in the hub's store")
    body: dict[str, Any] = Field(description="the event as the hub stored it (hub.domain.events)")


class TicketLive(_Strict):
    """What a waiting ticket's e-ticket page shows."""

    token: str = Field(max_length=64)
    ahead: int = Field(ge=0)
    wait_s: float | None = None


class DeviceHealth(_Strict):
    """One enrolled device as the hub sees it (presence, software, printer, speech)."""

    id: str = Field(max_length=40)
    role: str = Field(max_length=20)
    online: bool
    software: str | None = Field(None, max_length=80)
    printer: msg.PrinterState = msg.PrinterState.NONE
    speech: msg.SpeechState = msg.SpeechState.NONE
    detail: str | None = Field(None, max_length=200)
    last_seen: datetime | None = None


class Snapshot(_Strict):
    queue: msg.QueueState
    tickets: list[TicketLive] = Field(default_factory=list, max_length=5000)
    devices: list[DeviceHealth] = Field(default_factory=list, max_length=1000)


class PushRequest(_Strict):
    site: str | None = Field(
        None,
        max_length=64,
        description="the hub's own site id: the cloud refuses a token of another site (409) "
        "instead of storing a typo'd site's events where nobody sees them",
    )
    events: list[SyncEvent] = Field(default_factory=list, max_length=MAX_BATCH)
    snapshot: Snapshot | None = None
    backlog: int = Field(0, ge=0, description="events still waiting in the hub after these")
    software: str = Field("", max_length=40)


class PushReply(_Strict):
    acked: int = Field(description="the highest seq the cloud has stored")


class ReservationItem(_Strict):
    code: str
    service: str
    start: datetime
    status: str
    seq: int
    number: str | None = Field(
        None,
        max_length=8,
        description="the visit's number at its location that day (R007): the ticket issued at "
        "check-in carries it, so the visitor is called by the number they were sent",
    )


class PullReply(_Strict):
    items: list[ReservationItem]
    cursor: int = Field(description="ask for changes after this next time")
