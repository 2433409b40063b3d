"""The queue's rules in pure Python: numbering, availability, the no-show rule, the call order
with bounded priority, transfers, the building limit, and replay after a restart."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.config import Site
from hub.domain import commands as cmd
from hub.domain import errors as err
from hub.domain import events as ev
from hub.domain.events import PriorityReason, TicketKind
from hub.domain.model import TicketState
from hub.domain.queue import IdSource, Queue

# Tuesday 24 Nov 2026, 10:00 in Warsaw (UTC+1).
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOURS = {
    "mon": "08:00-16:00",
    "tue": "08:00-17:00",
    "wed": "08:00-16:00",
    "thu": "08:00-16:00",
    "fri": "08:00-16:00",
}


def make_site(**site: object) -> Site:
    data: dict[str, object] = {
        "id": "t",
        "name": "Urząd",
        "services": [
            {"id": "a", "name": "Dowody", "prefix": "A", "hours": HOURS, "cutoff_minutes": 30},
            {"id": "b", "name": "Meldunki", "prefix": "B", "hours": HOURS, "daily_limit": 2},
            {"id": "c", "name": "Kasa", "prefix": "C", "hours": HOURS},
        ],
        "counters": [
            {"id": "s1", "name": "Stanowisko 1", "number": "1", "services": ["a", "b"]},
            {"id": "s2", "name": "Stanowisko 2", "number": "2", "services": ["b", "a"]},
            {"id": "s3", "name": "Stanowisko 3", "number": "3", "services": ["c"]},
        ],
    }
    data.update(site)
    return Site.model_validate(data)


def make_queue(site: Site | None = None) -> Queue:
    n = itertools.count(1)
    ids = IdSource(ticket_id=lambda: f"t{next(n)}", token=lambda: f"tok{next(n)}")
    return Queue(site or make_site(), ids=ids, today=date(2026, 11, 24))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def issue(q: Queue, service: str = "a", minute: float = 0, **kw: object) -> ev.TicketIssued:
    (e,) = q.handle(cmd.IssueTicket(service, **kw), at(minute))  # type: ignore[arg-type]
    assert isinstance(e, ev.TicketIssued)
    return e


def call(q: Queue, counter: str = "s1", minute: float = 0) -> str:
    events = q.handle(cmd.CallNext(counter), at(minute))
    called = [e for e in events if isinstance(e, ev.TicketCalled)]
    return q.state.tickets[called[-1].ticket_id].number


def serve(q: Queue, when: datetime) -> list[ev.Event]:
    """The clerk starts (if only called) and finishes the current visitor at ``when``."""
    current = q.state.current_ticket("s1")
    if current is not None and current.state is TicketState.CALLED:
        q.handle(cmd.StartService("s1"), when)
    return q.handle(cmd.FinishService("s1"), when)


def open_counter(q: Queue, counter: str = "s1") -> None:
    q.handle(cmd.OpenCounter(counter, "ewa"), at(0))


# --- numbering and availability --------------------------------------------------------------


def test_numbers_are_daily_per_service_from_one():
    q = make_queue()
    assert [issue(q, s).number for s in ("a", "a", "b", "a")] == ["A001", "A002", "B001", "A003"]


def test_numbering_restarts_on_a_new_warsaw_day():
    q = make_queue()
    issue(q)
    # 23:30 UTC on the 24th is already 00:30 on the 25th in Warsaw; the office opens at 8.
    next_morning = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    (e,) = q.handle(cmd.IssueTicket("a"), next_morning)
    assert isinstance(e, ev.TicketIssued) and e.number == "A001"
    assert q.state.day == date(2026, 11, 25)


def test_replaying_stored_events_rebuilds_the_same_day():
    q = make_queue()
    log: list[ev.Event] = []
    open_counter(q)
    log += q.handle(cmd.OpenCounter("s1", "ewa"), at(0))
    for s in ("a", "a", "b"):
        log += q.handle(cmd.IssueTicket(s), at(1))
    log += q.handle(cmd.CallNext("s1"), at(2))
    log += q.handle(cmd.NoShow("s1"), at(3))
    again = make_queue()
    again.replay(log)
    assert {t.number: t.state for t in again.state.tickets.values()} == {
        t.number: t.state for t in q.state.tickets.values()
    }
    assert issue(again, "a", 5).number == "A003"


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (datetime(2026, 11, 24, 6, 0, tzinfo=UTC), "closed"),  # 07:00 local, before opening
        (datetime(2026, 11, 24, 15, 40, tzinfo=UTC), "cutoff"),  # 16:40, closes at 17:00
        (datetime(2026, 11, 28, 10, 0, tzinfo=UTC), "closed"),  # Saturday
    ],
)
def test_no_walk_in_tickets_outside_hours_or_after_cutoff(moment: datetime, reason: str):
    q = make_queue()
    with pytest.raises(err.ServiceUnavailable) as info:
        q.handle(cmd.IssueTicket("a"), moment)
    assert info.value.reason == reason


def test_daily_limit_stops_a_service_but_not_the_others():
    q = make_queue()
    issue(q, "b"), issue(q, "b")
    with pytest.raises(err.ServiceUnavailable) as info:
        issue(q, "b")
    assert info.value.reason == "daily_limit"
    assert issue(q, "a").number == "A001"


def test_building_limit_pauses_issuing_and_resumes_by_itself():
    q = make_queue(make_site(building_limit=2))
    open_counter(q)
    issue(q), issue(q)
    with pytest.raises(err.ServiceUnavailable) as info:
        issue(q, "c")
    assert info.value.reason == "building_full"
    # A reservation that checks in is not turned away at the door.
    issue(q, "a", kind=TicketKind.RESERVATION, not_before=at(30), reservation_code="ABC123")
    call(q)
    serve(q, at(5))
    assert q.availability("a", at(5)) == "building_full"  # two inside still (one reservation)
    q.handle(cmd.CallNext("s1"), at(6))
    serve(q, at(7))
    assert q.availability("a", at(7)) == "open"
    assert issue(q, "a", 8).number == "A004"


# --- ticket life and the no-show rule --------------------------------------------------------


def test_ticket_goes_waiting_called_serving_done():
    q = make_queue()
    open_counter(q)
    t = issue(q)
    call(q)
    assert q.state.tickets[t.ticket_id].state is TicketState.CALLED
    q.handle(cmd.StartService("s1"), at(1))
    assert q.state.tickets[t.ticket_id].state is TicketState.SERVING
    serve(q, at(9))
    assert q.state.tickets[t.ticket_id].state is TicketState.DONE
    assert q.state.counter("s1").served == 1


def test_call_next_while_only_called_is_refused_and_changes_nothing():
    q = make_queue()
    open_counter(q)
    issue(q), issue(q)
    call(q)
    before = {t.id: t.state for t in q.state.tickets.values()}
    with pytest.raises(err.CounterBusy):
        q.handle(cmd.CallNext("s1"), at(1))
    assert {t.id: t.state for t in q.state.tickets.values()} == before


def test_call_next_while_serving_finishes_the_current_visitor():
    q = make_queue()
    open_counter(q)
    first, _ = issue(q), issue(q)
    call(q)
    q.handle(cmd.StartService("s1"), at(1))
    assert call(q, minute=5) == "A002"
    assert q.state.tickets[first.ticket_id].state is TicketState.DONE


def test_a_closed_or_paused_counter_cannot_call():
    q = make_queue()
    issue(q)
    with pytest.raises(err.CounterNotOpen):
        q.handle(cmd.CallNext("s1"), at(1))
    open_counter(q)
    q.handle(cmd.PauseCounter("s1"), at(1))
    with pytest.raises(err.CounterNotOpen):
        q.handle(cmd.CallNext("s1"), at(2))
    q.handle(cmd.ResumeCounter("s1"), at(3))
    assert call(q, minute=3) == "A001"


def test_no_show_is_called_again_after_the_next_visitor_then_removed_after_three_calls():
    q = make_queue()
    open_counter(q)
    missing = issue(q)
    for _ in range(3):
        issue(q)
    assert call(q) == "A001"
    q.handle(cmd.NoShow("s1"), at(1))
    assert q.state.tickets[missing.ticket_id].state is TicketState.SKIPPED
    assert call(q, minute=2) == "A002"  # skipped: the next visitor comes first
    events = serve(q, at(3))
    again = [e for e in events if isinstance(e, ev.TicketCalled)]
    assert len(again) == 1 and again[0].auto and again[0].call_no == 2
    assert again[0].ticket_id == missing.ticket_id
    # A manual recall repeats the announcement but is not one of the three calls.
    (recall,) = q.handle(cmd.Recall("s1"), at(3.5))
    assert isinstance(recall, ev.TicketCalled) and recall.recall and recall.call_no == 2
    q.handle(cmd.NoShow("s1"), at(4))
    assert call(q, minute=5) == "A003"
    events = serve(q, at(6))
    third = [e for e in events if isinstance(e, ev.TicketCalled)]
    assert third and third[0].call_no == 3
    (gone,) = q.handle(cmd.NoShow("s1"), at(7))
    assert isinstance(gone, ev.TicketNoShow) and gone.removed
    assert q.state.tickets[missing.ticket_id].state is TicketState.REMOVED
    assert call(q, minute=8) == "A004"


def test_a_no_show_is_called_again_when_nobody_else_waits():
    q = make_queue()
    open_counter(q)
    missing = issue(q)
    assert call(q) == "A001"
    q.handle(cmd.NoShow("s1"), at(1))
    # Nobody else waits: "Przywołaj" calls the skipped visitor (call 2), not "queue empty".
    (again,) = q.handle(cmd.CallNext("s1"), at(2))
    assert isinstance(again, ev.TicketCalled)
    assert again.ticket_id == missing.ticket_id and again.call_no == 2
    q.handle(cmd.NoShow("s1"), at(3))
    assert call(q, minute=4) == "A001"
    assert q.state.tickets[missing.ticket_id].calls == 3
    (gone,) = q.handle(cmd.NoShow("s1"), at(5))
    assert isinstance(gone, ev.TicketNoShow) and gone.removed
    with pytest.raises(err.QueueEmpty):
        q.handle(cmd.CallNext("s1"), at(6))


def test_a_waiting_visitor_still_comes_before_a_no_show():
    q = make_queue()
    open_counter(q)
    issue(q)
    call(q)
    q.handle(cmd.NoShow("s1"), at(1))
    issue(q, minute=2)
    assert call(q, minute=3) == "A002"


def test_closing_a_counter_returns_its_skipped_visitors_to_the_queue():
    q = make_queue()
    open_counter(q)
    t = issue(q)
    call(q)
    q.handle(cmd.NoShow("s1"), at(1))
    q.handle(cmd.CloseCounter("s1"), at(2))
    assert q.state.tickets[t.ticket_id].state is TicketState.WAITING
    open_counter(q, "s2")
    assert call(q, "s2", 3) == "A001"


# --- call order -------------------------------------------------------------------------------


def test_transfer_keeps_the_place_by_issue_time():
    q = make_queue()
    open_counter(q), open_counter(q, "s3")
    early = issue(q, "a", 0)
    issue(q, "c", 1)
    call(q, "s1", 2)
    q.handle(cmd.Transfer("s1", to_service="c"), at(3))
    # The transferred A001 was issued before C001, so the cash desk calls it first.
    assert call(q, "s3", 4) == early.number


def test_transfer_to_a_counter_is_called_only_there():
    q = make_queue()
    open_counter(q), open_counter(q, "s2")
    issue(q, "a")
    call(q, "s1")
    q.handle(cmd.Transfer("s1", to_counter="s2"), at(1))
    with pytest.raises(err.QueueEmpty):
        q.handle(cmd.CallNext("s1"), at(2))
    assert call(q, "s2", 2) == "A001"
    with pytest.raises(err.InvalidTransfer):
        q.handle(cmd.Transfer("s2", to_counter="s2"), at(3))


def test_priority_first_but_never_more_than_k_in_a_row_while_others_wait():
    q = make_queue(make_site(priority_streak=2))
    open_counter(q)
    issue(q, "a", 0)  # A001 walk-in, waiting longest
    for m in (1, 2, 3):
        issue(q, "a", m, kind=TicketKind.PRIORITY, priority_reason=PriorityReason.PREGNANCY)
    order = []
    for m in range(4):
        order.append(call(q, minute=10 + 2 * m))
        serve(q, at(11 + 2 * m))
    assert order == ["A002", "A003", "A001", "A004"]


def test_priority_continues_when_nobody_else_waits():
    q = make_queue(make_site(priority_streak=1))
    open_counter(q)
    for m in (0, 1):
        issue(q, "a", m, kind=TicketKind.PRIORITY, priority_reason=PriorityReason.DISABILITY)
    assert call(q, minute=2) == "A001"
    serve(q, at(3))
    assert call(q, minute=4) == "A002"


def test_due_reservations_come_first_and_early_ones_wait_for_their_hour():
    q = make_queue()
    open_counter(q)
    issue(q, "a", 0)
    issue(q, "a", 1, kind=TicketKind.RESERVATION, not_before=at(30), reservation_code="LATER1")
    issue(q, "a", 2, kind=TicketKind.RESERVATION, not_before=at(5), reservation_code="NOW123")
    assert call(q, minute=10) == "A003"  # its hour has come
    serve(q, at(11))
    assert call(q, minute=12) == "A001"  # A002's hour has not
    serve(q, at(13))
    with pytest.raises(err.QueueEmpty):
        q.handle(cmd.CallNext("s1"), at(14))
    assert call(q, minute=31) == "A002"


def test_longest_wait_is_weighted_by_the_counters_order_of_services():
    q = make_queue()
    open_counter(q)
    issue(q, "b", 0)  # B001 at 0: s1 serves "b" second (weight 0.75)
    issue(q, "a", 2)  # A001 at 2: first service (weight 1)
    # At minute 10: A waited 8 × 1 = 8, B waited 10 × 0.75 = 7.5 → A first.
    assert call(q, minute=10) == "A001"
    serve(q, at(10.5))
    issue(q, "a", 40)
    # At minute 41: B waited 41 × 0.75 ≈ 31, A002 1 → B first.
    assert call(q, minute=41) == "B001"


def test_a_custom_policy_is_used_for_every_call():
    class NewestFirst:
        def choose(self, waiting, counter, runtime, now):  # type: ignore[no-untyped-def]
            return max(waiting, key=lambda t: t.issued_at, default=None)

    q = make_queue()
    q.policy = NewestFirst()
    open_counter(q)
    issue(q, "a", 0), issue(q, "a", 1)
    assert call(q, minute=2) == "A002"


# --- what people see --------------------------------------------------------------------------


def test_estimates_use_recent_service_times_and_open_counters():
    q = make_queue()
    assert q.estimated_wait("a", 3) is None  # no counter open: unknown, not zero
    open_counter(q)
    for m in range(4):
        issue(q, "a", m)
    call(q, minute=5)
    q.handle(cmd.StartService("s1"), at(5))
    serve(q, at(9))  # a 4-minute service
    assert q.service_seconds("a") == 240
    assert q.estimated_wait("a", 2) == 480
    open_counter(q, "s2")
    assert q.estimated_wait("a", 2) == 240


def test_people_ahead_counts_priority_before_walk_ins():
    q = make_queue()
    walk = issue(q, "a", 0)
    prio = issue(q, "a", 1, kind=TicketKind.PRIORITY, priority_reason=PriorityReason.SENIOR)
    late = issue(q, "a", 2)
    tickets = q.state.tickets
    assert q.people_ahead(tickets[prio.ticket_id], at(3)) == 0
    assert q.people_ahead(tickets[walk.ticket_id], at(3)) == 1
    assert q.people_ahead(tickets[late.ticket_id], at(3)) == 2


def test_only_a_started_visit_can_be_finished_and_counted_as_served() -> None:
    q = make_queue()
    q.handle(cmd.OpenCounter("s1", clerk="ewa"), at(0))
    issue(q, "a")
    call(q, minute=1)
    with pytest.raises(err.NothingToDo):
        q.handle(cmd.FinishService("s1"), at(2))  # called, never came to the counter
    with pytest.raises(err.CounterBusy):
        q.handle(cmd.PauseCounter("s1"), at(2))  # a break leaves nobody standing called
    assert q.state.counter("s1").served == 0
    q.handle(cmd.StartService("s1"), at(3))
    q.handle(cmd.FinishService("s1"), at(8))
    assert q.state.counter("s1").served == 1
    q.handle(cmd.PauseCounter("s1"), at(9))


def test_the_wait_stays_known_on_a_break_and_after_sign_out_once_served():
    q = make_queue()
    issue(q, "a", 0), issue(q, "a", 1)
    assert q.estimated_wait("a", 2) is None  # nobody serves it yet: unknown
    open_counter(q)
    call(q, minute=5)
    q.handle(cmd.StartService("s1"), at(5))
    q.handle(cmd.FinishService("s1"), at(11))  # a 6-minute service
    q.handle(cmd.PauseCounter("s1"), at(11))
    assert q.open_counters("a") == 0
    assert q.estimated_wait("a", 1) == 360  # the break ends; the service times still hold
    assert q.service_view("a", at(12)).estimated_wait_s == 360
    q.handle(cmd.ResumeCounter("s1"), at(20))
    q.handle(cmd.CloseCounter("s1"), at(20))
    assert q.estimated_wait("a", 1) == 360
    assert q.estimated_wait("c", 1) is None  # never served today, no counter open


def test_the_hall_lists_a_ticket_once_per_counter_and_its_recall_on_top():
    q = make_queue()
    open_counter(q), open_counter(q, "s2")
    issue(q, "a", 0), issue(q, "a", 1), issue(q, "a", 2)
    call(q, "s1", 3)  # A001
    q.handle(cmd.NoShow("s1"), at(4))
    call(q, "s2", 4)  # A002
    call(q, "s1", 5)  # A003
    q.handle(cmd.Recall("s2"), at(6))
    q.handle(cmd.Recall("s2"), at(6.5))
    # Finishing A003 calls A001 again by the no-show rule.
    serve(q, at(7))
    rows = [(r.number, r.counter) for r in q.state.recent_calls]
    assert rows == [("A001", "s1"), ("A002", "s2"), ("A003", "s1")]
    current = {c: r.current for c, r in q.state.counters.items()}
    assert [q.state.tickets[t].number for t in current.values() if t] == ["A001", "A002"]
    q.handle(cmd.Transfer("s2", to_counter="s1"), at(8))
    issue(q, "b", 8)
    call(q, "s2", 9)  # B001: A002 keeps its (now plain) row at counter 2
    assert [(r.number, r.counter) for r in q.state.recent_calls][:2] == [
        ("B001", "s2"),
        ("A001", "s1"),
    ]
    assert ("A002", "s2") in [(r.number, r.counter) for r in q.state.recent_calls]


def test_waiting_numbers_are_listed_in_queue_order():
    q = make_queue()
    walk = issue(q, "a", 0)
    prio = issue(q, "a", 1, kind=TicketKind.PRIORITY, priority_reason=PriorityReason.SENIOR)
    issue(q, "a", 2)
    booked = issue(
        q, "a", 3, kind=TicketKind.RESERVATION, reservation_code="K7M2", not_before=at(60)
    )
    assert q.waiting_numbers("a", at(4), 10) == [prio.number, walk.number, "A003"]
    assert q.waiting_numbers("a", at(4), 2) == [prio.number, walk.number]
    # The booked visitor enters the queue at their hour, first.
    assert q.waiting_numbers("a", at(61), 10)[0] == booked.number


def test_a_checked_in_visit_is_called_by_its_own_number_and_walk_ins_keep_theirs():
    """Seed 003/004: a booked visitor carries R007 from the confirmation to the hall display."""
    from hub.domain.checkin import LocalReservation, check_in

    q = make_queue()
    log: list[ev.Event] = q.handle(cmd.OpenCounter("s1", "ewa"), at(0))
    log += q.handle(cmd.IssueTicket("a"), at(0))
    booked = LocalReservation("K7M2PQ3R", "a", at(20), number="R007")
    command = check_in(booked, at(5), early_min=60, late_min=15, already=False)
    log += q.handle(command, at(5))
    log += q.handle(cmd.IssueTicket("a"), at(6))
    issued = [e.number for e in log if isinstance(e, ev.TicketIssued)]
    assert issued == ["A001", "R007", "A002"]  # the walk-ins' numbers run on without a gap
    log += q.handle(cmd.CallNext("s1"), at(7))  # before the booked hour: the first walk-in
    log += q.handle(cmd.StartService("s1"), at(8))
    log += q.handle(cmd.FinishService("s1"), at(10))
    log += q.handle(cmd.CallNext("s1"), at(21))
    called = [e for e in log if isinstance(e, ev.TicketCalled)]
    assert q.state.tickets[called[-1].ticket_id].number == "R007"  # what the hall shows and says
    # Replayed after a restart, the day is the same and the next walk-in is still A003.
    again = make_queue()
    again.replay(log)
    assert issue(again, "a", 22).number == "A003"
    # A reservation synced before the cloud sent numbers gets the service's next number.
    old = LocalReservation("OLDCODE2", "a", at(30))
    (e,) = q.handle(check_in(old, at(25), early_min=60, late_min=15, already=False), at(25))
    assert isinstance(e, ev.TicketIssued) and e.number == "A003"
