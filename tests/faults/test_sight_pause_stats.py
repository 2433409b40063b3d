"""Issue 16 item 11 in the database (SQLite and PostgreSQL): a coordinator group keeps
read-only sight of what it handed on, a suspension pauses the realisation deadline, and the
statistics take a period and count how late reports were taken up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import NOW, People
from web.faults import listing, store
from web.faults.domain import Action, Actor, Channel, NotAllowed, Status, Step

WAW = ZoneInfo("Europe/Warsaw")


async def listed(engine: AsyncEngine, actor: Actor, rid: int, status: str = "all") -> bool:
    items = await listing.reports(engine, actor, listing.Filters(status=status), NOW)
    return any(i.row.id == rid for i in items)


async def test_a_coordinator_group_reads_what_it_forwarded_or_returned_and_cannot_act(
    engine: AsyncEngine, people: People
):
    p = people
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["drzewo"], "Złamana gałąź", Channel.PHONE, address="Park"), NOW
    )
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), NOW
    )
    assert not await listed(engine, p.coord_roads, rid, "handed")  # still its own
    await store.act(
        engine,
        p.coord_roads,
        rid,
        Step(Action.FORWARD_COORDINATOR, group_id=p.groups["ZZM-K"], reason="zieleń"),
        NOW,
    )
    # Forwarded: it opens by number and is in "przekazane", not among the group's own.
    assert await store.load(engine, p.coord_roads, rid) is not None
    assert await listed(engine, p.coord_roads, rid, "handed")
    assert not await listed(engine, p.coord_roads, rid, "all")
    # Read only: no step, no note, no details.
    for step in (Step(Action.TAKE), Step(Action.RETURN_TO_OPERATOR, reason="x")):
        with pytest.raises(NotAllowed):
            await store.act(engine, p.coord_roads, rid, step, NOW)
    with pytest.raises(NotAllowed):
        await store.add_note(engine, p.coord_roads, rid, "Moja notatka", NOW)
    # Another group that never held it sees nothing.
    assert await store.load(engine, p.coord_transport, rid) is None
    assert not await listed(engine, p.coord_transport, rid, "handed")

    # The group it went to returns it to the operator: that group keeps sight too.
    await store.act(
        engine, p.coord_zzm, rid, Step(Action.RETURN_TO_OPERATOR, reason="nie nasze"), NOW
    )
    assert await store.load(engine, p.coord_zzm, rid) is not None
    assert await listed(engine, p.coord_zzm, rid, "handed")
    with pytest.raises(NotAllowed):
        await store.act(engine, p.coord_zzm, rid, Step(Action.TAKE), NOW)

    # Forwarded back to the first group, it is its own again (and out of "przekazane").
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), NOW
    )
    assert not await listed(engine, p.coord_roads, rid, "handed")
    await store.act(engine, p.coord_roads, rid, Step(Action.TAKE), NOW)

    # Deleted (finished first): nothing of it stays in anybody's "przekazane".
    await store.act(
        engine, p.coord_roads, rid,
        Step(Action.FORWARD_COORDINATOR, group_id=p.groups["ZDIT-K-TRANSPORT"], reason="x"), NOW,
    )  # fmt: skip
    await store.delete_report(engine, p.super, rid)
    assert await store.load(engine, p.coord_roads, rid) is None
    assert not await listed(engine, p.coord_roads, rid, "handed")


async def test_a_suspension_pauses_the_realisation_deadline(engine: AsyncEngine, people: People):
    """Filed Monday 2 March 10:00: due Monday 16 March 10:00 (10 working days). Suspended
    from Monday 12:00 to Monday 9 March 12:00 (41 working hours), the deadline moves by as
    much: Monday 23 March 10:00."""
    p = people
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x"), NOW
    )
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), NOW
    )
    noon = datetime(2026, 3, 2, 12, 0, tzinfo=WAW)
    await store.act(engine, p.coord_roads, rid, Step(Action.TAKE), noon)
    suspend = Step(Action.SUSPEND, reason="Remont sieci", until=date(2026, 3, 9))
    await store.act(engine, p.coord_roads, rid, suspend, noon)
    resumed = datetime(2026, 3, 9, 12, 0, tzinfo=WAW)
    await store.act(engine, p.coord_roads, rid, Step(Action.RESUME), resumed)

    row = await store.load(engine, p.coord_roads, rid)
    assert row is not None
    moved = datetime(2026, 3, 23, 10, 0, tzinfo=WAW)
    sla = listing.sla_of(row, resumed)
    assert sla.realise_due == moved and sla.paused
    assert store.aware(row.realise_due) == moved  # the stored one too (statistics, list)

    past_the_old = datetime(2026, 3, 17, 12, 0, tzinfo=WAW)
    assert not listing.sla_of(row, past_the_old).overdue
    counts = await listing.counts(engine, p.coord_roads, listing.Filters(), past_the_old)
    assert counts.overdue == 0
    after = datetime(2026, 3, 23, 11, 0, tzinfo=WAW)
    assert listing.sla_of(row, after).overdue
    counts = await listing.counts(engine, p.coord_roads, listing.Filters(), after)
    assert counts.overdue == 1

    # Finishing after the old deadline but before the moved one needs no delay reason.
    await store.act(
        engine, p.coord_roads, rid, Step(Action.ASSIGN, group_id=p.groups["ZDIT-R-DROGI"]),
        past_the_old,
    )  # fmt: skip
    await store.act(engine, p.real_roads, rid, Step(Action.TAKE), past_the_old)
    done = await store.act(
        engine, p.real_roads, rid, Step(Action.RESOLVE, reason="Załatane"), past_the_old
    )
    assert done == Status.RESOLVED
    stats = await listing.statistics(engine, p.super, now=past_the_old)
    assert [(s.finished, s.on_time) for s in stats["category"]] == [(1, 1)]


async def test_a_running_suspension_shows_the_deadline_as_if_resumed_now(
    engine: AsyncEngine, people: People
):
    p = people
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x"), NOW
    )
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), NOW
    )
    await store.act(engine, p.coord_roads, rid, Step(Action.TAKE), NOW)
    await store.act(
        engine, p.coord_roads, rid, Step(Action.SUSPEND, reason="r", until=date(2026, 4, 1)), NOW
    )
    row = await store.load(engine, p.coord_roads, rid)
    a_day_on = NOW + timedelta(days=1)  # Tuesday 10:00: 9 working hours suspended
    sla = listing.sla_of(row, a_day_on)
    assert sla.paused and sla.realise_due == datetime(2026, 3, 17, 10, 0, tzinfo=WAW)


async def test_statistics_take_a_period_and_count_late_take_ups(
    engine: AsyncEngine, people: People
):
    """Forwarded Monday 2 March 10:00, the take-up is due Tuesday 10:00; taken up Wednesday
    12:00 it is 11 working hours late (Tuesday until 17:00, Wednesday from 8:00)."""
    p = people
    ids = []
    for day in (2, 16):  # received 2 and 16 March
        at = NOW.replace(day=day)
        draft = store.Draft(p.subs["dziura"], "D", Channel.PHONE, address="x", received_at=at)
        rid, _ = await store.file_report(engine, draft, at)
        await store.act(
            engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), at
        )
        ids.append(rid)
    late_take = datetime(2026, 3, 4, 12, 0, tzinfo=WAW)
    await store.act(engine, p.coord_roads, ids[0], Step(Action.TAKE), late_take)
    on_time = NOW.replace(day=16) + timedelta(hours=1)
    await store.act(engine, p.coord_roads, ids[1], Step(Action.TAKE), on_time)

    now = datetime(2026, 3, 20, 12, 0, tzinfo=WAW)
    every = await listing.statistics(engine, p.super, now=now)
    [line] = every["category"]
    assert (line.total, line.taken_late, line.mean_late_hours) == (2, 1, 11.0)
    first_half = listing.Period(date(2026, 3, 1), date(2026, 3, 15))
    [line] = (await listing.statistics(engine, p.super, first_half, now=now))["category"]
    assert (line.total, line.taken_late) == (1, 1)
    second_half = listing.Period(date(2026, 3, 16), date(2026, 3, 16))
    [line] = (await listing.statistics(engine, p.super, second_half, now=now))["category"]
    assert (line.total, line.taken_late, line.mean_late_hours) == (1, 0, None)
    nothing = listing.Period(date(2026, 4, 1), None)
    assert (await listing.statistics(engine, p.super, nothing, now=now))["category"] == []
