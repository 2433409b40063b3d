"""The fault pages in Chromium with axe (WCAG 2.1 AA): a resident reports on a phone-sized
screen with the keyboard-usable form, then the operator's list, the report page and the
statistics. Screenshots go to /tmp/okienko-shots/faults/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.conftest import PASSWORD, People
from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from tests.support.browser import assert_accessible, chromium
from web.db.models import Device, Location
from web.faults import devices, mailbox, store
from web.faults import tables as t
from web.faults.domain import Channel
from web.faults.settings import DEFAULT

SHOTS = Path("/tmp/okienko-shots/faults")


async def more_than_a_page(engine: AsyncEngine) -> None:
    """55 phone reports, some a month old (overdue), for the list's second page."""
    async with engine.connect() as conn:
        sub = int(await conn.scalar(select(t.subcategories.c.id).limit(1)) or 0)
    now = datetime.now(UTC)
    for i in range(55):
        when = now - timedelta(days=40 if i % 3 == 0 else 0)
        draft = store.Draft(
            sub, "Dziura", Channel.PHONE, address=f"ul. Długa {i}", received_at=when
        )
        await store.file_report(engine, draft, when)


def test_the_report_form_and_the_staff_pages_are_accessible(rig: Rig, tmp_path: Path):  # noqa: F811
    photo = tmp_path / "dziura.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    rig.db(more_than_a_page)  # before Playwright's own event loop runs
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        assert_accessible(phone, SHOTS, "1-form-start")
        phone.select_option("#sub", label="Dziura w jezdni")
        phone.click("form[method=get] button")
        phone.fill("#address", "ul. Piotrkowska 104")
        phone.fill("#description", "Głęboka dziura przy przejściu dla pieszych")
        phone.fill("#attr_depth_cm", "15")
        phone.set_input_files("#photos", str(photo))
        assert_accessible(phone, SHOTS, "2-form-details")
        phone.click("button.primary")
        expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
        assert_accessible(phone, SHOTS, "3-status")
        number = re.search(r"nr (\d+)", phone.locator("h1").inner_text()).group(1)  # type: ignore[union-attr]

        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["operator"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        expect(desk).to_have_url(f"{rig.web.url}/usterki/")
        expect(desk.locator(".staff-nav")).to_contain_text("Zarejestruj zgłoszenie")
        assert_accessible(desk, SHOTS, "4-list")
        desk.goto(f"{rig.web.url}/usterki/?status=all")
        desk.click("a[rel=next]")
        expect(desk.locator(".pager")).to_contain_text("Strona 2 z 2")
        assert_accessible(desk, SHOTS, "4-list-page-2")
        desk.goto(f"{rig.web.url}/usterki/?status=all")
        desk.click(f'a[href="/usterki/r/{number}"]')
        assert_accessible(desk, SHOTS, "5-report")
        desk.goto(f"{rig.web.url}/usterki/new")
        assert_accessible(desk, SHOTS, "6-register")
        desk.goto(f"{rig.web.url}/usterki/stats")
        assert_accessible(desk, SHOTS, "7-stats")
        desk.goto(f"{rig.web.url}/usterka?lang=en")
        expect(desk.locator("h1")).to_have_text("Report a fault")


def test_a_deleted_reports_number_is_not_given_to_the_next_report(rig: Rig):  # noqa: F811
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()

        def report(description: str) -> int:
            phone.goto(f"{rig.web.url}/usterka")
            phone.select_option("#sub", label="Dziura w jezdni")
            phone.click("form[method=get] button")
            phone.fill("#address", "ul. Zgierska 12")
            phone.fill("#description", description)
            phone.click("button.primary")
            expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
            found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
            assert found
            return int(found.group(1))

        deleted = report("Dziura przy krawężniku")
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["super"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        desk.goto(f"{rig.web.url}/usterki/r/{deleted}")
        desk.click("button:has-text('Usuń zgłoszenie')")
        expect(desk.locator("p.success")).to_have_text("Zgłoszenie zostało usunięte.")
        assert_accessible(desk, SHOTS, "8-deleted")
        # The next report gets a new number: the deleted one's stays unused.
        again = report("Dziura na przejściu")
        assert again == deleted + 1
        expect(phone.locator("h1")).to_contain_text(f"nr {again}")
        gone = desk.goto(f"{rig.web.url}/usterki/r/{deleted}")
        assert gone is not None and gone.status == 404


def test_the_subject_shows_on_the_list_the_report_and_the_residents_page(rig: Rig):  # noqa: F811
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["operator"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        # § 8 ust. 1 pkt 1: the operator registers a call and gives it a subject.
        desk.goto(f"{rig.web.url}/usterki/new")
        desk.select_option("#sub", label="Dziura w jezdni")
        desk.fill("#title", "Zapadnięta studzienka na skrzyżowaniu")
        desk.fill("#description", "Studzienka zapadła się o kilka centymetrów.")
        desk.fill("#address", "ul. Narutowicza / ul. Kilińskiego")
        desk.click("button.primary")
        expect(desk.locator("h1")).to_contain_text("Zapadnięta studzienka na skrzyżowaniu")
        called = re.search(r"/usterki/r/(\d+)", desk.url)
        assert called
        desk.goto(f"{rig.web.url}/usterki/?number={called.group(1)}&status=all")
        row = desk.locator("tbody tr").first
        expect(row.locator("td").nth(1)).to_contain_text("Zapadnięta studzienka na skrzyżowaniu")
        expect(row.locator("td").nth(1)).to_contain_text("Dziura w jezdni")
        assert_accessible(desk, SHOTS, "9-list-subject")

        # A resident's web report has none; the operator gives it one (§ 9 pkt 3), and the
        # resident's status page shows it.
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        phone.select_option("#sub", label="Dziura w jezdni")
        phone.click("form[method=get] button")
        phone.fill("#address", "ul. Wólczańska 20")
        phone.fill("#description", "Dziura przed bramą")
        phone.click("button.primary")
        expect(phone.locator(".facts")).to_contain_text("Dziura w jezdni")
        found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
        assert found
        desk.goto(f"{rig.web.url}/usterki/r/{found.group(1)}")
        desk.fill("#d-title", "Dziura przed bramą Wólczańska 20")
        desk.click("form[action$='/details'] button")
        expect(desk.locator("h1")).to_contain_text("Dziura przed bramą Wólczańska 20")
        assert_accessible(desk, SHOTS, "10-report-subject")
        phone.reload()
        expect(phone.locator(".facts dd").first).to_have_text("Dziura przed bramą Wólczańska 20")
        assert_accessible(phone, SHOTS, "11-status-subject")


def test_the_chain_from_operator_to_contractor_by_each_roles_pages(rig: Rig):  # noqa: F811
    """Seed 001 as its people do it, each in their own browser: the operator registers a phone
    report (§ 8: channel, subject, the sign's kind, precinct and parcel, RPW id) and forwards it
    to the coordinator group (§ 13); the coordinator takes it up and hands it to the realizer
    group (§ 19); the supervisor reads it without acting (Instr. § 4); the realizer enters the
    RPW id (§ 6 ust. 2), orders a contractor and accepts the work, which resolves the report
    (§ 21 ust. 2 pkt 3–4). Each list holds the report only once it is in that person's scope
    (§ 24)."""
    today = datetime.now(UTC).date()
    with chromium() as browser:
        pages = {}

        def desk(who: str, ip: str) -> Any:
            if who not in pages:
                # Its own computer: its sign-in is counted apart from the other tests'.
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900},
                    extra_http_headers={"X-Forwarded-For": ip},
                )
                page = context.new_page()
                page.goto(f"{rig.web.url}/usterki/")
                page.fill("#email", rig.people.emails[who])
                page.fill("#password", PASSWORD)
                page.click("button.primary")
                expect(page).to_have_url(f"{rig.web.url}/usterki/")
                pages[who] = page
            return pages[who]

        def act(page: Any, action: str, **fields: str) -> None:
            form = page.locator(f"form:has(input[name=action][value={action}])")
            for name, value in fields.items():
                form.locator(f"[name={name}]").fill(value)
            form.locator("button[type=submit]").click()
            expect(page.locator(".error-summary")).to_have_count(0)

        op = desk("operator", "10.0.1.1")
        op.goto(f"{rig.web.url}/usterki/new")
        op.select_option("#channel", "phone")
        op.select_option("#sub", label="Uszkodzony znak drogowy")
        op.fill("#attr_sign", "B-20")
        op.fill("#title", "Przewrócony znak STOP")
        op.fill("#description", "Znak leży na chodniku po kolizji.")
        op.fill("#address", "al. Kościuszki 1")
        op.fill("#precinct", "S-3")
        op.fill("#parcel", "112/4")
        op.fill("#rpw_id", "RPW/2026/5")
        op.click("button.primary")
        found = re.search(r"/usterki/r/(\d+)", op.url)
        assert found, op.url
        number = int(found.group(1))
        url = f"{rig.web.url}/usterki/r/{number}"
        facts = op.locator("dl.facts")
        expect(op.locator("h1")).to_contain_text("Przewrócony znak STOP")
        for shown in ("B-20", "S-3 / 112/4", "Telefon", "RPW/2026/5"):
            expect(facts).to_contain_text(shown)
        group = op.locator("form:has(input[name=action][value=forward]) select[name=group]")
        expect(group.locator("option:checked")).to_have_text("ZDiT – koordynatorzy dróg")
        assert_accessible(op, SHOTS, "12-operator-report")

        def listed(who: str, ip: str) -> bool:
            page = desk(who, ip)
            page.goto(f"{rig.web.url}/usterki/?status=all")
            return page.locator(f'a[href="/usterki/r/{number}"]').count() > 0

        people = {
            "coord_roads": "10.0.1.2",
            "supervisor_zdit": "10.0.1.3",
            "real_signs": "10.0.1.4",
            "coord_zzm": "10.0.1.5",
        }
        assert {who: listed(who, ip) for who, ip in people.items()} == dict.fromkeys(people, False)

        act(op, "forward")
        expect(facts).to_contain_text("ZDiT – koordynatorzy dróg")
        assert {who: listed(who, ip) for who, ip in people.items()} == {
            "coord_roads": True,
            "supervisor_zdit": True,
            "real_signs": False,
            "coord_zzm": False,
        }
        outsider = pages["coord_zzm"].goto(url)
        assert outsider is not None and outsider.status == 404

        coord = pages["coord_roads"]
        coord.goto(url)
        act(coord, "take")
        form = coord.locator("form:has(input[name=action][value=assign])")
        form.locator("select[name=group]").select_option(label="ZDiT – oznakowanie i sygnalizacja")
        form.locator("button[type=submit]").click()
        expect(coord.locator("dl.facts")).to_contain_text("ZDiT – oznakowanie i sygnalizacja")
        assert listed("real_signs", people["real_signs"])

        boss = pages["supervisor_zdit"]
        boss.goto(url)
        expect(boss.locator("h1")).to_contain_text("Przewrócony znak STOP")
        expect(boss.locator("input[name=action]")).to_have_count(0)  # reads, never acts

        real = pages["real_signs"]
        real.goto(url)
        act(real, "take")
        expect(real.locator("dl.facts")).to_contain_text("Realizuje")
        real.fill("#d-rpw", "RPW/2026/77")
        real.click("form[action$='/details'] button")
        expect(real.locator("dl.facts")).to_contain_text("RPW/2026/77")
        act(
            real,
            "contractor",
            firm="Znakpol",
            ordered_on=today.isoformat(),
            until=(today + timedelta(days=5)).isoformat(),
        )
        expect(real.locator("dl.facts")).to_contain_text("Znakpol")
        assert_accessible(real, SHOTS, "13-realizer-contractor")
        act(real, "accept_work", done_on=today.isoformat())
        expect(real.locator("main")).to_contain_text("Rozwiązane")
        expect(real.locator("dl.facts")).to_contain_text("Zrealizował(a)")
        expect(real.locator("input[name=action]")).to_have_count(0)
        assert_accessible(real, SHOTS, "14-realizer-resolved")


def test_returns_suspension_and_a_report_of_two_events_by_each_roles_pages(rig: Rig):  # noqa: F811
    """Seed 001 as its people do it: a resident's report of two events becomes two reports that
    name each other, each with its own scope and coordinator (§ 11, § 13 ust. 2); a coordinator
    returns a report to the operator with the reason (§ 19 ust. 4 pkt 1), who sends it on again
    (§ 20); the realizer returns it to the coordinator with a reason and a date (§ 21 ust. 2
    pkt 2), who suspends it with a reason and a date, and resumes it (§ 19 ust. 3)."""
    today = datetime.now(UTC).date()
    later = (today + timedelta(days=14)).isoformat()
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        phone.select_option("#sub", label="Dziura w jezdni")
        phone.click("form[method=get] button")
        phone.fill("#address", "ul. Rzgowska 17, przystanek")
        phone.fill("#description", "Dziura w jezdni, a obok złamane drzewo na chodniku.")
        phone.click("button.primary")
        expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
        found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
        assert found
        number = int(found.group(1))

        pages = {}

        def desk(who: str, ip: str) -> Any:
            if who not in pages:
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900},
                    extra_http_headers={"X-Forwarded-For": ip},
                )
                page = context.new_page()
                page.goto(f"{rig.web.url}/usterki/")
                page.fill("#email", rig.people.emails[who])
                page.fill("#password", PASSWORD)
                page.click("button.primary")
                expect(page).to_have_url(f"{rig.web.url}/usterki/")
                pages[who] = page
            return pages[who]

        def act(page: Any, action: str, then: str, **fields: str) -> None:
            form = page.locator(f"form:has(input[name=action][value={action}])")
            for name, value in fields.items():
                if name == "group":
                    form.locator("select[name=group]").select_option(label=value)
                else:
                    form.locator(f"[name={name}]").fill(value)
            form.locator("button[type=submit]").click()
            if then == "passed on":  # out of this person's scope: back to their list, told so
                expect(page).to_have_url(re.compile(r"/usterki/\?passed="))
                expect(page.locator("p.success")).to_have_text(
                    f"Zgłoszenie nr {number} przekazano dalej; nie jest już w Twoim zakresie."
                )
            else:
                expect(page.locator("p.status")).to_have_text(then)

        op = desk("operator", "10.0.2.1")
        op.goto(f"{rig.web.url}/usterki/r/{number}")
        op.fill("#scope-0", "Dziura w jezdni przy przystanku")
        op.fill("#scope-1", "Złamane drzewo na chodniku")
        op.select_option("#psub-1", label="Złamane drzewo lub gałąź")
        op.click("form[action$='/duplicate'] button")
        family = op.locator("h2:has-text('Pozostałe zgłoszenia') + ul")
        expect(family).to_contain_text("Złamane drzewo na chodniku")
        copied = re.search(r"(\d+): Złamane drzewo na chodniku", family.inner_text())
        assert copied, family.inner_text()
        copy = int(copied.group(1))
        assert copy != number
        expect(op.locator("dl.facts")).to_contain_text("Dziura w jezdni przy przystanku")
        assert_accessible(op, SHOTS, "15-duplicated")

        # The copy goes to the greenery's coordinators, who see its scope and the original.
        op.goto(f"{rig.web.url}/usterki/r/{copy}")
        expect(op.locator("dl.facts")).to_contain_text("Złamane drzewo lub gałąź")
        act(op, "forward", "U koordynatora", group="ZZM – koordynatorzy")
        zzm = desk("coord_zzm", "10.0.2.2")
        zzm.goto(f"{rig.web.url}/usterki/r/{copy}")
        expect(zzm.locator("dl.facts")).to_contain_text("Złamane drzewo na chodniku")
        expect(zzm.locator("h2:has-text('Pozostałe zgłoszenia') + ul")).to_contain_text(
            "Dziura w jezdni przy przystanku"
        )

        # The original: sent to transport by mistake, returned with the right addressee.
        op.goto(f"{rig.web.url}/usterki/r/{number}")
        act(op, "forward", "U koordynatora", group="ZDiT – koordynatorzy transportu")
        transport = desk("coord_transport", "10.0.2.3")
        transport.goto(f"{rig.web.url}/usterki/r/{number}")
        act(transport, "take", "U koordynatora")
        act(
            transport,
            "return_to_operator",
            "passed on",
            reason="Jezdnia należy do koordynatorów dróg ZDiT.",
        )
        op.goto(f"{rig.web.url}/usterki/?status=all")
        expect(op.locator(f'a[href="/usterki/r/{number}"]')).to_have_count(1)
        assert_accessible(transport, SHOTS, "16-passed-on")
        op.goto(f"{rig.web.url}/usterki/r/{number}")
        expect(op.locator("p.status")).to_have_text("Zwrócone do operatora")
        expect(op.locator("table")).to_contain_text("Jezdnia należy do koordynatorów dróg ZDiT.")
        act(op, "forward", "U koordynatora", group="ZDiT – koordynatorzy dróg")

        roads = desk("coord_roads", "10.0.2.4")
        roads.goto(f"{rig.web.url}/usterki/r/{number}")
        act(roads, "take", "U koordynatora")
        act(roads, "assign", "U realizatora", group="ZDiT – utrzymanie dróg")
        real = desk("real_roads", "10.0.2.5")
        real.goto(f"{rig.web.url}/usterki/r/{number}")
        act(real, "take", "W realizacji")
        act(
            real,
            "return_to_coordinator",
            "passed on",
            reason="Najpierw remont sieci wodociągowej.",
            until=later,
        )
        roads.goto(f"{rig.web.url}/usterki/r/{number}")
        expect(roads.locator("table")).to_contain_text("Najpierw remont sieci wodociągowej.")
        act(roads, "suspend", "Zawieszone", reason="Remont sieci wodociągowej.", until=later)
        expect(roads.locator("dl.facts")).to_contain_text("Zawieszone do")
        assert_accessible(roads, SHOTS, "17-suspended")
        act(roads, "resume", "U koordynatora")
        expect(roads.locator("dl.facts")).not_to_contain_text("Zawieszone do")


def test_a_late_report_and_an_out_of_scope_one_are_closed_as_the_procedure_says(rig: Rig):  # noqa: F811
    """Seed 001 as its people do it: the operator enters a call taken during an outage with its
    real time (§ 31 ust. 2) and the reporter's wish for a reply (§ 8 ust. 1 pkt 2); the realizer
    records a site visit and the reply (§ 16 ust. 3, § 17), may resolve the long-late report
    only once the delay's reason and planned date are given (§ 18 ust. 2), then resolves it
    (§ 21 ust. 2 pkt 5). A report beyond every city unit's scope is closed by the operator with
    the RPW id and where it went (§ 14 ust. 3)."""
    today = datetime.now(UTC).date()
    received = (datetime.now(UTC) - timedelta(days=30)).astimezone()
    with chromium() as browser:
        pages = {}

        def desk(who: str, ip: str) -> Any:
            if who not in pages:
                context = browser.new_context(
                    viewport={"width": 1280, "height": 900},
                    extra_http_headers={"X-Forwarded-For": ip},
                )
                page = context.new_page()
                page.goto(f"{rig.web.url}/usterki/")
                page.fill("#email", rig.people.emails[who])
                page.fill("#password", PASSWORD)
                page.click("button.primary")
                expect(page).to_have_url(f"{rig.web.url}/usterki/")
                pages[who] = page
            return pages[who]

        def act(page: Any, action: str, then: str, **fields: str) -> None:
            form = page.locator(f"form:has(input[name=action][value={action}])")
            for name, value in fields.items():
                if name == "group":
                    form.locator("select[name=group]").select_option(label=value)
                elif name == "closure":
                    form.locator(f"input[name=closure][value={value}]").check()
                else:
                    form.locator(f"[name={name}]").fill(value)
            form.locator("button[type=submit]").click()
            expect(page.locator("p.status")).to_have_text(then)

        def register(page: Any, title: str, **extra: str) -> int:
            page.goto(f"{rig.web.url}/usterki/new")
            page.select_option("#channel", "phone")
            page.select_option("#sub", label="Dziura w jezdni")
            page.fill("#title", title)
            page.fill("#description", f"{title}: zgłoszenie telefoniczne.")
            page.fill("#address", "ul. Pomorska 100")
            for field, value in extra.items():
                if field == "reply":
                    page.check(f"input[name=reply][value={value}]")
                else:
                    page.fill(f"#{field}", value)
            page.click("button.primary")
            found = re.search(r"/usterki/r/(\d+)", page.url)
            assert found, page.url
            return int(found.group(1))

        op = desk("operator", "10.0.3.1")
        late = register(
            op,
            "Dziura zgłoszona w czasie awarii",
            received_at=received.strftime("%Y-%m-%dT%H:%M"),
            source_message="Rozmowa z mieszkanką: dziura na pasie do skrętu.",
            reply="yes",
            name="Alicja Nowak",
            email="alicja@example.com",
        )
        facts = op.locator("dl.facts")
        # Its real time, as entered, not the time it was typed in.
        expect(facts).to_contain_text(
            f"{received.day}.{received.month}.{received.year}, {received:%H:%M}"
        )
        expect(facts).to_contain_text("alicja@example.com")
        expect(op.locator("details:has-text('Wiadomość źródłowa')")).to_contain_text(
            "dziura na pasie do skrętu"
        )
        act(op, "forward", "U koordynatora", group="ZDiT – koordynatorzy dróg")
        coord = desk("coord_roads", "10.0.3.2")
        coord.goto(f"{rig.web.url}/usterki/r/{late}")
        act(coord, "take", "U koordynatora")
        act(coord, "assign", "U realizatora", group="ZDiT – utrzymanie dróg")

        real = desk("real_roads", "10.0.3.3")
        real.goto(f"{rig.web.url}/usterki/r/{late}")
        act(real, "take", "W realizacji")
        real.fill("#note", "Wizja lokalna: ubytek 15 cm.")
        real.click("form[action$='/note'] button")
        real.fill("#replied_on", today.isoformat())
        real.fill("#how", "e-mail")
        real.fill("#reply-text", "Naprawa w przyszłym tygodniu.")
        real.click("form[action$='/reply'] button")
        history = real.locator("table").last
        expect(history).to_contain_text("Wizja lokalna: ubytek 15 cm.")
        replies = real.locator("h2:has-text('Odpowiedzi dla zgłaszającego') + ul")
        expect(replies).to_contain_text("e-mail: Naprawa w przyszłym tygodniu.")

        resolve = real.locator("form:has(input[name=action][value=resolve])")
        resolve.locator("[name=reason]").fill("Załatane")
        resolve.locator("button[type=submit]").click()
        expect(real.locator(".error-summary")).to_contain_text(
            "najpierw podaj przyczynę opóźnienia i planowany termin"
        )
        expect(real.locator("p.status")).to_have_text("W realizacji")
        assert_accessible(real, SHOTS, "18-late-refused")
        real.fill("#delay_reason", "Brak asfaltu w wytwórni.")
        real.fill("#planned_on", (today + timedelta(days=3)).isoformat())
        real.click("form[action$='/delay'] button")
        expect(real.locator("dl.facts")).to_contain_text("Brak asfaltu w wytwórni.")
        act(real, "resolve", "Rozwiązane", reason="Załatane masą na gorąco.")
        expect(real.locator("dl.facts")).to_contain_text("Zrealizował(a)")

        # Beyond every city unit: closed by the operator with the RPW id and the addressee.
        railway = register(op, "Uszkodzony wiadukt kolejowy")
        close = op.locator("form:has(input[name=action][value=close_by_operator])")
        close.locator("input[name=closure][value=out_of_scope]").check()
        close.locator("[name=reason]").fill("Przekazano do PKP PLK, zarządcy wiaduktu.")
        close.locator("button[type=submit]").click()
        expect(op.locator(".error-summary")).to_be_visible()  # § 14 ust. 3: the RPW id too
        expect(op.locator("p.status")).to_have_text("Nowe")
        act(
            op,
            "close_by_operator",
            "Zamknięte",
            closure="out_of_scope",
            reason="Przekazano do PKP PLK, zarządcy wiaduktu.",
            rpw_id="RPW/2026/9",
        )
        facts = op.locator("dl.facts")
        expect(facts).to_contain_text("Poza zakresem komórek i jednostek miasta")
        expect(facts).to_contain_text("PKP PLK")
        expect(facts).to_contain_text("RPW/2026/9")
        assert_accessible(op, SHOTS, "19-out-of-scope")
        assert railway != late


def test_a_resident_withdraws_consent_on_the_status_page_and_the_data_are_gone(rig: Rig):  # noqa: F811
    """Seed 001 § 26–27: a resident who wants a reply gives a contact only with consent; on the
    status page they withdraw it, and the operator's page no longer holds the contact."""
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        phone.select_option("#sub", label="Dziura w jezdni")
        phone.click("form[method=get] button")
        phone.fill("#address", "ul. Gdańska 80")
        phone.fill("#description", "Dziura przy wjeździe na parking.")
        phone.check("input[name=reply][value=yes]")
        phone.fill("#email", "mieszkaniec@example.com")
        phone.click("button.primary")
        expect(phone.locator(".error-summary")).to_be_visible()  # no consent: refused
        phone.check("input[name=consent]")
        phone.click("button.primary")
        expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
        found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
        assert found
        number = int(found.group(1))

        desk = browser.new_context(
            viewport={"width": 1280, "height": 900},
            extra_http_headers={"X-Forwarded-For": "10.0.4.1"},
        ).new_page()
        desk.goto(f"{rig.web.url}/usterki/")
        desk.fill("#email", rig.people.emails["operator"])
        desk.fill("#password", PASSWORD)
        desk.click("button.primary")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        expect(desk.locator("dl.facts")).to_contain_text("mieszkaniec@example.com")

        phone.click("button:has-text('Cofnij zgodę i usuń moje dane')")
        expect(phone.locator("p.success")).to_contain_text(
            "Twoje dane kontaktowe zostały usunięte."
        )
        expect(phone.locator("button:has-text('Cofnij zgodę')")).to_have_count(0)
        assert_accessible(phone, SHOTS, "20-consent-withdrawn")
        desk.reload()
        expect(desk.locator("dl.facts")).not_to_contain_text("mieszkaniec@example.com")


def sign_in(page: Page, rig: Rig, who: str) -> None:  # noqa: F811
    page.goto(f"{rig.web.url}/usterki/")
    page.fill("#email", rig.people.emails[who])
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{rig.web.url}/usterki/")


async def a_mailed_report(engine: AsyncEngine) -> int:
    """A mail as the mailbox files it: "Inne / Do sklasyfikowania", no address."""
    raw = (
        b"From: Jan Kowalski <jan.kowalski@example.com>\r\nTo: awaria@uml.example\r\n"
        b"Subject: Dziura na Zgierskiej\r\n\r\nPrzy przystanku na Zgierskiej jest dziura.\r\n"
    )
    return await mailbox.file_message(engine, raw, datetime.now(UTC))


async def at_the_realizer(engine: AsyncEngine, people: People) -> int:
    """A report handed to the road realizers (ZDiT) that is really an investment."""
    async with engine.connect() as conn:
        sub = await conn.scalar(
            select(t.subcategories.c.id).where(t.subcategories.c.code == "dziura")
        )
    now = datetime.now(UTC)
    draft = store.Draft(
        int(sub or 0), "Brak chodnika wzdłuż ul. Rydla", Channel.PHONE, address="ul. Rydla"
    )
    number, _ = await store.file_report(engine, draft, now)
    async with engine.begin() as conn:
        await conn.execute(
            t.reports.update()
            .where(t.reports.c.id == number)
            .values(
                status="realizer",
                department_id=people.departments["ZDIT"],
                coordinator_group_id=people.groups["ZDIT-K-DROGI"],
                realizer_group_id=people.groups["ZDIT-R-DROGI"],
            )
        )
    return number


def test_the_operator_completes_and_reclassifies_a_mailed_report(rig: Rig, tmp_path: Path):  # noqa: F811
    # § 9 pkt 2-4: the operator classifies the mail, moves its data into their fields (the
    # address and the map point) and adds the files that came with it.
    number = rig.db(a_mailed_report)
    investment = rig.db(lambda engine: at_the_realizer(engine, rig.people))
    letter = tmp_path / "pismo.pdf"
    letter.write_bytes(b"%PDF-1.4\n% pismo przewodnie\n")
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        facts = desk.locator(".facts")
        expect(facts).to_contain_text("Inne / Do sklasyfikowania")
        desk.select_option("#d-sub", label="Drogi / Dziura w jezdni")
        desk.fill("#d-address", "ul. Zgierska 71, przystanek Bałucki Rynek")
        desk.fill("#lat", "51.7901")
        desk.fill("#lon", "19.4510")
        desk.set_input_files("#d-files", str(letter))
        desk.click("form[action$='/details'] button[type=submit]")
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        expect(facts).to_contain_text("Drogi / Dziura w jezdni")
        expect(facts).to_contain_text(
            "ul. Zgierska 71, przystanek Bałucki Rynek (51.79010, 19.45100)"
        )
        expect(desk.locator("a", has_text="pismo.pdf")).to_be_visible()
        history = desk.locator("table tbody")
        expect(history).to_contain_text("Dodano pliki")
        expect(history).to_contain_text("pismo.pdf")
        # The forward form now offers the subcategory's coordinator group.
        expect(desk.locator("#forward-group option:checked")).to_have_text(
            "ZDiT – koordynatorzy dróg"
        )
        assert_accessible(desk, SHOTS, "12-report-completed")
        file_link = desk.locator("a", has_text="pismo.pdf").get_attribute("href")
        got = desk.request.get(f"{rig.web.url}{file_link}")
        assert got.body() == letter.read_bytes()

        # § 21 ust. 2 pkt 1: the realizer moves an investment to the investment tasks.
        real = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(real, rig, "real_roads")
        real.goto(f"{rig.web.url}/usterki/r/{investment}")
        expect(real.locator("#d-address")).to_have_count(0)  # the place is the operator's
        real.select_option("#d-sub", label="Zadania inwestycyjne / Zadanie inwestycyjne")
        real.click("form[action$='/details'] button[type=submit]")
        expect(real.locator("p.success")).to_have_text("Zapisano.")
        expect(real.locator(".facts")).to_contain_text(
            "Zadania inwestycyjne / Zadanie inwestycyjne"
        )
        assert_accessible(real, SHOTS, "13-report-investment")


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_the_history_says_what_changed_dates_read_one_way_and_withdrawn_consent_shows(
    rig: Rig,  # noqa: F811
):
    with chromium() as browser:
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{rig.web.url}/usterka")
        phone.select_option("#sub", label="Zniszczona ławka")
        phone.click("form[method=get] button")
        phone.fill("#address", "Park Poniatowskiego, przy fontannie")
        phone.fill("#description", "Połamana ławka")
        phone.check("input[name=reply][value=yes]")
        phone.fill("#name", "Alicja Kos")
        phone.fill("#email", "alicja.kos@example.com")
        phone.check("input[name=consent]")
        phone.click("button.primary")
        expect(phone.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")
        found = re.search(r"nr (\d+)", phone.locator("h1").inner_text())
        assert found
        number = found.group(1)
        expect(phone.locator("main")).to_contain_text(re.compile(r"\d{1,2}\.\d{2}\.\d{4}, \d"))
        phone.click("button:has-text('Cofnij zgodę')")
        expect(phone.locator(".success")).to_contain_text("Twoje dane kontaktowe zostały usunięte")

        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        facts = desk.locator(".facts")
        expect(facts).to_contain_text(
            "tak, ale dane kontaktowe usunięto (cofnięta zgoda lub upływ okresu przechowywania)"
        )
        expect(facts).not_to_contain_text("tak:")
        desk.fill("#d-rpw", "RPW/15/2026")
        desk.fill("#d-precinct", "S-7")
        desk.click("form[action$='/details'] button[type=submit]")
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        planned = (datetime.now(UTC) + timedelta(days=20)).date()
        desk.fill("#delay_reason", "Czekamy na dostawę desek")
        desk.fill("#planned_on", planned.isoformat())
        desk.click("form[action$='/delay'] button[type=submit]")
        expect(desk.locator("p.success")).to_have_text("Zapisano.")
        history = desk.locator("table tbody")
        expect(history).to_contain_text("Identyfikator RPW: RPW/15/2026; Obręb geodezyjny: S-7")
        expect(history).not_to_contain_text("rpw_id")
        expect(history).to_contain_text(
            f"Czekamy na dostawę desek → {planned.day}.{planned.month:02d}.{planned.year}"
        )
        main = desk.locator("main").inner_text()
        assert not ISO_DATE.search(main), ISO_DATE.findall(main)
        assert "Wpłynęło" in main
        assert_accessible(desk, SHOTS, "17-history-readable")


async def a_dispenser_out_of_paper(engine: AsyncEngine, now: datetime) -> int:
    """The Toruń site as its site file imports it, and its dispenser reporting no paper."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(Location.__table__).values(  # type: ignore[arg-type]
                id="torun-um",
                name="Urząd Miasta Torunia – Wydział Spraw Administracyjnych",
                address="ul. Batorego 38/40, 87-100 Toruń",
            )
        )
        await conn.execute(
            insert(Device.__table__).values(  # type: ignore[arg-type]
                location_id="torun-um",
                device_id="dispenser-1",
                role="dispenser",
                online=True,
                printer="paper_out",
                changed_at=now - timedelta(minutes=1),
            )
        )
    assert await devices.watch(engine, now) == (1, 0)
    async with engine.connect() as conn:
        key = "torun-um/dispenser-1/paper"
        return int(await conn.scalar(select(t.reports.c.id).where(t.reports.c.device_key == key)))


def test_a_dispenser_without_paper_has_hours_to_be_fixed_at_its_named_site(rig: Rig):  # noqa: F811
    now = datetime.now(UTC)
    number = rig.db(lambda engine: a_dispenser_out_of_paper(engine, now))
    due = DEFAULT.calendar.add(now, timedelta(hours=4)).astimezone(ZoneInfo("Europe/Warsaw"))
    with chromium() as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(desk, rig, "operator")
        desk.goto(f"{rig.web.url}/usterki/r/{number}")
        facts = desk.locator(".facts")
        expect(facts).to_contain_text(
            "Urząd Miasta Torunia – Wydział Spraw Administracyjnych, ul. Batorego 38/40, "
            "87-100 Toruń"
        )
        expect(facts).not_to_contain_text("torun-um")
        # Four working hours (the settings' [sla.hours]), not the residents' ten working days.
        expect(desk.locator(".counts")).to_contain_text(
            f"Termin realizacji: {due.day}.{due.month:02d}.{due.year}, {due:%H:%M}"
        )
        assert_accessible(desk, SHOTS, "18-device-report")


def test_handed_on_reports_a_paused_deadline_and_the_statistics_by_period(rig: Rig):  # noqa: F811
    """Issue 16 item 11 in Chromium with axe, at 1366 and 390 px: the coordinator's
    "Przekazane" list and a handed-on report read only; a report whose deadline a suspension
    moved; the statistics for a period with their exports and late take-ups."""
    from datetime import date

    from web.faults.domain import Action, Step

    p: People = rig.people

    async def prepare(engine: AsyncEngine) -> tuple[int, int]:
        now = datetime.now(UTC)
        draft = store.Draft(
            p.subs["drzewo"],
            "Złamana gałąź nad chodnikiem",
            Channel.PHONE,
            address="Park Źródliska",
        )
        handed, _ = await store.file_report(engine, draft, now)
        await store.act(
            engine, p.operator, handed, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), now
        )
        await store.act(
            engine, p.coord_roads, handed,
            Step(Action.FORWARD_COORDINATOR, group_id=p.groups["ZZM-K"], reason="zieleń"), now,
        )  # fmt: skip
        at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        draft = store.Draft(
            p.subs["dziura"], "Dziura przy szkole", Channel.PHONE, address="ul. Szkolna 1",
            received_at=at,
        )  # fmt: skip
        paused, _ = await store.file_report(engine, draft, at)
        for who, step, when in (
            (p.operator, Step(Action.FORWARD, group_id=p.groups["ZDIT-K-DROGI"]), at),
            (p.coord_roads, Step(Action.TAKE), at + timedelta(days=2)),
            (p.coord_roads, Step(Action.SUSPEND, reason="Remont sieci", until=date(2026, 3, 9)),
             at + timedelta(days=2)),
            (p.coord_roads, Step(Action.RESUME), at + timedelta(days=7)),
        ):  # fmt: skip
            await store.act(engine, who, paused, step, when)
        return handed, paused

    handed, paused = rig.db(prepare)
    with chromium() as browser:
        for width, height, tag in ((1366, 900, "1366"), (390, 844, "390")):
            desk = browser.new_context(viewport={"width": width, "height": height}).new_page()
            desk.goto(f"{rig.web.url}/usterki/")
            desk.fill("#email", rig.people.emails["coord_roads"])
            desk.fill("#password", PASSWORD)
            desk.click("button.primary")
            desk.click("nav >> text=Przekazane")
            expect(desk.locator(f'a[href="/usterki/r/{handed}"]')).to_be_visible()
            assert_accessible(desk, SHOTS, f"9-handed-{tag}")
            desk.click(f'a[href="/usterki/r/{handed}"]')
            expect(desk.locator(".handed-on")).to_contain_text("tylko do odczytu")
            expect(desk.locator("button[name=action]")).to_have_count(0)
            assert_accessible(desk, SHOTS, f"10-handed-report-{tag}")
            desk.goto(f"{rig.web.url}/usterki/r/{paused}")
            expect(desk.locator(".realise-due")).to_contain_text("przesunięty o czas zawieszenia")
            assert_accessible(desk, SHOTS, f"11-paused-deadline-{tag}")
            desk.goto(f"{rig.web.url}/usterki/stats")
            desk.fill("#from", "2026-03-01")
            desk.fill("#to", "2026-03-31")
            desk.click("form.filters button")
            expect(desk.locator("th", has_text="Podjęte po terminie").first).to_be_visible()
            expect(desk.locator("a", has_text="XLSX")).to_have_attribute(
                "href", "/usterki/stats.xlsx?from=2026-03-01&to=2026-03-31"
            )
            assert_accessible(desk, SHOTS, f"12-stats-period-{tag}")
            desk.context.close()
