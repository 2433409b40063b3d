"""The citizen fault report ("Usterka") workflow, pure: who sees what (Instrukcja § 4), the
routing chain operator → coordinator group → realizer group (Procedura ch. 3), what each step
needs, and the SLA flags on working time. No I/O; ``now`` and the calendar come in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from web.faults.workdays import Sla, WorkCalendar


class Role(StrEnum):
    ADMIN = "administrator"  # manages the application (dictionary, accounts); sees all
    SUPER_SUPERVISOR = "super_supervisor"  # supernadzorca: sees and edits all, deletes
    OPERATOR = "operator"  # registers, routes; sees and edits all
    SUPERVISOR = "supervisor"  # nadzorca: reads their department's
    COORDINATOR = "coordinator"  # koordynator: their coordinator group's
    REALIZER = "realizer"  # realizator: their realizer group's


class Status(StrEnum):
    NEW = "new"  # with the operators (registered, not routed)
    RETURNED = "returned"  # returned to the operators by a coordinator
    COORDINATOR = "coordinator"  # at a coordinator group
    SUSPENDED = "suspended"  # suspended by the coordinator, with a reason and a date
    REALIZER = "realizer"  # at a realizer group
    IN_PROGRESS = "in_progress"  # taken up by the realizer
    CONTRACTOR = "contractor"  # handed to a contractor
    RESOLVED = "resolved"  # finished: the problem is gone (or the contractor's work accepted)
    CLOSED = "closed"  # finished without realisation, with the reason (and the RPW id)


FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})
STATUS_LABELS = {  # English msgids; Polish in faults.po
    Status.NEW: "New",
    Status.RETURNED: "Returned to the operator",
    Status.COORDINATOR: "At the coordinator",
    Status.SUSPENDED: "Suspended",
    Status.REALIZER: "At the realizer",
    Status.IN_PROGRESS: "In progress",
    Status.CONTRACTOR: "With the contractor",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}
ROLE_LABELS = {
    Role.ADMIN: "administrator",
    Role.SUPER_SUPERVISOR: "super-supervisor",
    Role.OPERATOR: "operator",
    Role.SUPERVISOR: "supervisor",
    Role.COORDINATOR: "coordinator",
    Role.REALIZER: "realizer",
}


class Closure(StrEnum):
    NOT_INTERVENTION = "not_intervention"  # § 21 ust. 2 pkt 1
    OUTSIDE = "outside"  # handled outside the application (§ 15 ust. 4)
    OUT_OF_SCOPE = "out_of_scope"  # beyond the city's units (§ 14 ust. 3, § 21 ust. 3)


CLOSURE_LABELS = {
    Closure.NOT_INTERVENTION: "Not an intervention",
    Closure.OUTSIDE: "Handled outside the application",
    Closure.OUT_OF_SCOPE: "Out of the city units' scope",
}


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    EMAIL = "email"
    EZD = "ezd"
    OPEN311 = "open311"
    DEVICE = "device"


CHANNEL_LABELS = {
    Channel.WEB: "Web form",
    Channel.PHONE: "Phone",
    Channel.EMAIL: "E-mail",
    Channel.EZD: "EZD",
    Channel.OPEN311: "Open311",
    Channel.DEVICE: "Device",
}


class Action(StrEnum):
    FORWARD = "forward"  # operator → a coordinator group
    CLOSE_BY_OPERATOR = "close_by_operator"  # § 14, § 15: out of scope / outside
    TAKE = "take"  # the coordinator or the realizer takes it up
    RETURN_TO_OPERATOR = "return_to_operator"
    FORWARD_COORDINATOR = "forward_coordinator"  # to another coordinator group
    ASSIGN = "assign"  # coordinator → a realizer group
    SUSPEND = "suspend"
    RESUME = "resume"
    RETURN_TO_COORDINATOR = "return_to_coordinator"
    CONTRACTOR = "contractor"
    ACCEPT_WORK = "accept_work"
    REJECT_WORK = "reject_work"
    RESOLVE = "resolve"
    CLOSE = "close"  # realizer: not an intervention / outside / out of scope


ACTION_LABELS = {
    Action.FORWARD: "Forward to a coordinator group",
    Action.CLOSE_BY_OPERATOR: "Close",
    Action.TAKE: "Take up",
    Action.RETURN_TO_OPERATOR: "Return to the operator",
    Action.FORWARD_COORDINATOR: "Forward to another coordinator group",
    Action.ASSIGN: "Hand to a realizer group",
    Action.SUSPEND: "Suspend",
    Action.RESUME: "Resume",
    Action.RETURN_TO_COORDINATOR: "Return to the coordinator",
    Action.CONTRACTOR: "Hand to a contractor",
    Action.ACCEPT_WORK: "Accept the contractor's work",
    Action.REJECT_WORK: "Reject the contractor's work",
    Action.RESOLVE: "Resolve",
    Action.CLOSE: "Close",
}


class FaultError(Exception):
    """A refused step; ``message`` is the English msgid shown (translated) to the user."""

    message = "This action is not possible now."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class NotAllowed(FaultError):
    message = "You may not do this."


class WrongStatus(FaultError):
    message = "The report's status does not allow this any more."


class Missing(FaultError):
    message = "Fill in the required fields."


class ReturnTooLate(FaultError):
    message = "A report can be returned to the operator only within two working days."


class LateWithoutReason(FaultError):
    """§ 18 ust. 2: a report finished after its deadline carries why and until when."""

    message = (
        "The report is past its deadline: first give the reason for the delay and the planned "
        "date of completion."
    )


@dataclass(frozen=True)
class Actor:
    """A person working on reports: role, and their department or group."""

    id: int
    role: Role
    department_id: int | None = None
    group_id: int | None = None

    @property
    def sees_all(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPER_SUPERVISOR, Role.OPERATOR)


@dataclass(frozen=True)
class Place:
    """Where a report is: its status and the groups and department holding it."""

    status: Status
    department_id: int | None = None
    coordinator_group_id: int | None = None
    realizer_group_id: int | None = None
    taken: bool = False
    # Coordinator groups that forwarded or returned the report: they still read it.
    past_groups: frozenset[int] = frozenset()


def can_see(actor: Actor, place: Place) -> bool:
    if holds(actor, place):
        return True
    return (
        actor.role == Role.COORDINATOR
        and actor.group_id is not None
        and actor.group_id in place.past_groups
    )


def handed_on(actor: Actor, place: Place) -> bool:
    """Seen only because the person's coordinator group handed it on: read only."""
    return can_see(actor, place) and not holds(actor, place)


def holds(actor: Actor, place: Place) -> bool:
    """Within the person's scope now (§ 4): what they may see and, save supervisors, edit."""
    if actor.sees_all:
        return True
    if actor.role == Role.SUPERVISOR:
        return actor.department_id is not None and actor.department_id == place.department_id
    if actor.role == Role.COORDINATOR:
        return actor.group_id is not None and actor.group_id == place.coordinator_group_id
    if actor.role == Role.REALIZER:
        return actor.group_id is not None and actor.group_id == place.realizer_group_id
    return False


def can_edit(actor: Actor, place: Place) -> bool:
    """Supervisors only read, and so does a coordinator group that handed the report on;
    everyone else edits what they hold."""
    return actor.role != Role.SUPERVISOR and holds(actor, place)


def can_delete(actor: Actor) -> bool:
    return actor.role == Role.SUPER_SUPERVISOR


_OPERATORS = frozenset({Role.ADMIN, Role.SUPER_SUPERVISOR, Role.OPERATOR})
_COORD = frozenset({Role.COORDINATOR}) | _OPERATORS
_REAL = frozenset({Role.REALIZER}) | _OPERATORS

# action: (who, from which statuses)
_RULES: dict[Action, tuple[frozenset[Role], frozenset[Status]]] = {
    Action.FORWARD: (_OPERATORS, frozenset({Status.NEW, Status.RETURNED})),
    Action.CLOSE_BY_OPERATOR: (_OPERATORS, frozenset({Status.NEW, Status.RETURNED})),
    Action.TAKE: (_COORD | _REAL, frozenset({Status.COORDINATOR, Status.REALIZER})),
    Action.RETURN_TO_OPERATOR: (_COORD, frozenset({Status.COORDINATOR})),
    Action.FORWARD_COORDINATOR: (_COORD, frozenset({Status.COORDINATOR})),
    Action.ASSIGN: (_COORD, frozenset({Status.COORDINATOR})),
    Action.SUSPEND: (_COORD, frozenset({Status.COORDINATOR})),
    Action.RESUME: (_COORD, frozenset({Status.SUSPENDED})),
    Action.RETURN_TO_COORDINATOR: (_REAL, frozenset({Status.REALIZER, Status.IN_PROGRESS})),
    Action.CONTRACTOR: (_REAL, frozenset({Status.IN_PROGRESS})),
    Action.ACCEPT_WORK: (_REAL, frozenset({Status.CONTRACTOR})),
    Action.REJECT_WORK: (_REAL, frozenset({Status.CONTRACTOR})),
    Action.RESOLVE: (_REAL, frozenset({Status.IN_PROGRESS})),
    Action.CLOSE: (_REAL, frozenset({Status.REALIZER, Status.IN_PROGRESS})),
}


@dataclass(frozen=True)
class Step:
    """What the person entered for an action (only the fields the action needs are read)."""

    action: Action
    group_id: int | None = None  # forward / forward_coordinator / assign
    reason: str = ""
    until: date | None = None  # suspend: until when; contractor: the deadline
    firm: str = ""
    ordered_on: date | None = None
    done_on: date | None = None  # accept_work: the real date of realisation
    closure: Closure | None = None
    rpw_id: str = ""


@dataclass(frozen=True)
class Move:
    """The outcome: the new place and what to record."""

    place: Place
    handed: bool = False  # a new holder: the take-up clock restarts
    taken: bool = False
    finished: bool = False
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def actions_for(actor: Actor, place: Place) -> list[Action]:
    if not can_edit(actor, place):
        return []
    found = []
    for action, (roles, sources) in _RULES.items():
        if actor.role not in roles or place.status not in sources:
            continue
        if action is Action.TAKE and place.taken:
            continue
        if action is Action.TAKE and not _holder_of(actor, place):
            continue
        if place.status in (Status.COORDINATOR, Status.SUSPENDED) and actor.role == Role.REALIZER:
            continue
        if place.status in (Status.REALIZER, Status.IN_PROGRESS, Status.CONTRACTOR) and (
            actor.role == Role.COORDINATOR
        ):
            continue
        found.append(action)
    return found


def _holder_of(actor: Actor, place: Place) -> bool:
    """Taking up belongs to the group holding the report (operators may act for anyone)."""
    if actor.sees_all:
        return True
    if place.status == Status.COORDINATOR:
        return actor.role == Role.COORDINATOR
    return actor.role == Role.REALIZER


def _need(*values: object) -> None:
    if any(v is None or (isinstance(v, str) and not v.strip()) for v in values):
        raise Missing()


def decide(
    actor: Actor,
    place: Place,
    step: Step,
    *,
    group_department: dict[int, int] | None = None,
    handed_at: datetime | None = None,
    now: datetime | None = None,
    calendar: WorkCalendar | None = None,
    sla: Sla = Sla(),  # noqa: B008  (frozen)
    received_at: datetime | None = None,
    delay_reason: str | None = None,
    planned_on: date | None = None,
    realise_hours: int | None = None,
    paused: timedelta = timedelta(0),
) -> Move:
    """The report's next place after ``step``, or a ``FaultError`` saying why not.
    ``group_department`` maps group ids to their departments (a coordinator group chosen must
    exist); returning to the operator needs ``handed_at``, ``now`` and ``calendar``; finishing
    a late report (from ``received_at``) needs its ``delay_reason`` and ``planned_on``."""
    if step.action not in actions_for(actor, place):
        if not can_edit(actor, place):
            raise NotAllowed()
        _roles, sources = _RULES[step.action]
        raise WrongStatus() if place.status not in sources else NotAllowed()
    if received_at is not None and now is not None and calendar is not None:
        _check_delay(
            step, received_at, now, calendar, sla, delay_reason, planned_on, realise_hours, paused
        )
    groups = group_department or {}
    a, s = step.action, Status
    if a in (Action.FORWARD, Action.FORWARD_COORDINATOR):
        if step.group_id not in groups or step.group_id == place.coordinator_group_id:
            raise Missing("Choose a coordinator group.")
        return Move(
            Place(s.COORDINATOR, groups[step.group_id], step.group_id, None),
            handed=True,
            note=step.reason.strip(),
        )
    if a is Action.ASSIGN:
        if step.group_id not in groups:
            raise Missing("Choose a realizer group.")
        new = Place(s.REALIZER, place.department_id, place.coordinator_group_id, step.group_id)
        return Move(new, handed=True, note=step.reason.strip())
    if a is Action.TAKE:
        status = s.IN_PROGRESS if place.status == s.REALIZER else place.status
        return Move(_with(place, status, taken=True), taken=True)
    if a is Action.RETURN_TO_OPERATOR:
        _need(step.reason)
        if handed_at is None or now is None or calendar is None:
            raise ReturnTooLate()
        if now > calendar.add_days(handed_at, sla.return_days):
            raise ReturnTooLate()
        return Move(Place(s.RETURNED), handed=True, note=step.reason.strip())
    if a is Action.SUSPEND:
        _need(step.reason, step.until)
        return Move(
            _with(place, s.SUSPENDED, taken=True),
            note=step.reason.strip(),
            extra={"suspended_until": step.until},
        )
    if a is Action.RESUME:
        return Move(_with(place, s.COORDINATOR, taken=True), extra={"suspended_until": None})
    if a is Action.RETURN_TO_COORDINATOR:
        _need(step.reason)
        new = Place(s.COORDINATOR, place.department_id, place.coordinator_group_id, None)
        extra: dict[str, object] = {"suspended_until": step.until} if step.until else {}
        return Move(new, handed=True, note=step.reason.strip(), extra=extra)
    if a is Action.CONTRACTOR:
        _need(step.firm, step.ordered_on, step.until)
        return Move(
            _with(place, s.CONTRACTOR, taken=True),
            note=step.firm.strip(),
            extra={
                "contractor": step.firm.strip()[:200],
                "contractor_ordered_on": step.ordered_on,
                "contractor_due_on": step.until,
            },
        )
    if a is Action.REJECT_WORK:
        _need(step.reason)
        return Move(_with(place, s.IN_PROGRESS, taken=True), note=step.reason.strip())
    if a is Action.ACCEPT_WORK:
        _need(step.done_on)
        return Move(
            _with(place, s.RESOLVED, taken=True),
            finished=True,
            note=step.reason.strip(),
            extra={"done_on": step.done_on},
        )
    if a is Action.RESOLVE:
        return Move(_with(place, s.RESOLVED, taken=True), finished=True, note=step.reason.strip())
    # CLOSE and CLOSE_BY_OPERATOR: the reason and the RPW id are required (§ 14 ust. 3, § 15
    # ust. 4); a realizer's "not an intervention" (§ 21 ust. 2 pkt 1) needs no RPW id.
    _need(step.reason, step.closure)
    if a is Action.CLOSE_BY_OPERATOR and step.closure is Closure.NOT_INTERVENTION:
        raise Missing("An operator closes a report as out of scope or handled outside.")
    if step.closure is not Closure.NOT_INTERVENTION:
        _need(step.rpw_id)
    return Move(
        _with(place, s.CLOSED, taken=True),
        finished=True,
        note=step.reason.strip(),
        extra={"closure": str(step.closure), "rpw_id": step.rpw_id.strip()[:60] or None},
    )


_FINISHING = frozenset({Action.RESOLVE, Action.ACCEPT_WORK, Action.CLOSE})


def _check_delay(
    step: Step,
    received_at: datetime,
    now: datetime,
    calendar: WorkCalendar,
    sla: Sla,
    delay_reason: str | None,
    planned_on: date | None,
    realise_hours: int | None = None,
    paused: timedelta = timedelta(0),
) -> None:
    """Realising a report after the deadline (§ 18 ust. 1) needs the reason and the planned
    date recorded first (§ 18 ust. 2, § 17 ust. 2 pkt 6). Accepted work counts by the day it
    was really done, not the day it was entered."""
    if step.action not in _FINISHING:
        return
    due = effective_due(calendar, sla.realise_due(calendar, received_at, realise_hours), paused)
    if step.action is Action.ACCEPT_WORK and step.done_on is not None:
        late = step.done_on > due.astimezone(calendar.tz).date()
    else:
        late = now > due
    if late and not ((delay_reason or "").strip() and planned_on is not None):
        raise LateWithoutReason()


def _with(place: Place, status: Status, *, taken: bool) -> Place:
    return Place(
        status, place.department_id, place.coordinator_group_id, place.realizer_group_id, taken
    )


# -- SLA ---------------------------------------------------------------------------------------


def effective_due(calendar: WorkCalendar, due: datetime, paused: timedelta) -> datetime:
    """The realisation deadline moved by the working time the report spent suspended.

    Decision (seed 001, § 19 ust. 3 and § 21 ust. 2 pkt 2): a suspension is "odłożenie
    realizacji w czasie" with its own reason and date, so the realisation clock of § 18
    ust. 1 stops while the report is suspended and runs on when it is resumed; the working
    time spent suspended is added to the deadline (working time, as the clock counts)."""
    return calendar.add(due, paused) if paused > timedelta(0) else due


def pause_of(
    calendar: WorkCalendar,
    paused_s: int | None,
    suspended_at: datetime | None,
    now: datetime,
) -> timedelta:
    """The past suspensions' working time plus the current one's so far."""
    total = timedelta(seconds=paused_s or 0)
    if suspended_at is not None:
        total += calendar.elapsed(suspended_at, now)
    return total


@dataclass(frozen=True)
class SlaState:
    take_up_due: datetime | None  # while handed and not taken up
    realise_due: datetime
    return_due: datetime | None  # while a coordinator may still return it
    take_up_late: bool
    overdue: bool  # not finished and past the realisation deadline
    finished_late: bool
    needs_delay_reason: bool  # late (or finished late) without a reason and a planned date
    paused: bool = False  # the deadline was (or is being) moved by a suspension


def sla_state(
    calendar: WorkCalendar,
    sla: Sla,
    *,
    status: Status,
    received_at: datetime,
    handed_at: datetime | None,
    taken: bool,
    finished_at: datetime | None,
    delay_reason: str | None,
    planned_on: date | None,
    now: datetime,
    realise_hours: int | None = None,
    paused_s: int | None = 0,
    suspended_at: datetime | None = None,
) -> SlaState:
    """§ 16 ust. 2 (1 day to take up from the hand-over), § 18 (10 days to realise from the
    receipt; ``realise_hours`` working hours for the devices' categories), § 19 ust. 4 pkt 1
    (2 days to return). Suspended reports are not flagged; a suspension moves the realisation
    deadline by its working time (``effective_due``), a running one up to ``now``."""
    running = suspended_at if status == Status.SUSPENDED else None
    paused = pause_of(calendar, paused_s, running, now)
    realise_due = effective_due(
        calendar, sla.realise_due(calendar, received_at, realise_hours), paused
    )
    waiting = status in (Status.COORDINATOR, Status.REALIZER) and not taken
    take_up_due = calendar.add_days(handed_at, sla.take_up_days) if waiting and handed_at else None
    return_due = (
        calendar.add_days(handed_at, sla.return_days)
        if status == Status.COORDINATOR and handed_at
        else None
    )
    finished = status in FINISHED
    overdue = not finished and status != Status.SUSPENDED and now > realise_due
    finished_late = finished and finished_at is not None and finished_at > realise_due
    has_reason = bool((delay_reason or "").strip()) and planned_on is not None
    return SlaState(
        take_up_due=take_up_due,
        realise_due=realise_due,
        return_due=return_due if return_due and now <= return_due else None,
        take_up_late=take_up_due is not None and now > take_up_due,
        overdue=overdue,
        finished_late=finished_late,
        needs_delay_reason=(overdue or finished_late) and not has_reason,
        paused=paused > timedelta(0) or running is not None,
    )


# -- several events in one report (§ 11, § 13 ust. 2) ------------------------------------------


@dataclass(frozen=True)
class Part:
    """One event of a duplicated report: its scope (what this addressee must do)."""

    scope: str
    subcategory_id: int | None = None


def split(description: str, parts: Iterable[Part]) -> list[str]:
    """The descriptions of the reports one per event: each tells its scope and, by number,
    the others (filled in as ``{others}`` once the numbers exist)."""
    found = [p for p in parts if p.scope.strip()]
    if len(found) < 2:
        raise Missing("A duplicated report needs at least two events.")
    return [f"{p.scope.strip()}\n\n{description.strip()}" for p in found]
