"""The report workflow without a database: scopes, the routing chain, what each step needs,
the two-day return window and the SLA flags."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from web.faults.domain import (
    Action,
    Actor,
    Closure,
    LateWithoutReason,
    Missing,
    NotAllowed,
    Place,
    ReturnTooLate,
    Role,
    Status,
    Step,
    WrongStatus,
    actions_for,
    can_delete,
    can_edit,
    can_see,
    decide,
    sla_state,
)
from web.faults.workdays import Sla, lodz_calendar

WAW = ZoneInfo("Europe/Warsaw")
CAL = lodz_calendar()
GROUPS = {10: 1, 11: 1, 20: 2, 30: 1, 31: 1}  # group → department; 10, 11, 20 coordinators

OPERATOR = Actor(1, Role.OPERATOR)
SUPER = Actor(2, Role.SUPER_SUPERVISOR)
SUPERVISOR_1 = Actor(3, Role.SUPERVISOR, department_id=1)
SUPERVISOR_2 = Actor(4, Role.SUPERVISOR, department_id=2)
COORD_10 = Actor(5, Role.COORDINATOR, department_id=1, group_id=10)
COORD_11 = Actor(6, Role.COORDINATOR, department_id=1, group_id=11)
REAL_30 = Actor(7, Role.REALIZER, department_id=1, group_id=30)
REAL_31 = Actor(8, Role.REALIZER, department_id=1, group_id=31)


def go(actor: Actor, place: Place, step: Step, **kw: object) -> Place:
    return decide(actor, place, step, group_department=GROUPS, **kw).place  # type: ignore[arg-type]


def test_the_chain_from_operator_to_realizer_shows_each_report_only_in_scope():
    place = Place(Status.NEW)
    assert [can_see(a, place) for a in (OPERATOR, SUPER, SUPERVISOR_1, COORD_10, REAL_30)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    place = go(OPERATOR, place, Step(Action.FORWARD, group_id=10))
    assert place == Place(Status.COORDINATOR, 1, 10, None)
    assert can_see(COORD_10, place) and not can_see(COORD_11, place)
    assert can_see(SUPERVISOR_1, place) and not can_see(SUPERVISOR_2, place)
    assert not can_edit(SUPERVISOR_1, place)
    assert actions_for(COORD_11, place) == []
    place = go(COORD_10, place, Step(Action.TAKE))
    place = go(COORD_10, place, Step(Action.ASSIGN, group_id=30))
    assert can_see(REAL_30, place) and not can_see(REAL_31, place)
    assert Action.ASSIGN not in actions_for(COORD_10, place)
    place = go(REAL_30, place, Step(Action.TAKE))
    assert place.status == Status.IN_PROGRESS
    move = decide(
        REAL_30,
        place,
        Step(
            Action.CONTRACTOR, firm="Drogbud", ordered_on=date(2026, 3, 3), until=date(2026, 3, 9)
        ),
    )
    assert move.extra["contractor"] == "Drogbud"
    place = go(REAL_30, move.place, Step(Action.REJECT_WORK, reason="Dziura nadal jest"))
    assert place.status == Status.IN_PROGRESS  # rejected work goes back
    place = go(
        REAL_30,
        go(
            REAL_30,
            place,
            Step(Action.CONTRACTOR, firm="X", ordered_on=date(2026, 3, 3), until=date(2026, 3, 9)),
        ),
        Step(Action.ACCEPT_WORK, done_on=date(2026, 3, 8)),
    )
    assert place.status == Status.RESOLVED
    assert actions_for(REAL_30, place) == []


def test_the_coordinator_forwards_suspends_and_resumes():
    place = go(OPERATOR, Place(Status.NEW), Step(Action.FORWARD, group_id=10))
    place = go(COORD_10, place, Step(Action.FORWARD_COORDINATOR, group_id=20, reason="ZZM"))
    assert place.department_id == 2 and not can_see(COORD_10, place)
    with pytest.raises(Missing):
        go(SUPER, place, Step(Action.SUSPEND, reason="zima"))
    place = go(SUPER, place, Step(Action.SUSPEND, reason="zima", until=date(2026, 4, 1)))
    assert place.status == Status.SUSPENDED
    assert go(SUPER, place, Step(Action.RESUME)).status == Status.COORDINATOR


def test_a_coordinator_returns_to_the_operator_only_within_two_working_days():
    place = go(OPERATOR, Place(Status.NEW), Step(Action.FORWARD, group_id=10))
    handed = datetime(2026, 3, 6, 15, tzinfo=WAW)  # Friday 15:00
    ok = datetime(2026, 3, 10, 15, tzinfo=WAW)  # Tuesday 15:00: two working days
    step = Step(Action.RETURN_TO_OPERATOR, reason="To ZDiT")
    kw = {"handed_at": handed, "calendar": CAL}
    assert go(COORD_10, place, step, now=ok, **kw).status == Status.RETURNED
    with pytest.raises(ReturnTooLate):
        go(COORD_10, place, step, now=ok + timedelta(minutes=1), **kw)


def test_closing_needs_a_reason_and_the_rpw_id_and_realizers_cannot_route():
    place = Place(Status.IN_PROGRESS, 1, 10, 30, True)
    with pytest.raises(Missing):
        go(REAL_30, place, Step(Action.CLOSE, closure=Closure.OUT_OF_SCOPE, reason="MPK"))
    closed = decide(
        REAL_30,
        place,
        Step(Action.CLOSE, closure=Closure.OUT_OF_SCOPE, reason="MPK", rpw_id="RPW/1/2026"),
    )
    assert closed.finished and closed.extra["rpw_id"] == "RPW/1/2026"
    assert go(
        REAL_30, place, Step(Action.CLOSE, closure=Closure.NOT_INTERVENTION, reason="pytanie")
    ).status == (Status.CLOSED)
    with pytest.raises(NotAllowed):
        go(COORD_10, place, Step(Action.RESOLVE))
    with pytest.raises(NotAllowed):
        go(SUPERVISOR_1, place, Step(Action.RESOLVE))
    with pytest.raises(WrongStatus):
        go(OPERATOR, place, Step(Action.FORWARD, group_id=10))
    assert can_delete(SUPER) and not can_delete(OPERATOR)


def test_overdue_reports_are_flagged_on_working_time_and_need_a_reason():
    received = datetime(2026, 3, 6, 17, tzinfo=WAW)  # Friday after hours → Monday 8:00
    kw = dict(
        status=Status.IN_PROGRESS,
        received_at=received,
        handed_at=received,
        taken=True,
        finished_at=None,
        delay_reason=None,
        planned_on=None,
    )
    due = datetime(2026, 3, 23, 8, tzinfo=WAW)  # ten working days after Monday 9 March 8:00
    assert sla_state(CAL, Sla(), now=due, **kw).realise_due == due  # type: ignore[arg-type]
    assert not sla_state(CAL, Sla(), now=due, **kw).overdue  # type: ignore[arg-type]
    late = sla_state(CAL, Sla(), now=due + timedelta(minutes=1), **kw)  # type: ignore[arg-type]
    assert late.overdue and late.needs_delay_reason
    kw.update(delay_reason="brak asfaltu", planned_on=date(2026, 4, 1))
    assert not sla_state(CAL, Sla(), now=due + timedelta(days=1), **kw).needs_delay_reason  # type: ignore[arg-type]
    kw.update(status=Status.COORDINATOR, taken=False)
    waiting = sla_state(CAL, Sla(), now=datetime(2026, 3, 10, 8, 1, tzinfo=WAW), **kw)  # type: ignore[arg-type]
    assert waiting.take_up_due == datetime(2026, 3, 10, 8, tzinfo=WAW) and waiting.take_up_late


def test_a_late_report_is_finished_only_with_a_reason_and_a_planned_date():
    received = datetime(2026, 3, 6, 17, tzinfo=WAW)
    due = datetime(2026, 3, 23, 8, tzinfo=WAW)  # as above
    working = Place(Status.IN_PROGRESS, 1, 10, 30, True)
    with_contractor = Place(Status.CONTRACTOR, 1, 10, 30, True)
    kw = {"received_at": received, "calendar": CAL}
    close = Step(Action.CLOSE, closure=Closure.NOT_INTERVENTION, reason="pytanie")
    for place, step in ((working, Step(Action.RESOLVE)), (working, close)):
        assert go(REAL_30, place, step, now=due, **kw).status in (Status.RESOLVED, Status.CLOSED)
        with pytest.raises(LateWithoutReason):
            go(REAL_30, place, step, now=due + timedelta(minutes=1), **kw)
    for place, step in (
        (working, Step(Action.RESOLVE)),
        (working, close),
        (with_contractor, Step(Action.ACCEPT_WORK, done_on=date(2026, 3, 24))),
    ):
        with pytest.raises(LateWithoutReason):
            go(REAL_30, place, step, now=due + timedelta(days=2), **kw)
        with pytest.raises(LateWithoutReason):  # a reason without a date is not enough
            go(REAL_30, place, step, now=due + timedelta(days=2), delay_reason="asfalt", **kw)
        done = go(
            REAL_30,
            place,
            step,
            now=due + timedelta(days=2),
            delay_reason="brak asfaltu",
            planned_on=date(2026, 3, 27),
            **kw,
        )
        assert done.status in (Status.RESOLVED, Status.CLOSED)
    # Work done on time and accepted later is not late; other steps are never held up.
    on_time = Step(Action.ACCEPT_WORK, done_on=date(2026, 3, 23))
    assert go(REAL_30, with_contractor, on_time, now=due + timedelta(days=3), **kw).status == (
        Status.RESOLVED
    )
    late_now = due + timedelta(days=3)
    assert go(
        REAL_30, working, Step(Action.RETURN_TO_COORDINATOR, reason="nie nasze"), now=late_now, **kw
    )
