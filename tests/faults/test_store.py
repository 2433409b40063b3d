"""Reports in the database (SQLite and PostgreSQL): the routing chain with each role's
visibility by list and by number, duplication, outage entries, replies, deletion."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import NOW, People
from web.faults import listing, store
from web.faults import tables as t
from web.faults.domain import (
    Action,
    Actor,
    Channel,
    Closure,
    Missing,
    NotAllowed,
    Part,
    ReturnTooLate,
    Status,
    Step,
)

WAW = ZoneInfo("Europe/Warsaw")


async def visible(engine: AsyncEngine, actor: Actor, report_id: int) -> tuple[bool, bool]:
    by_list = any(
        i.row.id == report_id
        for i in await listing.reports(engine, actor, listing.Filters(status="all"), NOW)
    )
    return by_list, await store.load(engine, actor, report_id) is not None


async def test_the_routing_chain_end_to_end_shows_each_report_only_in_scope(
    engine: AsyncEngine, people: People
):
    p = people
    rid, token = await store.file_report(
        engine,
        store.Draft(
            p.subs["dziura"],
            "Dziura na środku pasa",
            Channel.WEB,
            address="ul. Piotrkowska 100",
            lat=51.759,
            lon=19.457,
            attributes={"depth_cm": "12"},
            reply_wanted=True,
            email="Ala@Example.com",
        ),
        NOW,
    )
    assert (await store.by_token(engine, token)).id == rid  # type: ignore[union-attr]
    everyone = [
        p.operator,
        p.super,
        p.supervisor_zdit,
        p.supervisor_zzm,
        p.coord_roads,
        p.coord_transport,
        p.coord_zzm,
        p.real_roads,
        p.real_signs,
    ]

    async def who_sees() -> list[Actor]:
        seen = []
        for a in everyone:
            by_list, by_number = await visible(engine, a, rid)
            assert by_list == by_number, a
            if by_list:
                seen.append(a)
        return seen

    assert await who_sees() == [p.operator, p.super]
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), NOW
    )
    assert await who_sees() == [p.operator, p.super, p.supervisor_zdit, p.coord_roads]
    with pytest.raises(NotAllowed):  # another group's coordinator, by number
        await store.act(engine, p.coord_transport, rid, Step(Action.TAKE), NOW)
    with pytest.raises(NotAllowed):  # the supervisor only reads
        await store.act(engine, p.supervisor_zdit, rid, Step(Action.TAKE), NOW)
    later = NOW + timedelta(hours=1)
    await store.act(engine, p.coord_roads, rid, Step(Action.TAKE), later)
    await store.act(
        engine,
        p.coord_roads,
        rid,
        Step(Action.ASSIGN, group_id=p.groups["ZDIT-R-DROGI"], reason="pilne"),
        later,
    )
    assert await who_sees() == [
        p.operator,
        p.super,
        p.supervisor_zdit,
        p.coord_roads,
        p.real_roads,
    ]
    await store.act(engine, p.real_roads, rid, Step(Action.TAKE), later)
    await store.add_note(engine, p.real_roads, rid, "Wizja lokalna", later)
    await store.act(
        engine,
        p.real_roads,
        rid,
        Step(
            Action.CONTRACTOR, firm="Drogbud", ordered_on=date(2026, 3, 2), until=date(2026, 3, 6)
        ),
        later,
    )
    await store.act(
        engine, p.real_roads, rid, Step(Action.REJECT_WORK, reason="Łata odpada"), later
    )
    await store.record_reply(
        engine, p.real_roads, rid, date(2026, 3, 3), "e-mail", "Naprawimy", later
    )
    status = await store.act(
        engine, p.real_roads, rid, Step(Action.RESOLVE, reason="Załatane"), later
    )
    assert status == Status.RESOLVED
    kinds = [e.kind for e in await store.history(engine, rid)]
    assert kinds == [
        "filed",
        "forward",
        "take",
        "assign",
        "take",
        "note",
        "contractor",
        "reject_work",
        "reply",
        "resolve",
    ]
    assert all(e.actor_name for e in (await store.history(engine, rid))[1:])
    row = await store.load(engine, p.super, rid)
    assert row.reporter_email == "ala@example.com" and row.replied_at is not None  # type: ignore[union-attr]
    assert row.handler_id == p.real_roads.id and row.finished  # type: ignore[union-attr]


async def test_a_coordinator_returns_forwards_and_the_return_window_is_two_working_days(
    engine: AsyncEngine, people: People
):
    p = people
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["drzewo"], "Złamana gałąź", Channel.PHONE, address="Park"), NOW
    )
    await store.act(
        engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), NOW
    )
    await store.act(
        engine,
        p.coord_roads,
        rid,
        Step(Action.FORWARD_COORDINATOR, group_id=p.groups["ZZM-K"], reason="zieleń"),
        NOW,
    )
    assert await store.load(engine, p.coord_roads, rid) is not None  # handed on: read only
    assert await store.load(engine, p.supervisor_zzm, rid) is not None
    too_late = NOW + timedelta(days=3)  # Thursday: more than two working days
    with pytest.raises(ReturnTooLate):
        await store.act(
            engine, p.coord_zzm, rid, Step(Action.RETURN_TO_OPERATOR, reason="nie nasze"), too_late
        )
    await store.act(
        engine, p.coord_zzm, rid, Step(Action.RETURN_TO_OPERATOR, reason="nie nasze"), NOW
    )
    assert (await store.load(engine, p.operator, rid)).status == "returned"  # type: ignore[union-attr]
    assert await store.load(engine, p.coord_zzm, rid) is not None  # returned: read only
    with pytest.raises(Missing):  # closing out of scope needs the RPW id
        await store.act(
            engine,
            p.operator,
            rid,
            Step(Action.CLOSE_BY_OPERATOR, closure=Closure.OUT_OF_SCOPE, reason="PKP"),
            NOW,
        )
    await store.act(
        engine,
        p.operator,
        rid,
        Step(Action.CLOSE_BY_OPERATOR, closure=Closure.OUT_OF_SCOPE, reason="PKP", rpw_id="R/7"),
        NOW,
    )
    row = await store.load(engine, p.operator, rid)
    assert (row.status, row.rpw_id, row.close_reason) == ("closed", "R/7", "PKP")  # type: ignore[union-attr]


async def test_a_report_of_two_events_becomes_two_that_name_each_other(
    engine: AsyncEngine, people: People
):
    p = people
    rid, _ = await store.file_report(
        engine,
        store.Draft(
            p.subs["dziura"],
            "Dziura i złamane drzewo",
            Channel.EMAIL,
            address="ul. Zielona 1",
            files=[store.File("a.png", "image/png", b"\x89PNG\r\n\x1a\nxx")],
        ),
        NOW,
    )
    ids = await store.duplicate(
        engine,
        p.operator,
        rid,
        [Part("Dziura w jezdni"), Part("Złamane drzewo", p.subs["drzewo"])],
        NOW,
    )
    assert ids[0] == rid and len(ids) == 2
    copy = await store.load(engine, p.operator, ids[1])
    assert copy.scope == "Złamane drzewo" and copy.subcategory_id == p.subs["drzewo"]  # type: ignore[union-attr]
    assert [r.id for r in await store.family(engine, p.operator, copy)] == [rid]
    assert len(await store.files(engine, ids[1])) == 1
    notes = {e.note for e in await store.history(engine, ids[1]) if e.kind == "duplicated"}
    assert notes == {f"#{rid}, #{ids[1]}"}


async def test_outage_reports_are_entered_later_with_their_real_times(
    engine: AsyncEngine, people: People
):
    p = people
    real = datetime(2026, 2, 27, 10, tzinfo=WAW)  # Friday, during the outage
    rid, _ = await store.file_report(
        engine,
        store.Draft(
            p.subs["kosz"],
            "Przepełniony kosz",
            Channel.PHONE,
            address="Plac Wolności",
            received_at=real,
            created_by=p.operator.id,
            rpw_id="RPW/55",
        ),
        NOW,
    )
    await store.act(
        engine,
        p.operator,
        rid,
        Step(Action.FORWARD, group_id=p.groups["WGK-K"]),
        NOW,
        at=real + timedelta(minutes=20),
    )
    row = await store.load(engine, p.operator, rid)
    assert store.aware(row.received_at) == real  # type: ignore[union-attr]
    assert store.aware(row.handed_at) == real + timedelta(minutes=20)  # type: ignore[union-attr]
    events = await store.history(engine, rid)
    assert [store.aware(e.at) for e in events] == [real, real + timedelta(minutes=20)]
    assert all(store.aware(e.recorded_at) == NOW for e in events)
    # Ten working days from Friday 27 Feb 10:00 → Friday 13 March 10:00 (Warsaw).
    assert store.aware(row.realise_due) == datetime(2026, 3, 13, 10, tzinfo=WAW)  # type: ignore[union-attr]
    with pytest.raises(Missing):
        await store.file_report(
            engine,
            store.Draft(
                p.subs["kosz"], "x", Channel.PHONE, address="y", received_at=NOW + timedelta(1)
            ),
            NOW,
        )


async def test_only_the_super_supervisor_deletes_and_the_counts_stay(
    engine: AsyncEngine, people: People
):
    p = people
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["lawka"], "Ławka", Channel.WEB, address="Park"), NOW
    )
    await store.act(
        engine,
        p.operator,
        rid,
        Step(Action.CLOSE_BY_OPERATOR, closure=Closure.OUTSIDE, reason="MOSiR", rpw_id="R/1"),
        NOW,
    )
    with pytest.raises(NotAllowed):
        await store.delete_report(engine, p.operator, rid)
    await store.delete_report(engine, p.super, rid)
    assert await store.load(engine, p.super, rid) is None
    async with engine.connect() as conn:
        assert (await conn.execute(select(t.stats.c.finished, t.stats.c.on_time))).all() == [(1, 1)]
    stats = await listing.statistics(engine, p.super)
    assert [(s.label, s.finished, s.on_time_share) for s in stats["category"]] == [
        ("Mała architektura", 1, 100)
    ]


async def test_a_deleted_reports_number_is_never_given_again(engine: AsyncEngine, people: People):
    p = people

    async def register(text: str) -> int:
        draft = store.Draft(p.subs["lawka"], text, Channel.WEB, address="Park")
        return (await store.file_report(engine, draft, NOW))[0]

    first = await register("Ławka złamana")
    newest = await register("Ławka bez oparcia")
    await store.delete_report(engine, p.super, newest)
    again = await register("Ławka pomalowana sprayem")
    assert again > newest > first  # not the deleted one's number again
    await store.delete_report(engine, p.super, again)
    await store.delete_report(engine, p.super, first)  # none left at all
    assert await register("Ławka przewrócona") > again


async def test_the_realizer_returns_to_the_coordinator_who_suspends_and_resumes(
    engine: AsyncEngine, people: People
):
    p = people
    rid, _ = await store.file_report(
        engine, store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x"), NOW
    )
    for who, step in (
        (p.operator, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"])),
        (p.coord_roads, Step(Action.TAKE)),
        (p.coord_roads, Step(Action.ASSIGN, group_id=p.groups["ZDIT-R-DROGI"])),
        (p.real_roads, Step(Action.TAKE)),
    ):
        await store.act(engine, who, rid, step, NOW)
    later = NOW + timedelta(hours=2)
    with pytest.raises(Missing):  # § 21 ust. 2 pkt 2: the reason is required
        await store.act(engine, p.real_roads, rid, Step(Action.RETURN_TO_COORDINATOR), later)
    back = Step(Action.RETURN_TO_COORDINATOR, reason="Po remoncie sieci", until=date(2026, 5, 4))
    assert await store.act(engine, p.real_roads, rid, back, later) == Status.COORDINATOR
    row = await store.load(engine, p.coord_roads, rid)
    assert row is not None and not row.taken and row.realizer_group_id is None
    assert store.aware(row.handed_at) == later and row.suspended_until == date(2026, 5, 4)
    assert await store.load(engine, p.real_roads, rid) is None  # out of the realizer's scope
    with pytest.raises(Missing):  # § 19 ust. 3: a reason and a date
        await store.act(engine, p.coord_roads, rid, Step(Action.SUSPEND, reason="remont"), later)
    suspend = Step(Action.SUSPEND, reason="Remont sieci", until=date(2026, 5, 4))
    assert await store.act(engine, p.coord_roads, rid, suspend, later) == Status.SUSPENDED
    # Suspended: never flagged late, whatever the clock says.
    much_later = NOW + timedelta(days=60)
    [item] = await listing.reports(engine, p.coord_roads, listing.Filters(), much_later)
    assert item.row.status == "suspended" and not item.sla.overdue
    with pytest.raises(NotAllowed):
        await store.act(engine, p.coord_transport, rid, Step(Action.RESUME), much_later)
    assert await store.act(engine, p.coord_roads, rid, Step(Action.RESUME), much_later) == (
        Status.COORDINATOR
    )
    row = await store.load(engine, p.coord_roads, rid)
    assert row is not None and row.suspended_until is None
    kinds = [(e.kind, e.status) for e in await store.history(engine, rid)][-3:]
    assert kinds == [
        ("return_to_coordinator", "coordinator"),
        ("suspend", "suspended"),
        ("resume", "coordinator"),
    ]


async def test_the_monitoring_counts_are_taken_in_the_database_within_the_scope(
    engine: AsyncEngine, people: People
):
    p, old = people, NOW - timedelta(days=40)
    for group in ("ZDIT-K-DROGI", "ZDIT-K-TRANSPORT"):
        draft = store.Draft(p.subs["dziura"], "D", Channel.PHONE, address="x", received_at=old)
        rid, _ = await store.file_report(engine, draft, old)
        await store.act(
            engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups[group]), old
        )
    mine = await listing.monitor(engine, p.coord_roads, listing.Filters(), 3, NOW)
    assert mine.counts == listing.Counts(1, 1, 1, 1) and (mine.number, mine.pages) == (1, 1)
    every = await listing.monitor(engine, p.operator, listing.Filters(overdue=True), 1, NOW)
    assert every.counts == listing.Counts(2, 2, 2, 2) and len(every.items) == 2
