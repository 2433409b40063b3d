"""Queue statistics from events, in pure Python: waits from issue (or the booked hour) to the
first call, service from start to finish, the clerk who had the counter, no-shows, hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.domain import events as ev
from web.reports.stats import TZ, Spread, facts, grouped, per_hour, reservation_outcome, summarize

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def issued(tid: str, minute: float, service: str = "dowody", **kw: object) -> ev.TicketIssued:
    return ev.TicketIssued(
        at=at(minute),
        ticket_id=tid,
        token=f"tok-{tid}",
        service=service,
        seq=1,
        number=tid.upper(),
        kind=kw.pop("kind", "walk_in"),
        **kw,  # type: ignore[arg-type]
    )


def day() -> list[tuple[str, ev.Event]]:
    e: list[ev.Event] = [
        ev.CounterOpened(at=at(0), counter="s1", clerk="ewa"),
        issued("a1", 0),
        issued("a2", 1),
        issued("r1", 2, kind="reservation", not_before=at(30), reservation_code="K7M2Q9PX"),
        ev.TicketCalled(at=at(10), ticket_id="a1", counter="s1", call_no=1),
        ev.ServiceStarted(at=at(11), ticket_id="a1", counter="s1"),
        ev.ServiceFinished(at=at(21), ticket_id="a1", counter="s1"),
        ev.CounterOpened(at=at(22), counter="s1", clerk="jan"),
        ev.TicketCalled(at=at(25), ticket_id="a2", counter="s1", call_no=1),
        ev.TicketNoShow(at=at(27), ticket_id="a2", counter="s1", removed=True),
        ev.TicketCalled(at=at(35), ticket_id="r1", counter="s1", call_no=1),
        ev.ServiceStarted(at=at(36), ticket_id="r1", counter="s1"),
        ev.ServiceFinished(at=at(41), ticket_id="r1", counter="s1"),
    ]
    return [("torun", x) for x in e]


def test_waits_count_from_the_booked_hour_and_service_from_start_to_finish():
    by_id = {t.ticket_id: t for t in facts(day())}
    assert by_id["a1"].waiting_s == 600 and by_id["a1"].service_s == 600
    assert by_id["r1"].waiting_s == 300  # booked for 9:30, called 9:35: not 33 minutes
    assert by_id["a2"].no_show and by_id["a2"].service_s is None


def test_the_clerk_is_whoever_had_the_counter_at_the_call():
    clerks = grouped(facts(day()), lambda t: t.clerk)
    assert clerks["ewa"].tickets == 1 and clerks["jan"].tickets == 2


def test_summary_and_no_show_rate():
    s = summarize(facts(day()))
    assert (s.tickets, s.served, s.no_shows) == (3, 2, 1)
    assert s.no_show_rate == 1 / 3
    assert s.waiting.median == 600  # waits 600, 1440, 300
    assert per_hour(facts(day())) == {9: 3}


def test_spread_percentile_and_empty():
    spread = Spread.of([float(v) for v in range(1, 11)])
    assert spread.median == 5.5 and spread.p90 == 10 and spread.mean == 5.5
    assert Spread.of([]) == Spread()


def test_reservations_kept_and_missed():
    now = at(120)
    out = reservation_outcome(
        [
            ("checked_in", at(0)),
            ("confirmed", at(60)),
            ("confirmed", at(600)),
            ("no_show", at(0)),
            ("cancelled", at(0)),
        ],
        now,
    )
    assert (out.kept, out.missed, out.cancelled) == (1, 2, 1)
    assert out.kept_rate == 1 / 3
