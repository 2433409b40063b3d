"""Random command sequences (hypothesis): the queue refuses with QueueError or obeys, and its
invariants hold after every step; replaying the events gives the same state."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain import commands as cmd
from hub.domain import errors as err
from hub.domain.events import PriorityReason, TicketKind
from hub.domain.model import INSIDE, TicketState
from tests.domain.test_rules_core import T0, make_queue, make_site

COUNTERS = ["s1", "s2", "s3"]
counter = st.sampled_from(COUNTERS)
commands = st.one_of(
    st.builds(cmd.IssueTicket, st.sampled_from(["a", "b", "c"])),
    st.builds(
        lambda s: cmd.IssueTicket(s, TicketKind.PRIORITY, PriorityReason.OTHER),
        st.sampled_from(["a", "c"]),
    ),
    st.builds(cmd.CallNext, counter),
    st.builds(cmd.Recall, counter),
    st.builds(cmd.StartService, counter),
    st.builds(cmd.FinishService, counter),
    st.builds(cmd.NoShow, counter),
    st.builds(lambda c, s: cmd.Transfer(c, to_service=s), counter, st.sampled_from(["a", "c"])),
    st.builds(lambda c, d: cmd.Transfer(c, to_counter=d), counter, counter),
    st.builds(lambda c: cmd.OpenCounter(c, "ewa"), counter),
    st.builds(cmd.PauseCounter, counter),
    st.builds(cmd.ResumeCounter, counter),
    st.builds(cmd.CloseCounter, counter),
)


def check_invariants(q) -> None:  # type: ignore[no-untyped-def]
    state = q.state
    current = {}
    for cid, runtime in state.counters.items():
        if runtime.current is not None:
            t = state.tickets[runtime.current]
            assert t.state in (TicketState.CALLED, TicketState.SERVING)
            assert t.counter == cid
            assert t.id not in current, "a ticket is current at two counters"
            current[t.id] = cid
    for t in state.tickets.values():
        if t.state in (TicketState.CALLED, TicketState.SERVING):
            assert current.get(t.id) == t.counter, f"{t.number} is {t.state} but not current"
    numbers = [t.number for t in state.tickets.values()]
    assert len(numbers) == len(set(numbers))
    assert state.inside() == sum(1 for t in state.tickets.values() if t.state in INSIDE)
    assert sorted(t.id for t in state.waiting()) == sorted(
        t.id for t in state.tickets.values() if t.state is TicketState.WAITING
    )
    # The hall display: one row per ticket and counter, each counter's visitor now on top of
    # its rows (a call or recall moves the row up), so at most one current row per counter.
    rows = [(r.ticket_id, r.counter) for r in state.recent_calls]
    assert len(rows) == len(set(rows)), "a ticket is listed twice for one counter"
    current_rows = [c for t, c in rows if state.counters[c].current == t]
    assert len(current_rows) == len(set(current_rows))


@settings(max_examples=200, deadline=None)
@given(st.lists(commands, max_size=60))
def test_any_sequence_keeps_the_queue_consistent(sequence):  # type: ignore[no-untyped-def]
    q = make_queue(make_site(building_limit=8))
    log = []
    now = T0
    for command in sequence:
        now += timedelta(seconds=37)
        try:
            log += q.handle(command, now)
        except err.QueueError:
            pass
        check_invariants(q)
    again = make_queue(make_site(building_limit=8))
    again.replay(log)
    assert {t.id: (t.state, t.service, t.calls) for t in again.state.tickets.values()} == {
        t.id: (t.state, t.service, t.calls) for t in q.state.tickets.values()
    }
