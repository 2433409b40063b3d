"""Every visitor's page in Ukrainian, in Debian's Chromium with axe (WCAG 2.1 AA): a visitor
books a visit in Ukrainian from the first step to the code mailed in Ukrainian, sees and
cancels it; the e-ticket page and the information board of a synced office; the fault form
and its status page. Screenshots are copied to /tmp/okienko-shots/uk/."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from hub.contract import sync as contract
from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import Smtp, WebProcess, body_text, six_digit_code
from tests.sync.conftest import called, issued, snapshot
from tests.web.test_public_booking import prepare_catalog, write_site
from tests.web.test_public_browser import DESKTOP, MOBILE

CLI = [sys.executable, "-m", "okienko.cli"]
COPIES = Path("/tmp/okienko-shots/uk")
SITE = "test-site"  # the site file's id
MELDUNKI_UK = "Реєстрація місця проживання"
DOWODY_UK = "Посвідчення особи"
REPORTER = "taras.uk@example.org"


def ukrainian_plural(n: int, one: str, few: str, many: str) -> str:
    """The form a number takes in Ukrainian (1 особа, 2 особи, 5 осіб, 11 осіб, 21 особа)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebProcess, Smtp, str]]:
    tmp = tmp_path_factory.mktemp("ukrainian")
    site = write_site(tmp)
    text = site.read_text(encoding="utf-8")
    site.write_text(  # the site file names a service in Ukrainian
        text.replace(
            'name = "Sprawy meldunkowe"', f'name = "Sprawy meldunkowe"\nname_uk = "{MELDUNKI_UK}"'
        ),
        encoding="utf-8",
    )
    smtp = Smtp.start()
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    prepare_catalog(proc)
    token = subprocess.run(
        [*CLI, "site-token", "create", "--site", SITE, "--database-url", proc.database_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    yield proc, smtp, token
    proc.stop()
    smtp.stop()


class Pages:
    """Checks each page with axe, wide and at a phone's 390 px, and that it is in Ukrainian."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page, self.shots = page, shots

    def check(self, name: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", "uk")
        switch = self.page.locator("nav.lang")
        expect(switch).to_have_text(re.compile(r"Polski\s*English\s*Українська"))
        expect(switch.locator('a[aria-current="true"]')).to_have_text("Українська")
        assert_accessible(self.page, self.shots, name)
        self.page.set_viewport_size(MOBILE)
        assert_accessible(self.page, self.shots, f"{name}-390")
        self.page.set_viewport_size(DESKTOP)


def subject_of(message) -> str:  # type: ignore[no-untyped-def]
    return str(make_header(decode_header(message["Subject"])))


def test_a_visitor_books_a_visit_in_ukrainian_and_gets_the_code_in_ukrainian(
    web: tuple[WebProcess, Smtp, str], tmp_path: Path
):
    proc, smtp, _token = web
    contact = "olena.ukr@example.org"
    shots = tmp_path / "shots"
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        pages = Pages(page, shots)
        page.goto(f"{proc.url}/?lang=uk")
        expect(
            page.get_by_role("heading", name="Забронюйте візит до міської управи")
        ).to_be_visible()
        expect(page.get_by_text("Крок 1 з 5")).to_be_visible()
        expect(page.get_by_role("link", name=MELDUNKI_UK)).to_be_visible()  # name_uk
        expect(page.get_by_role("link", name="Dowody osobiste")).to_be_visible()  # no name_uk
        pages.check("1-matter")

        page.get_by_role("link", name=MELDUNKI_UK).click()
        page.wait_for_url("**/book/place?**")
        expect(page.get_by_role("heading", name="Виберіть місце")).to_be_visible()
        pages.check("2-place")
        page.locator('a[href*="location=filia"]').click()
        page.wait_for_url("**/book/day?**")
        expect(page.get_by_role("heading", name="Виберіть день")).to_be_visible()
        hints = page.locator(".day-list .hint").all_inner_texts()
        assert hints
        for hint in hints:  # "1 вільна година", "3 вільні години", "12 вільних годин"
            n = int(hint.split()[0])
            form = ukrainian_plural(n, "вільна година", "вільні години", "вільних годин")
            assert hint == f"{n} {form}", hint
        pages.check("3-day")
        page.locator('a[href^="/book/hour"]').first.click()
        page.wait_for_url("**/book/hour?**")
        expect(page.get_by_role("heading", name="Виберіть годину")).to_be_visible()
        pages.check("3-hour")
        page.locator('button[name="time"]').first.click()
        page.wait_for_url("**/book/details?**")
        expect(page.get_by_text("Крок 4 з 5")).to_be_visible()
        pages.check("4-details")

        page.locator("button.primary").click()  # nothing filled in: the errors, in Ukrainian
        expect(page.get_by_role("heading", name="Виникла проблема")).to_be_visible()
        expect(
            page.get_by_text("Введіть своє ім’я або назву своєї компанії.").first
        ).to_be_visible()
        pages.check("4-details-errors")
        page.get_by_label("Ім’я та прізвище або назва компанії").fill("Олена Коваленко")
        page.get_by_label("Номер мобільного телефону або адреса електронної пошти").fill(contact)
        page.locator("#terms").check()
        page.locator("#privacy").check()
        page.get_by_role("button", name="Забронювати й надіслати мені код").click()
        page.wait_for_url("**/book/code/**")
        expect(page.get_by_text("Крок 5 з 5")).to_be_visible()
        pages.check("5-code")

        mail = smtp.inbox.wait_for(contact)[-1]
        assert subject_of(mail) == "Код підтвердження бронювання"
        assert "Код підтвердження бронювання:" in body_text(mail)
        page.get_by_label("Код підтвердження").fill(six_digit_code(mail))
        page.get_by_role("button", name="Підтвердити візит").click()
        page.wait_for_url("**/book/done/**")
        expect(page.get_by_role("heading", name="Ваш візит заброньовано")).to_be_visible()
        shown = page.locator(".access-code").inner_text()
        confirmation = smtp.inbox.wait_for(contact, 2)[-1]
        text = body_text(confirmation)
        assert "Ваш візит до міської управи підтверджено." in text and shown in text
        assert f"Справа: {MELDUNKI_UK}" in text
        assert subject_of(confirmation).startswith("Ваш візит до міської управи:")
        pages.check("5-done")

        page.get_by_role("link", name="Переглянути або скасувати візит").click()
        page.wait_for_url(re.compile(r".*/visit/[\w-]+$"))
        expect(page.get_by_role("heading", name="Ваш візит")).to_be_visible()
        expect(page.get_by_text("Заброньовано")).to_be_visible()
        pages.check("visit")
        page.get_by_role("link", name="Скасувати візит").click()
        expect(page.get_by_role("heading", name="Скасувати візит?")).to_be_visible()
        pages.check("cancel")
        page.get_by_role("button", name="Так, скасувати візит").click()
        page.wait_for_url("**/cancelled")
        expect(page.get_by_role("heading", name="Візит скасовано")).to_be_visible()
        pages.check("cancelled")

        for path, name, heading in (
            ("/terms", "terms", "Правила бронювання"),
            ("/privacy", "privacy", "Інформація про персональні дані"),
            ("/visit/no-such-visit", "404", "Сторінку не знайдено"),
        ):
            page.goto(f"{proc.url}{path}")
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            pages.check(name)

        # Back to Polish by the switch; the staff sign-in offers only Polish and English.
        page.get_by_role("link", name="Polski").click()
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        page.goto(f"{proc.url}/staff/login?lang=uk")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("nav.lang")).not_to_contain_text("Українська")

    language = proc.db(_languages_of(contact))
    assert language == ["uk"]  # reminders and notices follow the booked language
    keep_uk(shots)


def _languages_of(contact: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from web.db.models import Reservation

    async def work(engine):  # type: ignore[no-untyped-def]
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Reservation.language).where(Reservation.contact == contact)
            )
            return [r[0] for r in rows]

    return work


def push(proc: WebProcess, token: str, *events: contract.SyncEvent, waiting: int) -> None:
    """What the site's hub sends: its events and the state now, with the Ukrainian names."""
    snap = snapshot(
        waiting=waiting,
        calls=["A001"],
        tickets=[contract.TicketLive(token="tok-uk-2", ahead=waiting - 1, wait_s=900.0)],
    ).model_dump(mode="json")
    snap["queue"]["site"] = SITE
    snap["queue"]["services"][0]["name_uk"] = DOWODY_UK
    request = contract.PushRequest(
        events=list(events), snapshot=contract.Snapshot.model_validate(snap)
    )
    r = httpx.post(
        f"{proc.url}{contract.PUSH_PATH}",
        content=request.model_dump_json(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text


def test_the_eticket_the_board_and_the_fault_form_speak_ukrainian(
    web: tuple[WebProcess, Smtp, str], tmp_path: Path
):
    proc, smtp, token = web
    push(
        proc,
        token,
        issued(1, "t1", "tok-uk-1", "A001"),
        issued(2, "t2", "tok-uk-2", "A002"),
        called(3, "t1"),
        waiting=3,
    )
    shots = tmp_path / "shots"
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        pages = Pages(page, shots)

        page.goto(f"{proc.url}/e/tok-uk-2?lang=uk")
        expect(page.get_by_role("heading", name="Ваш талон A002")).to_be_visible()
        expect(page.get_by_text("Осіб перед вами")).to_be_visible()
        expect(page.get_by_text(DOWODY_UK)).to_be_visible()
        pages.check("eticket")
        page.goto(f"{proc.url}/e/tok-uk-1")  # the cookie keeps the language
        expect(page.get_by_text("Будь ласка, підійдіть до віконця 3")).to_be_visible()
        pages.check("eticket-called")

        page.goto(f"{proc.url}/board/{SITE}")
        expect(page.get_by_role("heading", name="Інформаційне табло")).to_be_visible()
        expect(page.get_by_role("cell", name=DOWODY_UK)).to_be_visible()
        expect(page.get_by_role("columnheader", name="Кількість осіб")).to_be_visible()
        pages.check("board")
        page.get_by_role("link", name="Візити сьогодні").click()
        page.wait_for_url(f"**/board/{SITE}/visits")
        expect(page.get_by_role("heading", name="Візити сьогодні")).to_be_visible()
        expect(page.get_by_role("columnheader", name="Код доступу")).to_be_visible()
        expect(page.get_by_role("columnheader", name="Місце")).to_be_visible()
        pages.check("board-visits")

        page.set_viewport_size(MOBILE)
        page.goto(f"{proc.url}/usterka")
        expect(page.get_by_role("heading", name="Повідомити про несправність")).to_be_visible()
        pages.check("fault-form")
        page.select_option("#sub", label="Dziura w jezdni")  # the office's own dictionary
        page.locator("form[method=get] button").click()
        # Nothing filled in, past the browser's own checks: the office's refusal, in Ukrainian.
        page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
        page.locator("button.primary").click()
        expect(page.get_by_text("Опишіть проблему.")).to_be_visible()
        pages.check("fault-form-error")
        page.fill("#address", "вул. Пйотрковська 104")
        page.fill("#description", "Глибока вибоїна біля пішохідного переходу")
        page.fill("#attr_depth_cm", "15")
        page.check("input[name=reply][value=yes]")
        page.fill("#email", REPORTER)
        page.check("input[name=consent]")
        page.locator("button.primary").click()
        expect(page.locator(".success")).to_contain_text("Ваше повідомлення зареєстровано під №")
        # The confirmation mail is in the language the report was filed in.
        mail = smtp.inbox.wait_for(REPORTER)[-1]
        number = re.search(r"№ (\d+)", subject_of(mail))
        assert number and subject_of(mail) == f"Повідомлення № {number[1]} прийнято"
        text = body_text(mail)
        assert f"Дякуємо. Ваше повідомлення зареєстровано під номером {number[1]}." in text
        assert re.search(r"Стан повідомлення: \S+/usterka/s/\S+", text), text
        assert "Zgłoszenie" not in text and "Dziękujemy" not in text
        expect(page.locator(".status")).to_have_text("Нове")
        expect(page.locator(".timeline")).to_contain_text("Зареєстровано")
        pages.check("fault-status")
        page.get_by_role("button", name="Відкликати згоду й видалити мої дані").click()
        expect(page.locator("p.success")).to_have_text("Ваші контактні дані видалено.")
        pages.check("fault-withdrawn")
        page.goto(f"{proc.url}/usterka/s/no-such-report")
        expect(page.get_by_role("heading", name="Повідомлення не знайдено")).to_be_visible()
        pages.check("fault-not-found")
    keep_uk(shots)


def keep_uk(shots: Path) -> None:
    COPIES.mkdir(parents=True, exist_ok=True)
    for shot in shots.glob("*.png"):
        shutil.copy(shot, COPIES / shot.name)
