"""The register's search and a desk's day, on SQLite and on the real PostgreSQL: the same
answers from both (words of a name in any case, Polish capitals, phone digits, pages)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from web.reservations import store
from web.reservations.booking import TZ, Offer, Status
from web.staff import queries
from web.staff.filters import parse_filter

NOW = datetime(2025, 5, 12, 8, 0, tzinfo=UTC)
DAY = NOW.astimezone(TZ).date() + timedelta(days=1)


def at(hh: int, mm: int = 0) -> datetime:
    return datetime.combine(DAY, time(hh, mm), TZ)


async def _book(engine: AsyncEngine) -> dict[str, str]:
    codes = {}
    for name, contact, start, point in (
        ("Anna Nowak", "anna@example.org", at(9), "s1"),
        ("ŁUKASZ Żak", "48600100200", at(10), "s1"),
        ("Jan Nowakowski", "48601000000", at(11), "s2"),
    ):
        r = await store.hold(
            engine,
            Offer(service="dowody", service_point=point),
            start,
            name=name,
            contact=contact,
            now=NOW,
            location="loc",
            kind="phone",
            status=Status.CONFIRMED,
        )
        codes[name] = r.access_code
    return codes


async def test_search_answers_the_same_on_both_databases(engine: AsyncEngine):
    codes = await _book(engine)
    today = NOW.astimezone(TZ).date()

    async def names(**params: str) -> list[str]:
        f = parse_filter(params, today)
        assert not f.errors, f.errors
        return [r.name for r in (await queries.search(engine, f)).rows]

    assert await names() == ["Anna Nowak", "ŁUKASZ Żak", "Jan Nowakowski"]
    assert await names(last_name="NOWAK") == ["Anna Nowak", "Jan Nowakowski"]
    assert await names(first_name="łukasz", last_name="żak") == ["ŁUKASZ Żak"]
    assert await names(last_name="wak") == []
    assert await names(phone="600-100-200") == ["ŁUKASZ Żak"]
    assert await names(email="ANNA@") == ["Anna Nowak"]
    assert await names(code=codes["Jan Nowakowski"].lower()) == ["Jan Nowakowski"]
    assert await names(point="s2") == ["Jan Nowakowski"]
    assert await names(sort="-time") == ["Jan Nowakowski", "ŁUKASZ Żak", "Anna Nowak"]
    assert await names(**{"from": (DAY + timedelta(days=1)).isoformat()}) == []

    page2 = await queries.search(engine, parse_filter({"page": "2"}, today), page_size=2)
    assert (page2.total, page2.pages, page2.page) == (3, 2, 2)
    assert [r.name for r in page2.rows] == ["Jan Nowakowski"]


async def test_a_desks_day_leaves_out_other_desks_days_and_statuses(engine: AsyncEngine):
    await _book(engine)
    day = await queries.day_of_point(engine, "s1", DAY, queries.DOCKET_STATUSES)
    assert [r.name for r in day] == ["Anna Nowak", "ŁUKASZ Żak"]
    assert all(r.start.tzinfo is not None for r in day)
    await store.set_status(engine, day[0].id, Status.CANCELLED, NOW, actor="t@um.example")
    docket = await queries.day_of_point(engine, "s1", DAY, queries.DOCKET_STATUSES)
    plan = await queries.day_of_point(engine, "s1", DAY, queries.PLAN_STATUSES)
    assert [r.name for r in docket] == ["ŁUKASZ Żak"]
    assert [r.status for r in plan] == ["cancelled", "confirmed"]
    other_day = await queries.day_of_point(
        engine, "s1", DAY + timedelta(days=1), queries.PLAN_STATUSES
    )
    assert other_day == []


async def test_a_location_scoped_search_finds_only_that_locations_visits(engine: AsyncEngine):
    await _book(engine)
    f = parse_filter({}, NOW.astimezone(TZ).date())
    assert (await queries.search(engine, f)).total == 3
    assert (await queries.search(engine, f, location="loc")).total == 3
    assert (await queries.search(engine, f, location="nowhere")).total == 0
    # An account with no location ("") sees nothing either, not everything.
    assert (await queries.search(engine, f, location="")).total == 0
