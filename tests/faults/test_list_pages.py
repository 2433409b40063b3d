"""The monitoring list in pages over real HTTP against ``okienko web``: more than a page of
reports in one coordinator group, the counts over the whole scope (not the page shown) and
never beyond it, filters kept from page to page, and odd page numbers answered plainly."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from web.faults import store
from web.faults.domain import Action, Channel, Step

NOW = datetime.now(UTC)  # the server's clock is real
# Ten calendar days hold at most eight working days: past the take-up day, not the ten days.
# Forty hold at least twenty: past the realisation deadline, whatever the holidays.
KINDS = {"fresh": (0, 20), "not_taken": (10, 15), "late": (40, 12), "reason": (40, 5)}
KINDS |= {"suspended": (40, 5)}


def counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/usterki/r/(\d+)">', html)]


def links(html: str) -> dict[str, str]:
    return {
        rel: href.replace("&amp;", "&")
        for href, rel in re.findall(r'<a href="([^"]+)" rel="(prev|next)">', html)
    }


async def fill(engine: AsyncEngine, rig: Rig) -> dict[str, list[int]]:  # noqa: F811
    """57 reports at the roads coordinators (20 fresh, 15 not taken up for days, 12 overdue,
    5 overdue with a reason, 5 suspended) and 6 late in every way at the transport ones."""
    p = rig.people
    made: dict[str, list[int]] = {}

    async def one(days_ago: int, group: str, *, take: bool) -> int:
        when = NOW - timedelta(days=days_ago)
        draft = store.Draft(
            p.subs["dziura"], "Dziura", Channel.PHONE, address="x", received_at=when
        )
        rid, _ = await store.file_report(engine, draft, when)
        forward = Step(Action.FORWARD, group_id=p.groups[group])
        await store.act(engine, p.operator, rid, forward, when)
        if take:
            await store.act(engine, p.coord_roads, rid, Step(Action.TAKE), when)
        return rid

    for kind, (days_ago, n) in KINDS.items():
        for _ in range(n):
            rid = await one(days_ago, "ZDIT-K-DROGI", take=kind != "not_taken" and days_ago > 0)
            if kind == "reason":
                await store.set_delay(engine, p.coord_roads, rid, "Mróz", date.today(), NOW)
            if kind == "suspended":
                stop = Step(Action.SUSPEND, reason="Remont sieci", until=date.today())
                await store.act(engine, p.coord_roads, rid, stop, NOW)
            made.setdefault(kind, []).append(rid)
    made["transport"] = [await one(40, "ZDIT-K-TRANSPORT", take=False) for _ in range(6)]
    return made


@pytest.fixture(scope="module")
def made(rig: Rig) -> dict[str, list[int]]:  # noqa: F811
    return rig.db(lambda engine: fill(engine, rig))  # type: ignore[no-any-return]


def all_pages(c: httpx.Client, first: str) -> tuple[list[str], list[int]]:
    pages, seen, url = [], [], first
    while url:
        r = c.get(url)
        assert r.status_code == 200, r.text
        pages.append(r.text)
        seen += numbers(r.text)
        url = links(r.text).get("next", "")
    return pages, seen


def test_the_list_pages_through_the_whole_scope_and_counts_all_of_it(
    rig: Rig,  # noqa: F811
    made: dict[str, list[int]],
):
    roads = {n for kind, ids in made.items() if kind != "transport" for n in ids}
    transport = set(made["transport"])
    coord = rig.client("coord_roads")

    pages, seen = all_pages(coord, "/usterki/")
    assert len(pages) == 2 and len(numbers(pages[0])) == 50 and len(numbers(pages[1])) == 7
    assert "Strona 1 z 2" in pages[0] and "Strona 2 z 2" in pages[1]
    assert "Zgłoszenia 51–57 z 57, strona 2 z 2." in pages[1]
    assert "Następna strona" in pages[0] and "Poprzednia strona" in pages[1]
    assert links(pages[1]) == {"prev": "/usterki/?page=1"}
    # Every report of the group once, none of another group's: by rows and by counts.
    assert sorted(seen) == sorted(roads) and not transport & set(seen)
    expected = {"total": 57, "take_up_late": 15, "overdue": 17, "without_reason": 12}
    assert counts(pages[0]) == counts(pages[1]) == expected
    # The other group's coordinators see just theirs; the operator and the department's
    # supervisor see both groups, counted together.
    assert counts(rig.client("coord_transport").get("/usterki/").text) == dict.fromkeys(expected, 6)
    everyone = {"total": 63, "take_up_late": 21, "overdue": 23, "without_reason": 18}
    assert counts(rig.client("operator").get("/usterki/").text) == everyone
    assert counts(rig.client("supervisor_zdit").get("/usterki/").text) == everyone
    assert counts(rig.client("supervisor_zzm").get("/usterki/").text)["total"] == 0
    # Even asked for the transport group's report by number, the roads coordinator gets none.
    some = min(transport)
    assert counts(coord.get(f"/usterki/?number={some}&status=all").text)["total"] == 0


def test_the_filters_survive_paging_and_the_counts_follow_them(
    rig: Rig,  # noqa: F811
    made: dict[str, list[int]],
):
    coord = rig.client("coord_roads")
    cat = re.search(r'<option value="(\d+)">Drogi</option>', coord.get("/usterki/").text)
    assert cat, "the roads category in the filter"
    first = f"/usterki/?status=coordinator&category={cat.group(1)}"
    pages, seen = all_pages(coord, first)
    assert len(pages) == 2 and len(seen) == len(set(seen)) == 52  # the suspended five left out
    nxt = links(pages[0])["next"]
    assert "status=coordinator" in nxt and f"category={cat.group(1)}" in nxt and "page=2" in nxt
    assert 'value="coordinator" selected' in pages[1]
    assert counts(pages[1]) == {
        "total": 52,
        "take_up_late": 15,
        "overdue": 17,
        "without_reason": 12,
    }
    # Overdue only: the rows flagged overdue, one page, counted alike.
    late = coord.get("/usterki/?overdue=1").text
    assert counts(late)["total"] == counts(late)["overdue"] == len(numbers(late)) == 17
    assert late.count('<span class="flag">po terminie</span>') == 17
    suspended = counts(coord.get("/usterki/?status=suspended").text)
    assert suspended == {"total": 5, "take_up_late": 0, "overdue": 0, "without_reason": 0}


def test_a_page_past_the_end_or_not_a_number_is_answered_plainly(
    rig: Rig,  # noqa: F811
    made: dict[str, list[int]],
):
    coord = rig.client("coord_roads")
    last = coord.get("/usterki/?page=2").text
    for asked in ("3", "999999999"):
        r = coord.get(f"/usterki/?page={asked}")
        assert r.status_code == 200 and f"Strony {asked} już nie ma; oto ostatnia." in r.text
        assert "Strona 2 z 2" in r.text and numbers(r.text) == numbers(last)
    first = coord.get("/usterki/").text
    for asked in ("abc", "0", "-1", "2.5", "99999999999999999999", "%00"):
        r = coord.get(f"/usterki/?page={asked}")
        assert r.status_code == 200 and "To nie jest numer strony; oto pierwsza strona." in r.text
        assert "Strona 1 z 2" in r.text and numbers(r.text) == numbers(first)
    # An empty result is one page, with nowhere to go.
    none = coord.get("/usterki/?number=999999&page=4")
    assert none.status_code == 200 and "Brak zgłoszeń." in none.text
    assert "Strona 1 z 1" in none.text and links(none.text) == {}
