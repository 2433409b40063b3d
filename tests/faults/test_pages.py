"""The pages over real HTTP against ``okienko web``: a resident's report through the form (with
a photo and the status link), the routing chain by each role's pages, and nobody reaching a
report beyond their scope by list, link or number."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.rig import Rig, number_in, rig  # noqa: F401  (the module fixture)
from tests.support.webproc import csrf_of
from web.faults import store
from web.faults.domain import Action, Channel, Step

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_resident_reports_a_pothole_and_follows_it_by_the_link(rig: Rig):  # noqa: F811
    c = rig.client()
    form = c.get("/usterka")
    assert form.status_code == 200 and "Dziura w jezdni" in form.text
    sub = re.search(r'<option value="(\d+)">Dziura w jezdni', form.text).group(1)  # type: ignore[union-attr]
    details = c.get(f"/usterka?sub={sub}")
    assert "Głębokość (cm)" in details.text
    token = csrf_of(details.text)
    bad = c.post(
        "/usterka",
        data={"csrf_token": token, "sub": sub, "description": "Dziura", "lat": "51.7"},
    )
    assert bad.status_code == 400 and "obie współrzędne" in bad.text
    no_consent = c.post(
        "/usterka",
        data={"csrf_token": token, "sub": sub, "description": "x", "address": "a", "reply": "yes"},
    )
    assert no_consent.status_code == 400 and "zgódź się" in no_consent.text
    sent = c.post(
        "/usterka",
        data={
            "csrf_token": token,
            "sub": sub,
            "description": "Głęboka dziura przy przejściu",
            "address": "ul. Piotrkowska 104",
            "lat": "51,7592",
            "lon": "19.4560",
            "attr_depth_cm": "15",
            "reply": "yes",
            "email": "mieszkanka@example.com",
            "consent": "yes",
        },
        files={"photos": ("dziura.png", PNG, "image/png")},
    )
    assert sent.status_code == 303
    status_url = sent.headers["location"]
    page = c.get(status_url)
    assert "Zgłoszenie zarejestrowano pod numerem" in page.text
    number = number_in(page.text)
    # Another browser with the link sees the status, without the thank-you; a wrong link 404s.
    other = rig.client().get(status_url)
    assert other.status_code == 200 and "Nowe" in other.text and "Dziękujemy" not in other.text
    assert rig.client().get("/usterka/s/not-a-token").status_code == 404
    # The operator finds it with the photo.
    op = rig.client("operator")
    report = op.get(f"/usterki/r/{number}")
    assert report.status_code == 200 and "dziura.png" in report.text
    photo = re.search(r'href="(/usterki/r/\d+/f/\d+)"', report.text).group(1)  # type: ignore[union-attr]
    assert op.get(photo).content == PNG
    assert rig.client("coord_roads").get(photo).status_code == 404


def test_the_chain_by_pages_and_nobody_sees_beyond_their_scope(rig: Rig):  # noqa: F811
    p = rig.people
    op = rig.client("operator")
    new = op.get("/usterki/new")
    assert new.status_code == 200
    made = op.post(
        "/usterki/new",
        data={
            "csrf_token": csrf_of(new.text),
            "channel": "phone",
            "sub": str(p.subs["znak"]),
            "description": "Przewrócony znak STOP",
            "address": "al. Kościuszki 1",
            "attr_sign": "B-20",
            "rpw_id": "RPW/2026/1",
            "precinct": "S-3",
            "parcel": "112/4",
        },
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    number = int(url.rsplit("/", 1)[1])

    def sees(who: str) -> tuple[bool, bool, bool]:
        c = rig.client(who)
        by_list = f'href="/usterki/r/{number}"' in c.get("/usterki/?status=all").text
        by_link = c.get(url).status_code == 200
        found = c.get(f"/usterki/?number={number}&status=all").text
        by_number = f'href="/usterki/r/{number}"' in found
        return by_list, by_link, by_number

    def act(who: str, **data: str) -> None:
        c = rig.client(who)
        r = c.post(f"{url}/act", data={"csrf_token": csrf_of(c.get(url).text), **data})
        assert r.status_code == 303, r.text

    outsiders = ["coord_roads", "real_roads", "supervisor_zdit", "supervisor_zzm", "coord_zzm"]
    for who in outsiders:
        assert sees(who) == (False, False, False), who
    act("operator", action="forward", group=str(p.groups["ZDIT-K-DROGI"]))
    assert sees("coord_roads") == (True, True, True)
    assert sees("supervisor_zdit") == (True, True, True)
    for who in ("coord_transport", "coord_zzm", "supervisor_zzm", "real_roads", "real_signs"):
        assert sees(who) == (False, False, False), who
    act("coord_roads", action="take")
    act("coord_roads", action="assign", group=str(p.groups["ZDIT-R-OZNAKOWANIE"]))
    assert sees("real_signs") == (True, True, True)
    assert sees("real_roads") == (False, False, False)
    # The supervisor reads but cannot act.
    sup = rig.client("supervisor_zdit")
    assert 'name="action"' not in sup.get(url).text
    act("real_signs", action="take")
    act(
        "real_signs",
        action="contractor",
        firm="Znakpol",
        ordered_on="2026-03-03",
        until="2026-03-10",
    )
    act("real_signs", action="accept_work", done_on="2026-03-09")
    page = rig.client("super").get(url)
    assert "Rozwiązane" in page.text and "Znakpol" in page.text
    for step in ("Przekaż do grupy koordynatorów", "Podejmij", "Przekaż do realizatora"):
        assert step in page.text
    stats = rig.client("super").get("/usterki/stats")
    assert stats.status_code == 200 and "Drogi" in stats.text


def test_an_anonymous_visitor_is_sent_to_sign_in_and_a_helpdesk_unit_user_is_refused(rig: Rig):  # noqa: F811
    r = rig.client().get("/usterki/", follow_redirects=False)
    assert r.status_code == 303 and "/signin" in r.headers["location"]


def test_a_late_report_is_resolved_only_with_a_reason_and_a_date_and_the_realizer_enters_the_rpw_id(
    rig: Rig,  # noqa: F811
):
    p = rig.people
    now = datetime.now(UTC)

    async def late_at_the_realizer(engine: AsyncEngine) -> int:
        received = now - timedelta(days=30)  # entered after an outage: long past ten days
        rid, _ = await store.file_report(
            engine,
            store.Draft(
                p.subs["dziura"], "Dziura", Channel.PHONE, address="x", received_at=received
            ),
            now,
        )
        for who, step in (
            (p.operator, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"])),
            (p.coord_roads, Step(Action.TAKE)),
            (p.coord_roads, Step(Action.ASSIGN, group_id=p.groups["ZDIT-R-DROGI"])),
            (p.real_roads, Step(Action.TAKE)),
        ):
            await store.act(engine, who, rid, step, now)
        return rid

    rid = rig.db(late_at_the_realizer)
    url = f"/usterki/r/{rid}"
    c = rig.client("real_roads")
    page = c.get(url).text
    assert "Realizuje" in page and "Real Roads" in page  # § 17 ust. 2 pkt 1: who handles it
    # § 6 ust. 2: the realizer enters the RPW id, and only that.
    assert 'name="rpw_id"' in page and 'name="precinct"' not in page
    r = rig.post(c, f"{url}/details", url, {"rpw_id": "RPW/2026/77", "precinct": "S-9"})
    assert r.status_code == 303
    page = c.get(url).text
    assert "RPW/2026/77" in page and "S-9" not in page
    refused = rig.post(c, f"{url}/act", url, {"action": "resolve", "reason": "Załatane"})
    assert refused.status_code == 400
    assert "najpierw podaj przyczynę opóźnienia i planowany termin" in refused.text
    planned = (now + timedelta(days=3)).date().isoformat()
    r = rig.post(c, f"{url}/delay", url, {"delay_reason": "Brak asfaltu", "planned_on": planned})
    assert r.status_code == 303
    done = rig.post(c, f"{url}/act", url, {"action": "resolve", "reason": "Załatane"})
    assert done.status_code == 303, done.text
    page = c.get(url).text
    assert "Rozwiązane" in page and "Zrealizował(a)" in page and "Real Roads" in page
    assert "Zakończone" in page and "Brak asfaltu" in page


def test_statistics_by_period_export_csv_and_xlsx_with_late_take_ups(rig: Rig):  # noqa: F811
    """§ 14 of seed 001: the statistics over a period of receipt, as the queue reports have:
    the page, CSV and XLSX agree, and a report taken up late is counted with its delay."""
    import csv
    import io

    from openpyxl import load_workbook

    p = rig.people
    long_ago = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)  # Monday 10:00 in Łódź

    async def taken_late(engine: AsyncEngine) -> int:
        draft = store.Draft(
            p.subs["dziura"], "Dziura", Channel.PHONE, address="x", received_at=long_ago
        )
        rid, _ = await store.file_report(engine, draft, long_ago)
        await store.act(
            engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]),
            long_ago,
        )  # fmt: skip
        # Due Tuesday 10:00; taken up Wednesday 12:00: 11 working hours late.
        await store.act(
            engine, p.coord_roads, rid, Step(Action.TAKE), long_ago + timedelta(days=2, hours=2)
        )
        return rid

    rig.db(taken_late)
    c = rig.client("super")
    period = {"from": "2025-06-01", "to": "2025-06-30"}
    page = c.get("/usterki/stats", params=period)
    assert page.status_code == 200 and 'value="2025-06-01"' in page.text
    assert "Podjęte po terminie" in page.text
    row = re.search(r"<tr><td>Drogi</td>(.*?)</tr>", page.text)
    assert row and re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["1", "0", "—", "1", "11.0"]
    assert 'href="/usterki/stats.csv?from=2025-06-01&amp;to=2025-06-30"' in page.text

    exported = c.get("/usterki/stats.csv", params=period)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "usterki-statystyki-2025-06-01-2025-06-30.csv" in exported.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["dimension", "name", "reports"]
    assert ["category", "Drogi", "1", "0", "0", "", "1", "11.0"] in lines

    book = load_workbook(io.BytesIO(c.get("/usterki/stats.xlsx", params=period).content))
    cells = [list(r) for r in book["statistics"].iter_rows(values_only=True)]
    assert ["category", "Drogi", 1, 0, 0, None, 1, 11.0] in cells

    # Another period leaves it out; a reversed one is said, not silently empty.
    july = c.get("/usterki/stats.csv", params={"from": "2025-07-01", "to": "2025-07-31"})
    assert [line for line in csv.reader(io.StringIO(july.content.decode("utf-8-sig")))][1:] == []
    reversed_ = c.get("/usterki/stats", params={"from": "2025-06-30", "to": "2025-06-01"})
    assert reversed_.status_code == 400 and "Początek okresu jest po jego końcu." in reversed_.text


def test_a_coordinator_reads_a_forwarded_report_under_handed_on_without_its_forms(
    rig: Rig,  # noqa: F811
):
    p = rig.people

    async def forwarded(engine: AsyncEngine) -> int:
        now = datetime.now(UTC)
        draft = store.Draft(p.subs["drzewo"], "Gałąź na chodniku", Channel.PHONE, address="x")
        rid, _ = await store.file_report(engine, draft, now)
        await store.act(
            engine, p.operator, rid, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), now
        )
        await store.act(
            engine, p.coord_roads, rid,
            Step(Action.FORWARD_COORDINATOR, group_id=p.groups["ZZM-K"], reason="zieleń"), now,
        )  # fmt: skip
        return rid

    rid = rig.db(forwarded)
    c = rig.client("coord_roads")
    handed = c.get("/usterki/", params={"status": "handed"}).text
    assert f'href="/usterki/r/{rid}"' in handed
    assert f'href="/usterki/r/{rid}"' not in c.get("/usterki/", params={"status": "all"}).text
    assert 'href="/usterki/?status=handed">Przekazane' in handed  # in the menu
    page = c.get(f"/usterki/r/{rid}")
    assert page.status_code == 200 and "Gałąź na chodniku" in page.text
    assert "widzisz je tylko do odczytu" in page.text
    assert 'name="action"' not in page.text and f'action="/usterki/r/{rid}/note"' not in page.text
    r = rig.post(c, f"/usterki/r/{rid}/act", f"/usterki/r/{rid}", {"action": "take"})
    assert r.status_code in (403, 404) or "Nie masz uprawnień" in r.text
    assert rig.client("coord_transport").get(f"/usterki/r/{rid}").status_code == 404


def test_the_report_page_shows_the_deadline_moved_by_a_suspension(rig: Rig):  # noqa: F811
    p = rig.people

    async def suspended_and_resumed(engine: AsyncEngine) -> int:
        at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday 10:00: due Monday 16 March 10:00
        draft = store.Draft(p.subs["dziura"], "Dziura", Channel.PHONE, address="x", received_at=at)
        rid, _ = await store.file_report(engine, draft, at)
        for who, step, when in (
            (p.operator, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), at),
            (p.coord_roads, Step(Action.TAKE), at),
            (p.coord_roads, Step(Action.SUSPEND, reason="Remont", until=date(2026, 3, 9)), at),
            (p.coord_roads, Step(Action.RESUME), at + timedelta(days=7)),  # 5 working days
        ):
            await store.act(engine, who, rid, step, when)
        return rid

    rid = rig.db(suspended_and_resumed)
    page = rig.client("coord_roads").get(f"/usterki/r/{rid}").text
    due = page[page.index('class="realise-due"') :]
    due = due[: due.index("</li>")]
    assert "23.03.2026" in due and "przesunięty o czas zawieszenia" in due
