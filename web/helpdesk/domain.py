"""The request workflow of the helpdesk, pure: statuses, who may do what, the 24-hour red
flag, scheduled publication, recurrence and the 30-day rating window. No I/O; time comes in as
``now`` (UTC)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

MAX_UNIT_USERS = 5
NOT_ACCEPTED_RED = timedelta(hours=24)
RATING_WINDOW = timedelta(days=30)
MAX_REPEAT_EVERY = 365


class Status(StrEnum):
    NEW = "new"  # Nowe: waits for a service staff member to accept it
    SCHEDULED = "scheduled"  # Zaplanowane: waits for its publication time
    IN_PROGRESS = "in_progress"  # W realizacji
    REJECTED = "rejected"  # Odrzucone: closed, with its reason
    COMPLETED = "completed"  # Zrealizowane: waits for the unit's rating
    RATED = "rated"  # Ocenione: closed


# "Active" = the status can still change; the list shows only these by default.
ACTIVE = frozenset({Status.NEW, Status.SCHEDULED, Status.IN_PROGRESS, Status.COMPLETED})

STATUS_LABELS = {  # English msgids; Polish in helpdesk.po
    Status.NEW: "New",
    Status.SCHEDULED: "Scheduled",
    Status.IN_PROGRESS: "In progress",
    Status.REJECTED: "Rejected",
    Status.COMPLETED: "Completed",
    Status.RATED: "Rated",
}


class Role(StrEnum):
    UNIT = "unit"  # a unit's employee: files and rates the unit's requests
    SERVICE = "service"  # the services centre's staff: handle every request
    ADMIN = "admin"  # service staff who also manage units, services and accounts
    # Citizen fault reports only (web/faults/): the account signs in here, its role in the
    # reports is in fault_members; in the helpdesk it is neither a unit's user nor staff.
    FAULTS = "faults"


class RepeatUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class WorkflowError(Exception):
    """A refused action; ``message`` is the English msgid shown (translated) to the user."""

    message = "This action is not possible now."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotAllowed(WorkflowError):
    message = "You may not do this."


class WrongStatus(WorkflowError):
    message = "The request's status does not allow this any more."


class ReasonRequired(WorkflowError):
    message = "Give the reason for rejecting the request."


class RatingClosed(WorkflowError):
    message = "The time for rating this request has passed."


class BadRating(WorkflowError):
    message = "Choose 1 to 5 stars and write a justification."


class UnitFull(WorkflowError):
    message = "A unit may have at most five users."


@dataclass(frozen=True)
class Actor:
    id: int
    role: Role
    unit_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.SERVICE, Role.ADMIN)


def can_see(actor: Actor, unit_id: int) -> bool:
    """Service staff see every request; a unit's user sees all of the unit's, and no other."""
    return actor.is_staff or (actor.role == Role.UNIT and actor.unit_id == unit_id)


def can_file(actor: Actor, unit_id: int) -> bool:
    return actor.role == Role.UNIT and actor.unit_id == unit_id


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    COMPLETE = "complete"


_MOVES: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ACCEPT: (frozenset({Status.NEW}), Status.IN_PROGRESS),
    # A mistaken request is rejected (nobody deletes one), even before it is published.
    Action.REJECT: (
        frozenset({Status.NEW, Status.SCHEDULED, Status.IN_PROGRESS}),
        Status.REJECTED,
    ),
    Action.COMPLETE: (frozenset({Status.IN_PROGRESS}), Status.COMPLETED),
}


def actions_for(actor: Actor, status: Status) -> list[Action]:
    if not actor.is_staff:
        return []
    return [a for a, (sources, _) in _MOVES.items() if status in sources]


def decide(actor: Actor, action: Action, status: Status, comment: str) -> Status:
    """The status after ``action``; the comment is optional except for a rejection."""
    if not actor.is_staff:
        raise NotAllowed()
    sources, target = _MOVES[action]
    if status not in sources:
        raise WrongStatus()
    if action is Action.REJECT and not comment.strip():
        raise ReasonRequired()
    return target


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def rating_open(status: Status, completed_at: datetime | None, now: datetime) -> bool:
    return (
        status == Status.COMPLETED
        and completed_at is not None
        and now <= aware(completed_at) + RATING_WINDOW
    )


def rating_ends(completed_at: datetime | None) -> datetime | None:
    return aware(completed_at) + RATING_WINDOW if completed_at is not None else None


class RatingLink(StrEnum):
    """What an e-mailed rating link finds, so a closed form always says why."""

    OPEN = "open"
    RATED = "rated"  # rated already (through the link or the request page)
    EXPIRED = "expired"  # the 30 days after completion passed
    CLOSED = "closed"  # not awaiting a rating (e.g. rejected meanwhile)


def rating_link(status: Status, completed_at: datetime | None, now: datetime) -> RatingLink:
    if status == Status.RATED:
        return RatingLink.RATED
    if rating_open(status, completed_at, now):
        return RatingLink.OPEN
    if status == Status.COMPLETED:
        return RatingLink.EXPIRED
    return RatingLink.CLOSED


# Seed 000: a rejected request is "automatically closed", a rated one "closed"; a completed
# one whose rating window passed cannot change any more either. Nothing reopens a request (no
# edit, no delete), so the chat closes with it: a new matter is a new request.
def chat_open(status: Status, completed_at: datetime | None, now: datetime) -> bool:
    if status in (Status.REJECTED, Status.RATED):
        return False
    return status != Status.COMPLETED or rating_open(status, completed_at, now)


class ChatClosed(WorkflowError):
    message = (
        "The request is closed, so no more messages can be sent. If the matter is not "
        "settled, file a new request and give this request's number in it."
    )


def check_rating(
    status: Status, completed_at: datetime | None, now: datetime, stars: int, text: str
) -> None:
    if status != Status.COMPLETED:
        raise WrongStatus()
    if not rating_open(status, completed_at, now):
        raise RatingClosed()
    if not 1 <= stars <= 5 or not text.strip():
        raise BadRating()


def can_rate(actor: Actor, unit_id: int) -> bool:
    return actor.role == Role.UNIT and actor.unit_id == unit_id


def is_red(status: Status, published_at: datetime | None, now: datetime) -> bool:
    """New and not accepted within 24 hours of its publication."""
    return (
        status == Status.NEW
        and published_at is not None
        and now - aware(published_at) > NOT_ACCEPTED_RED
    )


def is_overdue(status: Status, due_on: date | None, today: date) -> bool:
    return due_on is not None and due_on < today and status in (Status.NEW, Status.IN_PROGRESS)


def initial_status(publish_at: datetime | None, now: datetime) -> Status:
    return Status.SCHEDULED if publish_at is not None and publish_at > now else Status.NEW


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later; the 31st becomes the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_repeat(start: datetime, every: int, unit: RepeatUnit, n: int) -> datetime:
    """The ``n``-th repetition after ``start`` (computed from the start, so a month's end
    does not drift: Jan 31 → Feb 28 → Mar 31)."""
    start = aware(start)
    if unit is RepeatUnit.DAY:
        return start + timedelta(days=every * n)
    if unit is RepeatUnit.WEEK:
        return start + timedelta(weeks=every * n)
    return add_months(start, every * n)


def check_repeat(every: int | None, unit: str | None) -> tuple[int, RepeatUnit] | None:
    if not every:
        return None
    if not 1 <= every <= MAX_REPEAT_EVERY or unit not in set(RepeatUnit):
        raise WorkflowError("Repeat every 1 to 365 days, weeks or months.")
    return every, RepeatUnit(unit)
