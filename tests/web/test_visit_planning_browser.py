"""Issue 19's items 4, 7 and 9 walked in Chromium with the demo's catalog: an administrator
closes a desk for a day with visits booked and moves them, gives a desk shorter hours and
leaves its visits (flagged in the register, the plan and the visitor's page); the hall's
visits board at 1920×1080 beside the queue board, opened from the clerk's and reception's
menus; the manager's planning report. Each page axe clean, photographed at 1366 and 390 px
(copies in /tmp/okienko-shots/visit-planning/)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from hub.contract import sync as contract
from tests.support.browser import assert_accessible
from tests.support.webproc import site_token
from tests.sync.conftest import called, event
from tests.web import test_demo_booking_browser
from tests.web.test_demo_booking_browser import WIDE, Demo
from web.catalog import load_catalog
from web.db.models import Reservation
from web.reservations.booking import TZ, Status
from web.reservations.slots import hold_at

SHOTS = Path("/tmp/okienko-shots/visit-planning")
SITE = "torun-um"
PHONE = {"width": 390, "height": 844}
HALL = {"width": 1920, "height": 1080}
# The demo booking walk's fixture (the demo's site, catalog and staff), for this module too.
demo_walk = test_demo_booking_browser.demo


def look(page: Page, name: str) -> None:
    assert_accessible(page, SHOTS, name)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert_accessible(page, SHOTS, f"{name}-390")
    if size:
        page.set_viewport_size(size)


def booked(demo: Demo, name: str, start: datetime, service: str = "dowody") -> Reservation:
    async def work(engine: Any) -> Reservation:
        return await hold_at(
            engine,
            await load_catalog(engine),
            service,
            SITE,
            start,
            min(datetime.now(UTC), start - timedelta(hours=1)),  # a visit of the last hour too
            name=name,
            contact=f"{name.split()[0].lower()}@example.org",
            kind="phone",
            actor="test",
            status=Status.CONFIRMED,
            staff=True,
        )

    return demo.web.db(work)


def next_weekday(offset: int) -> datetime:
    day = datetime.now(TZ).date() + timedelta(days=offset)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(0), TZ)


def test_closing_a_desk_for_a_day_in_the_browser(demo_walk: Demo):
    demo = demo_walk
    day = next_weekday(3)
    first = booked(demo, "Halina Przenoszona", day.replace(hour=9))
    booked(demo, "Ireneusz Przenoszony", day.replace(hour=10))
    point = first.service_point
    admin = demo.staff_page("admin")
    admin.set_viewport_size(WIDE)
    admin.goto(f"{demo.web.url}/admin/points/{point}")
    admin.fill("#x-day", day.date().isoformat())
    admin.fill("#x-reason", "Awaria systemu")
    admin.click("form[action$='/exceptions'] button[type=submit]")
    expect(admin.locator("h1")).to_have_text("Wizyty, których dotyczy wyjątek")
    expect(admin.locator("main table")).to_contain_text("Halina Przenoszona")
    look(admin, "closing-preview")
    admin.get_by_label("Przenieść każdą", exact=False).check()
    admin.click("text=Zapisz wyjątek")
    expect(admin.locator(".closing-outcome")).to_contain_text("przeniesione 2")
    look(admin, "closing-done")

    later = next_weekday(5)
    short = booked(demo, "Jolanta Poza", later.replace(hour=14))
    booked(demo, "Kamil Mieszczący", later.replace(hour=9))
    admin.goto(f"{demo.web.url}/admin/points/{short.service_point}")
    admin.fill("#x-day", later.date().isoformat())
    admin.check("input[name=kind][value=hours]")
    admin.fill("#x-spans", "08:00-12:00")
    admin.click("form[action$='/exceptions'] button[type=submit]")
    expect(admin.locator("main table")).not_to_contain_text("Kamil Mieszczący")
    admin.check("input[name=how][value=keep]")
    admin.click("text=Zapisz wyjątek")
    expect(admin.locator(".closing-outcome")).to_contain_text("pozostawione bez zmian 1")
    admin.click("text=Pozostawione wizyty są oznaczone w rejestrze")
    expect(admin.locator("#fits")).to_have_value("no")
    expect(admin.locator("table.register")).to_contain_text("Jolanta Poza")
    expect(admin.locator("table.register")).to_contain_text("Poza terminarzem")
    look(admin, "register-not-fitting")
    admin.click("table.register tbody a")
    expect(admin.locator(".off-schedule")).to_contain_text("nie jest już zgodna z terminarzem")
    look(admin, "reservation-off-schedule")
    admin.goto(
        f"{demo.web.url}/staff/plan?point={short.service_point}&day={later.date().isoformat()}"
    )
    expect(admin.locator(".visit.off-schedule")).to_contain_text("Jolanta Poza")
    look(admin, "plan-off-schedule")
    visitor = demo.page()
    visitor.goto(f"{demo.web.url}/visit/{short.manage_token}")
    expect(visitor.locator(".off-schedule")).to_contain_text("Urząd zmienił godziny pracy")
    look(visitor, "visitor-off-schedule")


def test_the_visits_board_on_the_hall_screen_and_from_the_staff_menus(demo_walk: Demo):
    demo = demo_walk
    now = datetime.now(TZ).replace(second=0, microsecond=0)
    now = now.replace(minute=now.minute // 10 * 10)  # on the 10-minute slots of both services
    names = ["Lucyna", "Marian", "Natalia", "Olgierd", "Paweł", "Renata", "Sabina", "Tadeusz"]
    visits = []
    for i, name in enumerate(names):
        start = now + timedelta(minutes=10 * i - 30)
        if start.date() != now.date():
            continue
        service = "dowody" if i % 2 else "meldunki"
        visits.append(booked(demo, f"{name} Tablicowa", start, service))
    # The hub checks two of them in, calls one and serves the other.
    token = site_token(demo.web.database_url, SITE)
    waiting = [v for v in visits if v.start < now.astimezone(UTC)][:2]
    events = []
    for seq, v in enumerate(waiting, 1):
        events.append(
            event(
                seq,
                {
                    "type": "ticket_issued",
                    "ticket_id": f"t{seq}",
                    "token": f"tok-board-{seq}",
                    "service": v.service,
                    "seq": seq,
                    "number": f"A00{seq}",
                    "kind": "reservation",
                    "reservation_code": v.access_code,
                },
            )
        )
    if len(waiting) == 2:
        events += [
            called(3, "t1", counter="s2"),
            called(4, "t2", counter="s7"),
            event(5, {"type": "service_started", "ticket_id": "t2", "counter": "s7"}),
        ]
    import httpx

    pushed = httpx.post(
        f"{demo.web.url}{contract.PUSH_PATH}",
        content=contract.PushRequest(events=events, snapshot=None).model_dump_json(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert pushed.is_success, pushed.text
    for who in ("clerk", "reception"):
        staff = demo.staff_page(who)
        staff.click("nav.staff-nav >> text=Tablice informacyjne")
        expect(staff.locator("h1")).to_have_text("Tablice informacyjne")
        look(staff, f"boards-{who}")
    hall = demo.browser.new_context(viewport=HALL, locale="pl-PL").new_page()
    hall.goto(f"{demo.web.url}/board/{SITE}/visits")
    expect(hall.locator("table.visits")).to_contain_text("Rezerwacja")
    if len(waiting) == 2:
        expect(hall.locator("tr.visit-called")).to_contain_text("Stanowisko 2")
        expect(hall.locator("table.visits")).to_contain_text("W toku")
    # Fitted to the screen: nothing to scroll.
    assert hall.evaluate("document.documentElement.scrollHeight") <= HALL["height"]
    assert_accessible(hall, SHOTS, "visits-board-1920")
    look(hall, "visits-board")


def test_the_managers_planning_report(demo_walk: Demo):
    demo = demo_walk
    manager = demo.staff_page("manager")
    manager.goto(f"{demo.web.url}/staff/reports")
    manager.click("text=Wizyty: planowanie i realizacja")
    expect(manager.locator("h1")).to_have_text("Wizyty: planowanie i realizacja")
    expect(manager.locator("table.report-plan")).to_contain_text("Dowody osobiste")
    look(manager, "report-visits")
    with manager.expect_download() as csv_download:
        manager.click("text=Nadchodzące wizyty (CSV)")
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Dzień,Sprawa,Punkt obsługi,")
