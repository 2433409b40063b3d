"""Typed payloads of MQTT contract v1: the single source of truth for what travels on the wire.

The hub, the appliances, the tests and ``docs/asyncapi.yaml`` (``hub.contract.asyncapi``) all
use these models. Every payload is JSON with ``"v": 1``. Unknown fields are refused so that a
typo in a device's payload is an error reply, not a silently ignored option.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.domain.events import PriorityReason, TicketKind
from hub.domain.model import CounterStatus, TicketState
from hub.domain.queue import Availability

CONTRACT_VERSION: Literal[1] = 1


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Literal[1] = CONTRACT_VERSION

    def dump(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()


# --- requests (devices -> hub) -------------------------------------------------------------


class Request(Message):
    request_id: str = Field(
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="client-chosen id; the same id always gets the same reply (idempotency)",
    )


class IssueTicketRequest(Request):
    """Dispenser: a walk-in or priority ticket for a service."""

    service: str = Field(max_length=32)
    kind: Literal[TicketKind.WALK_IN, TicketKind.PRIORITY] = TicketKind.WALK_IN
    priority_reason: PriorityReason | None = None


class CheckInRequest(Request):
    """Dispenser: "Potwierdzenie wizyty" with a reservation's access code."""

    code: str = Field(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$")


class CounterRequest(Request):
    """Counter terminal: call next, recall, start, finish, no-show, pause, resume, close."""


class TransferRequest(Request):
    """Counter terminal: send the current visitor to another service or another counter."""

    to_service: str | None = Field(None, max_length=32)
    to_counter: str | None = Field(None, max_length=32)


class SignInRequest(Request):
    """Counter terminal: a clerk signs in with a short PIN; opens the counter."""

    clerk: str = Field(max_length=32)
    pin: str = Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")


# --- replies and state (hub -> devices) ----------------------------------------------------


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(description="stable machine code, e.g. queue_empty, service_unavailable")
    message: str = Field(description="English detail for logs; devices show their own text")
    reason: str | None = Field(None, description="for service_unavailable: the availability")


class TicketInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    number: str
    service: str
    service_name: str
    kind: TicketKind
    state: TicketState
    issued_at: datetime
    counter: str | None = None
    counter_name: str | None = None
    people_ahead: int = 0
    estimated_wait_s: float | None = None
    calls: int = 0
    not_before: datetime | None = None
    eticket_url: str | None = Field(None, description="link printed as a QR code")


class ClerkInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str


class CounterSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    number: str
    status: CounterStatus
    services: list[str]


class CounterState(Message):
    counter: str
    name: str
    number: str
    status: CounterStatus
    clerk: str | None = Field(None, description="clerk's display name while signed in")
    services: list[str]
    current: TicketInfo | None = None
    waiting_here: int = Field(
        description="visitors transferred to this counter in person; per-service waiting "
        "counts are in state/queue, so this message changes only when the counter does"
    )
    served_today: int
    skipped: list[str] = Field(default_factory=list, description="numbers to be called again")
    skipped_waiting: int = Field(
        0,
        description="how many visitors who did not come still wait here for another call "
        "(seed 004: three calls); 'call next' calls them when nobody else waits",
    )
    clerks: list[ClerkInfo] = Field(
        default_factory=list, description="who may sign in here (the terminal's sign-in list)"
    )


class Reply(Message):
    request_id: str
    ok: bool
    error: ErrorInfo | None = None
    ticket: TicketInfo | None = None
    counter: CounterState | None = None


class ServiceState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    name_en: str | None
    name_uk: str | None = None
    prefix: str
    waiting: int
    estimated_wait_s: float | None = Field(
        description="for a ticket taken now; null: unknown (no counter open and none has "
        "served this service today)"
    )
    availability: Availability
    open_counters: int
    last_called: str | None
    waiting_numbers: list[str] | None = Field(
        None,
        description="the next waiting numbers in call order (at most 12) when the site lists "
        "them on its group displays (site option display_waiting_numbers); null: not listed",
    )


class CallInfo(BaseModel):
    """One row of the hall display: a ticket at a counter (a recall moves its row to the top)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    number: str
    counter: str
    counter_name: str
    counter_number: str
    at: datetime = Field(description="the latest call or recall of this ticket here")
    current: bool = Field(
        False,
        description="the counter's visitor now (called or being served); false once finished, "
        "transferred, missed or cancelled. Displays highlight only these rows",
    )


class Building(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    inside: int
    limit: int | None
    full: bool


class QueueState(Message):
    site: str
    site_name: str
    at: datetime
    day: str
    services: list[ServiceState]
    recent_calls: list[CallInfo]
    counters: list[CounterSummary] = Field(default_factory=list)
    building: Building
    voice: bool


HallLanguage = Literal["pl", "en", "uk"]


class Announcement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pl: str
    en: str
    uk: str | None = Field(None, description="the call in Ukrainian; absent from older hubs")


class TicketCalled(Message):
    number: str
    service: str
    counter: str
    counter_name: str
    counter_number: str
    at: datetime
    call_no: int
    recall: bool
    auto: bool
    announcement: Announcement
    hall_languages: list[HallLanguage] = Field(
        default_factory=lambda: list[HallLanguage](["pl"]),
        description="what the hall voice says, in order: Polish, then the site's second "
        "language if it has one",
    )


class PresenceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class Presence(Message):
    """Retained; a device sets "offline" as its Last Will."""

    state: PresenceState


class PrinterState(StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    ERROR = "error"
    NONE = "none"


class SpeechState(StrEnum):
    """The hall display's spoken calls: "failing" once a call went unspoken after retries,
    until a call is spoken again; "none" where the device does not speak."""

    OK = "ok"
    FAILING = "failing"
    NONE = "none"


class SyncHealth(BaseModel):
    """How the hub's sync with the cloud is doing."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    online: bool = Field(description="the last exchange with the cloud succeeded")
    last_success: datetime | None = None
    backlog: int = Field(0, ge=0, description="queue events not yet in the cloud")
    last_error: str | None = None


class DeviceStatus(Message):
    """Retained health of a device (for fleet health: the dispenser's printer, the hall
    display's speech); the hub publishes its own on status/hub, with its sync health."""

    device: str
    role: str
    software: str
    printer: PrinterState = PrinterState.NONE
    speech: SpeechState = SpeechState.NONE
    detail: str | None = None
    at: datetime
    sync: SyncHealth | None = None
