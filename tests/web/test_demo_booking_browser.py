"""Seeds 003/004 walked in Chromium with the demo's own catalog (examples/torun.toml and
web/demo_data.py), the way issue 19 found its defects: what the pages suggest must work.
Each page is checked with axe and photographed at 1366 px (public pages at 390 px too;
copies in /tmp/okienko-shots/demo-booking/)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config import load_site
from okienko.demo import demo_site
from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import Smtp, WebProcess, body_text, six_digit_code
from web.catalog import import_site
from web.demo_data import populate
from web.reservations.booking import TZ

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "examples" / "torun.toml"
SHOTS = Path("/tmp/okienko-shots/demo-booking")
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


class Demo:
    def __init__(self, web: WebProcess, smtp: Smtp, browser: Browser, staff: dict[str, Any]):
        self.web, self.smtp, self.browser, self.staff = web, smtp, browser, staff

    def page(self, viewport: dict[str, int] = WIDE) -> Page:
        return self.browser.new_context(viewport=viewport, locale="pl-PL").new_page()

    def staff_page(self, who: str) -> Page:
        page = self.page()
        page.goto(f"{self.web.url}/staff/login")
        page.fill("#email", self.staff[who]["email"])
        page.fill("#password", self.staff[who]["password"])
        page.click("main button[type=submit]")
        return page


def look(page: Page, name: str, *, phone: bool = False) -> None:
    """axe clean, photographed wide (and at a phone's width for the public pages)."""
    assert_accessible(page, SHOTS, name)
    if phone:
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        assert_accessible(page, SHOTS, f"{name}-390")
        if size:
            page.set_viewport_size(size)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("demo-booking")
    smtp = Smtp.start()
    web = WebProcess.start(workdir, smtp_port=smtp.port, site=SITE)
    site = demo_site(load_site(SITE).site)[0]  # open all day, every day, as `okienko demo`

    async def prepare(engine: AsyncEngine) -> dict[str, Any]:
        await import_site(engine, site)
        return await populate(engine, site, datetime.now(TZ).date())

    try:
        staff = web.db(prepare)
        with chromium() as browser:
            yield Demo(web, smtp, browser, staff)
    finally:
        web.stop()
        smtp.stop()


def search(page: Page, text: str) -> list[str]:
    page.fill("#q", text)
    page.press("#q", "Enter")
    expect(page.locator(".result-count")).to_be_visible()
    return page.locator(".matter-list > li > a").all_inner_texts()


def test_the_search_boxs_own_examples_find_their_matters(demo: Demo):
    page = demo.page()
    page.goto(f"{demo.web.url}/")
    hint = page.locator("#q-hint").inner_text()
    examples = [e.strip() for e in hint.split(":", 1)[1].split(",")]
    assert examples == ["dowód osobisty", "meldunek", "prawo jazdy"]
    expected = {
        "dowód osobisty": "Dowody osobiste",
        "meldunek": "Sprawy meldunkowe",
        "prawo jazdy": "Prawa jazdy",
    }
    for example in examples:
        assert search(page, example)[:1] == [expected[example]], example
    look(page, "search-prawo-jazdy", phone=True)
    # What visitors type besides: a keyword (from the admin page), no diacritics, a typo.
    assert search(page, "rejestracja samochodu") == ["Rejestracja pojazdów"]
    assert search(page, "dowod osobisty")[:1] == ["Dowody osobiste"]
    assert search(page, "zameldowanie")[:1] == ["Sprawy meldunkowe"]
    assert search(page, "rejestarcja pojazdu") == ["Rejestracja pojazdów"]
    assert search(page, "dzialalnosc gospodarcza") == ["Działalność gospodarcza (CEIDG)"]
    assert search(page, "paszport na Marsa") == []
    expect(page.get_by_text("Żadna sprawa nie pasuje")).to_be_visible()


def test_the_english_examples_find_their_matters_too(demo: Demo):
    page = demo.page()
    page.goto(f"{demo.web.url}/?lang=en")
    hint = page.locator("#q-hint").inner_text()
    for example in (e.strip() for e in hint.split(":", 1)[1].split(",")):
        assert search(page, example), example
    assert search(page, "driving licence") == ["Driving licences"]


def test_a_keyword_added_on_the_admin_page_finds_the_matter(demo: Demo):
    page = demo.page()
    page.goto(f"{demo.web.url}/")
    assert search(page, "mandatu") == []
    admin = demo.staff_page("admin")
    admin.goto(f"{demo.web.url}/admin/services/kasa")
    admin.fill("#f-keywords", "mandat, podatek od psa")
    look(admin, "admin-service-keywords")
    admin.click("button.primary")
    expect(admin.locator("#f-keywords")).to_have_value("mandat, podatek od psa")
    page.goto(f"{demo.web.url}/")
    assert search(page, "mandatu") == ["Kasa"]


def sms_to(demo: Demo, number: str) -> list[str]:
    path = Path(demo.web.log).parent / "outbox" / "sms.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [m["text"] for m in map(json.loads, lines) if m["to"] == number]


def to_step_4(demo: Demo, page: Page, matter: str) -> None:
    page.goto(f"{demo.web.url}/")
    page.get_by_role("link", name=matter, exact=True).click()
    if "/book/place" in page.url:
        page.locator("a[href^='/book/day']").first.click()
    page.locator("a[href^='/book/hour']").nth(1).click()
    page.locator("button[name=time]").nth(2).click()
    expect(page.get_by_text("Krok 4 z 5")).to_be_visible()


def test_a_visitor_gives_an_email_and_a_german_mobile_and_is_told_on_both(demo: Demo):
    page = demo.page()
    to_step_4(demo, page, "Dowody osobiste")
    page.fill("#name", "Jonas Müller")
    page.fill("#contact", "jonas.mueller@example.de")
    page.fill("#contact_extra", "jonas.mueller@example.org")  # two e-mails: not what it asks
    page.check("#terms")
    page.check("#privacy")
    page.click("button.primary")
    expect(page.locator("#contact_extra-error")).to_contain_text("numer telefonu")
    page.fill("#contact_extra", "+49 151 23456789")
    look(page, "details-two-contacts", phone=True)
    page.click("button.primary")
    expect(page.get_by_text("Krok 5 z 5")).to_be_visible()
    code = six_digit_code(demo.smtp.inbox.wait_for("jonas.mueller@example.de")[-1])
    page.fill("#code", code)
    page.click("button.primary")
    expect(page.locator(".access-code")).to_be_visible()
    look(page, "done-two-contacts", phone=True)
    mails = demo.smtp.inbox.wait_for("jonas.mueller@example.de", 2)
    assert "Kod dostępu" in body_text(mails[-1])
    (sms,) = sms_to(demo, "+4915123456789")
    assert page.locator(".access-code").inner_text().replace(" ", "") in sms.replace(" ", "")


def test_a_ukrainian_mobile_alone_gets_the_code_by_sms(demo: Demo):
    page = demo.page()
    to_step_4(demo, page, "Sprawy meldunkowe")
    page.fill("#name", "Olena Kowalenko")
    page.fill("#contact", "+380 50 123 4567")
    page.check("#terms")
    page.check("#privacy")
    page.click("button.primary")
    expect(page.get_by_text("Krok 5 z 5")).to_be_visible()
    expect(page.get_by_text("+380 ••• ••• 567")).to_be_visible()
    (sms,) = sms_to(demo, "+380501234567")
    assert re.search(r"\b\d{6}\b", sms)


def test_staff_book_at_the_desk_for_later_today_within_the_public_notice(demo: Demo):
    now = datetime.now(TZ)
    today = now.date().isoformat()
    public = demo.page()
    public.goto(f"{demo.web.url}/book/hour?service=dowody&location=torun-um&day={today}")
    public_hours = public.locator("button[name=time]").all_inner_texts()
    clerk = demo.staff_page("clerk")
    clerk.goto(f"{demo.web.url}/staff/book?service=dowody&location=torun-um&day={today}")
    offered = clerk.locator("input[name=start]")
    expect(offered.first).to_be_attached()
    # The first hour that does not start while the form is filled in (a busy machine takes
    # minutes), still inside the public hour's notice.
    starts = [
        datetime.fromisoformat(v or "")
        for v in offered.evaluate_all("inputs => inputs.map(i => i.value)")
    ]
    assert starts, "no hour offered at the desk today"
    soon = now + timedelta(minutes=5), now + timedelta(minutes=60)
    index = next((i for i, s in enumerate(starts) if soon[0] < s < soon[1]), 0)
    start = starts[index]
    first = offered.nth(index)
    assert now < start < now + timedelta(minutes=60)  # inside the public hour's notice
    label = f"{start:%H:%M}"
    assert label not in public_hours
    look(clerk, "staff-book-later-today")
    first.check()
    clerk.check("#kind-desk")
    clerk.fill("#name", "Zofia Okienkowa")
    clerk.fill("#contact", "+380 67 123 4567")
    clerk.fill("#contact_extra", "zofia.okienkowa@example.org")
    clerk.click("form.form button.primary")
    expect(clerk.locator("main")).to_contain_text("W urzędzie")  # booked at the desk
    expect(clerk.locator("main")).to_contain_text(label)
    expect(clerk.locator("main")).to_contain_text("+380 67 123 4567")
    expect(clerk.locator("main")).to_contain_text("zofia.okienkowa@example.org")
    mail = demo.smtp.inbox.wait_for("zofia.okienkowa@example.org")[-1]
    assert "Kod dostępu" in body_text(mail)
    assert sms_to(demo, "+380671234567")  # told on both
    look(clerk, "staff-booked-at-the-desk")


def test_switching_language_on_the_details_step_keeps_what_was_typed(demo: Demo):
    page = demo.page()
    to_step_4(demo, page, "Prawa jazdy")
    page.fill("#name", "Grzegorz Brzęczyszczykiewicz")
    page.fill("#contact", "grzegorz@example.org")
    page.check("#terms")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_text("Step 4 of 5")).to_be_visible()
    expect(page.locator("#name")).to_have_value("Grzegorz Brzęczyszczykiewicz")
    expect(page.locator("#contact")).to_have_value("grzegorz@example.org")
    expect(page.locator("#terms")).to_be_checked()
    expect(page.locator("#privacy")).not_to_be_checked()
    look(page, "details-in-english-kept", phone=True)
    page.get_by_role("link", name="Polski").click()
    expect(page.locator("#name")).to_have_value("Grzegorz Brzęczyszczykiewicz")


def test_a_new_service_starts_with_the_booking_numbers_filled_and_saves_as_it_comes(demo: Demo):
    admin = demo.staff_page("admin")
    admin.goto(f"{demo.web.url}/admin/services/new")
    for field, value in (
        ("duration_min", "15"),
        ("horizon_days", "30"),
        ("notice_min", "60"),
        ("hold_min", "15"),
    ):
        expect(admin.locator(f"#f-{field}")).to_have_value(value)
    look(admin, "admin-new-service")
    admin.fill("#f-id", "paszporty")
    admin.select_option("#f-department", label="Wydział Spraw Administracyjnych")
    admin.fill("#f-name", "Paszporty")
    admin.click("main form.form button.primary")
    expect(admin).to_have_url(re.compile(r"/admin/services/paszporty$"))
    expect(admin.locator("#f-notice_min")).to_have_value("60")


def staff_book(
    page: Page, demo: Demo, name: str, contact: str, service: str = "meldunki", slot: int = 5
) -> None:
    day = datetime.now(TZ).date() + timedelta(days=1)
    page.goto(f"{demo.web.url}/staff/book?service={service}&location=torun-um&day={day}")
    page.locator("input[name=start]").nth(slot).check()
    page.fill("#name", name)
    page.fill("#contact", contact)
    page.click("form.form button.primary")
    expect(page.locator("main")).to_contain_text(name)


def test_the_register_finds_each_part_of_a_double_barrelled_surname_and_fits_1400_px(
    demo: Demo,
):
    clerk = demo.staff_page("clerk")
    staff_book(clerk, demo, "Maria Kowalska-Klawiatura", "maria.kk@example.org")
    staff_book(  # the longest of everything the register shows
        clerk,
        demo,
        "Przedsiębiorstwo Handlowo-Usługowe Brzęczyszczykiewicz i Wspólnicy sp. z o.o.",
        "sekretariat.przedsiebiorstwa.handlowo-uslugowego@brzeczyszczykiewicz.example.org",
        "dzialalnosc",
        6,
    )
    staff_book(clerk, demo, "Jonas Müller", "+49 151 23456789", "rejestracja", 7)
    for typed in ("Klawiatura", "Kowalska", "klawia"):
        clerk.goto(f"{demo.web.url}/staff/register?last_name={typed}&from=&to=")
        expect(clerk.locator("main table")).to_contain_text("Maria Kowalska-Klawiatura")
    manager = demo.staff_page("manager")
    manager.set_viewport_size({"width": 1400, "height": 900})
    manager.goto(f"{demo.web.url}/staff/register?from=&to=")
    expect(manager.locator("main table")).to_contain_text("Maria Kowalska-Klawiatura")
    sideways = manager.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    table = manager.locator("main table").bounding_box()
    assert sideways <= 0 and table is not None and table["x"] + table["width"] <= 1400
    inner = manager.evaluate(
        "() => { const w = document.querySelector('.table-wrap'); "
        "return w.scrollWidth - w.clientWidth; }"
    )
    assert inner <= 0, "the register's table scrolls sideways"
    phone = manager.locator("td.contact", has_text="+49").first
    lines = phone.evaluate(
        "td => { const r = document.createRange(); r.selectNodeContents(td); "
        "return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
    )
    assert lines == 1, "the phone number is broken over lines"
    look(manager, "register-1400")


def test_the_plan_header_names_a_room_once(demo: Demo):
    manager = demo.staff_page("manager")
    day = datetime.now(TZ).date()
    manager.goto(f"{demo.web.url}/staff/plan?point=f1&day={day}")
    header = manager.locator("main h2").first.inner_text()
    assert "pokój 3, parter" in header and "pokój pokój" not in header
    look(manager, "plan-branch-room")


def test_not_kept_waits_for_the_check_in_time_and_can_be_undone_that_day(demo: Demo):
    clerk = demo.staff_page("clerk")
    staff_book(clerk, demo, "Witold Sita", "+48 601 702 803", "dowody", 4)
    detail = clerk.url
    main = clerk.locator("main")
    arrived = main.get_by_role("button", name="Interesant przybył")
    not_kept = main.get_by_role("button", name="Rezerwacja niezrealizowana")
    expect(arrived).to_have_count(0)  # tomorrow's visit: hours ahead, neither is offered
    expect(not_kept).to_have_count(0)
    demo.web.move_visit("Witold Sita", datetime.now(TZ) - timedelta(minutes=20))
    clerk.goto(detail)
    expect(arrived).to_have_count(1)
    expect(not_kept).to_have_count(1)
    not_kept.click()
    expect(main).to_contain_text("Wizyta jest oznaczona jako niezrealizowana")
    undo = main.get_by_role("button", name="Cofnij „niezrealizowana”")
    look(clerk, "reservation-not-kept")
    undo.click()
    expect(main).to_contain_text("Cofnięto „niezrealizowana”: wizyta jest znów potwierdzona.")
    history = main.locator("table.history")
    expect(history).to_contain_text("Niezrealizowana")
    expect(history).to_contain_text("Cofnięto „niezrealizowana”: znów potwierdzona")
    expect(arrived).to_have_count(1)  # she came after all
    look(clerk, "reservation-not-kept-undone")
