"""The helpdesk in Chromium against a real ``okienko web`` and a real SMTP server: the whole
path of a request (encrypted attachment → accept → chat → complete → rating through the
e-mailed link), the five-user cap, isolation between units, the 24-hour red state, scheduled
publication and repetition. axe checks every page."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy import func, select

from tests.support.browser import EMOJI, assert_accessible, chromium, icon_pixels
from tests.support.webproc import Smtp, WebProcess, body_text
from web.helpdesk import accounts, store
from web.helpdesk import tables as t
from web.helpdesk.domain import Action, Actor, Role

PASSWORD = "Haslo-testowe-1"
SHOTS = Path("/tmp/okienko-shots/helpdesk")


@dataclass
class Rig:
    web: WebProcess
    smtp: Smtp
    browser: Browser
    shots: Path
    ids: dict[str, int]  # services, units and each person's account id by e-mail

    def db(self, work: Any) -> Any:
        return self.web.db(work)

    def sql(self, statement: str, **params: Any) -> None:
        from sqlalchemy import text

        async def work(engine: Any) -> None:
            async with engine.begin() as conn:
                await conn.execute(text(statement), params)

        self.db(work)

    def page(
        self, email: str | None = None, *, mobile: bool = False, from_ip: str | None = None
    ) -> Page:
        """A fresh browser signed in as ``email``; ``from_ip`` plays another computer (uvicorn
        trusts X-Forwarded-For from 127.0.0.1), whose sign-in attempts are counted apart."""
        size: ViewportSize = (
            {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        )
        headers = {"X-Forwarded-For": from_ip} if from_ip else None
        page = self.browser.new_context(viewport=size, extra_http_headers=headers).new_page()
        if email:
            page.goto(f"{self.web.url}/helpdesk/login")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            page.click("button.primary")
            expect(page.locator("h1")).to_have_text(re.compile("Lista zgłoszeń"))
        return page

    def link(self, message: Any, path: str) -> str:
        """The e-mailed link, on this test's server (the process was given no public URL)."""
        m = re.search(rf"https?://[^/\s]+({path}\S+)", body_text(message))
        assert m, body_text(message)
        return self.web.url + m.group(1)

    def check(self, page: Page, name: str) -> None:
        assert_accessible(page, self.shots, name)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    workdir = tmp_path_factory.mktemp("helpdesk")
    smtp = Smtp.start()
    web = WebProcess.start(workdir, smtp_port=smtp.port)
    done = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "helpdesk-admin-add", "--email",
         "admin@cum.example", "--name", "Anna Admin", "--database-url", web.database_url,
         "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    async def seed(engine: Any) -> dict[str, int]:
        now = datetime.now(UTC)
        it = await accounts.create_service(engine, "Wsparcie IT")
        przeglady = await accounts.create_service(
            engine, "Przeglądy", allow_due=True, allow_schedule=True, allow_repeat=True
        )
        bhp = await accounts.create_service(  # a service with a field of its own
            engine, "Szkolenie BHP", fields=accounts.parse_fields("*Liczba osób #"),
            allow_due=True, allow_schedule=True, allow_repeat=True,
        )  # fmt: skip
        a = await accounts.create_unit(
            engine, "Szkoła Podstawowa nr 5", ["ul. Leśna 5"], [it, przeglady, bhp], now
        )
        b = await accounts.create_unit(engine, "Żłobek nr 2", ["ul. Polna 2"], [it], now)
        people = {}
        for email, role, unit in [
            ("ola@sp5.example", Role.UNIT, a),
            ("piotr@zlobek2.example", Role.UNIT, b),
            ("marek@cum.example", Role.SERVICE, None),
        ]:
            people[email], _token = await accounts.create_user(
                engine, email=email, name=email.split("@")[0].title(), role=role, unit_id=unit,
                phone="41 367 67 57", password=PASSWORD, now=now,
            )  # fmt: skip
        return {"it": it, "przeglady": przeglady, "bhp": bhp, "a": a, "b": b, **people}

    try:
        with chromium() as browser:
            r = Rig(web, smtp, browser, workdir / "shots", {})
            r.ids = r.db(seed)
            yield r
    finally:
        web.stop()
        smtp.stop()
        if (workdir / "shots").exists():
            SHOTS.mkdir(parents=True, exist_ok=True)
            for png in (workdir / "shots").glob("*.png"):
                shutil.copy(png, SHOTS / png.name)


def open_form(rig: Rig, page: Page, service: str, unit: str = "Szkoła Podstawowa nr 5") -> None:
    """Steps 1–3 (unit → address → service), leaving step 4, the request's own form."""
    page.goto(f"{rig.web.url}/helpdesk/new")
    page.select_option("#unit", label=unit)
    page.click("text=Dalej")
    if page.locator("#service").count() == 0:
        page.click("text=Dalej")
    page.select_option("#service", label=service)
    page.click("text=Dalej")
    expect(page.locator("#text")).to_be_visible()


def file_request(rig: Rig, page: Page, service: str, text: str, **options: Any) -> int:
    open_form(rig, page, service, options.get("unit", "Szkoła Podstawowa nr 5"))
    page.fill("#text", text)
    if files := options.get("files"):
        page.set_input_files("#files", files=files)
        if options.get("encrypt"):
            page.check("input[name=encrypt][value=yes]")
    if publish := options.get("publish"):
        page.check("input[name=publish_later]")
        page.fill("#publish_day", publish.date().isoformat())
        page.fill("#publish_time", publish.strftime("%H:%M"))
    if every := options.get("repeat"):
        page.check("input[name=repeat]")
        page.fill("#repeat_every", str(every))
        page.select_option("#repeat_unit", "day")
    page.click("button:has-text('Prześlij')")
    expect(page.locator("p.success")).to_contain_text("Zgłoszenie zostało przesłane")
    m = re.search(r"/helpdesk/r/(\d+)", page.url)
    assert m, page.url
    return int(m.group(1))


def subject_of(message: Any) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def mails(rig: Rig, to: str, subject: str, count: int = 1) -> list[Any]:
    deadline = time.monotonic() + 15
    while True:
        found = [m for m in rig.smtp.inbox.to(to) if subject in subject_of(m)]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"no '{subject}' to {to}: {rig.smtp.inbox.summary()}"
        time.sleep(0.1)


def test_a_request_from_filing_with_an_encrypted_file_to_rating_by_the_mailed_link(rig: Rig):
    unit = rig.page("ola@sp5.example", mobile=True)
    rig.check(unit, "list-unit-mobile")
    unit.goto(f"{rig.web.url}/helpdesk/new")
    rig.check(unit, "new-steps")
    secret = b"Lista uczestnikow: Jan Kowalski, PESEL 90010112345"
    number = file_request(
        rig, unit, "Wsparcie IT", "Proszę o założenie kont dla nowych nauczycieli.",
        files=[{"name": "lista.txt", "mimeType": "text/plain", "buffer": secret}], encrypt=True,
    )  # fmt: skip
    rig.check(unit, "request-filed")
    assert mails(rig, "ola@sp5.example", f"Potwierdzenie zgłoszenia nr {number}")
    assert mails(rig, "marek@cum.example", "Nowe zgłoszenie")
    (password_mail,) = mails(rig, "marek@cum.example", "Hasło do plików")
    password = re.search(r"\b([A-Za-z0-9]{20})\b", body_text(password_mail))
    assert password, body_text(password_mail)
    assert not [m for m in rig.smtp.inbox.to("ola@sp5.example") if "Hasło" in subject_of(m)]

    staff = rig.page("marek@cum.example")
    row = staff.locator(f"tr[data-href='/helpdesk/r/{number}']")
    expect(row).to_have_class(re.compile("unread"))
    rig.check(staff, "list-staff")
    row.locator("td").nth(3).click()  # anywhere in the row opens the request
    expect(staff.locator("h1")).to_contain_text(f"Zgłoszenie nr {number}")
    staff.fill("input[name=password]", "zle-haslo")
    staff.click("button:has-text('Pobierz')")
    expect(staff.locator(".error-summary")).to_contain_text("nie otwiera")
    staff.fill("input[name=password]", password.group(1))
    with staff.expect_download() as download:
        staff.click("button:has-text('Pobierz')")
    assert Path(download.value.path()).read_bytes() == secret

    staff.click("button:has-text('Zaakceptuj')")
    expect(staff.locator("h1 .hd-status")).to_have_text("W realizacji")
    staff.fill("#body", "Ile kont potrzeba?")
    staff.click("button:has-text('Wyślij wiadomość')")
    assert mails(rig, "ola@sp5.example", f"Nowa wiadomość w zgłoszeniu nr {number}")

    unit.goto(f"{rig.web.url}/helpdesk/?flag=message")
    expect(unit.locator(f"tr[data-href='/helpdesk/r/{number}']")).to_have_count(1)
    unit.goto(f"{rig.web.url}/helpdesk/r/{number}")
    expect(unit.locator(".hd-chat")).to_contain_text("Ile kont potrzeba?")
    unit.fill("#body", "Trzy konta.")
    unit.click("button:has-text('Wyślij wiadomość')")
    assert mails(rig, "marek@cum.example", f"Nowa wiadomość w zgłoszeniu nr {number}")
    unit.locator(".hd-people summary", has_text="Marek").click()
    expect(unit.locator(".hd-people")).to_contain_text("marek@cum.example")
    rig.check(unit, "request-unit")

    staff.reload()
    staff.fill("#comment", "Konta założone.")
    staff.click("button:has-text('Oznacz jako zrealizowane')")
    expect(staff.locator("h1 .hd-status")).to_have_text("Zrealizowane")
    rig.check(staff, "request-staff")

    (rating_mail,) = mails(rig, "ola@sp5.example", f"Oceń obsługę zgłoszenia nr {number}")
    link = rig.link(rating_mail, "/helpdesk/rate/")
    anonymous = rig.page()
    anonymous.goto(link)
    rig.check(anonymous, "rate-by-link")
    anonymous.check("input[name=stars][value='5']")
    anonymous.fill("#justification", "Szybko i sprawnie.")
    anonymous.click("button:has-text('Prześlij ocenę')")
    expect(anonymous.locator("p.success")).to_contain_text("Dziękujemy")
    anonymous.goto(link)  # once only, and the link says so
    expect(anonymous.locator("p.warning")).to_contain_text(
        f"Zgłoszenie nr {number} zostało już ocenione"
    )
    expect(anonymous.locator("input[name=stars]")).to_have_count(0)

    staff.reload()
    expect(staff.locator("h1 .hd-status")).to_have_text("Ocenione")
    expect(staff.locator("table")).to_contain_text("Konta założone.")
    staff.goto(f"{rig.web.url}/helpdesk/")
    expect(staff.locator(f"tr[data-href='/helpdesk/r/{number}']")).to_have_count(0)
    staff.check("#inactive")
    staff.click("button:has-text('Filtruj')")
    expect(staff.locator(f"tr[data-href='/helpdesk/r/{number}']")).to_have_count(1)
    staff.goto(f"{rig.web.url}/helpdesk/")  # remembered for the session
    expect(staff.locator(f"tr[data-href='/helpdesk/r/{number}']")).to_have_count(1)


def test_a_unit_user_cannot_see_another_units_request_by_link_or_number(rig: Rig):
    ola = rig.page("ola@sp5.example")
    number = file_request(rig, ola, "Wsparcie IT", "Nie działa drukarka w sekretariacie.")
    piotr = rig.page("piotr@zlobek2.example")
    piotr.goto(f"{rig.web.url}/helpdesk/r/{number}")
    expect(piotr.locator("h1")).to_have_text("Nie znaleziono zgłoszenia")
    rig.check(piotr, "not-found")
    piotr.goto(f"{rig.web.url}/helpdesk/")
    piotr.fill("#go-number", str(number))
    piotr.click(".hd-go button")
    expect(piotr.locator("h1")).to_have_text("Nie znaleziono zgłoszenia")
    piotr.goto(f"{rig.web.url}/helpdesk/?number={number}")
    expect(piotr.locator("p.notice")).to_contain_text("Brak pasujących")
    resp = piotr.request.get(f"{rig.web.url}/helpdesk/r/{number}/files/1")
    assert resp.status == 404


def test_an_administrator_adds_at_most_five_users_to_a_unit(rig: Rig):
    admin = rig.page("admin@cum.example")
    admin.goto(f"{rig.web.url}/helpdesk/admin")
    rig.check(admin, "admin")
    admin.fill("#n-name", "Dom Pomocy Społecznej")
    admin.fill("#n-addr", "ul. Słoneczna 1")
    admin.get_by_role("checkbox", name="Wsparcie IT").check()
    admin.click("button:has-text('Utwórz jednostkę')")
    expect(admin.locator("p.success")).to_be_visible()

    def add(i: int) -> None:
        admin.fill("#u-name", f"Pracownik {i}")
        admin.fill("#u-email", f"p{i}@dps.example")
        admin.select_option("#u-role", "unit")
        unit = admin.locator("#u-unit option", has_text="Dom Pomocy").get_attribute("value")
        admin.select_option("#u-unit", unit)
        admin.click("button:has-text('Utwórz konto')")

    for i in range(5):
        add(i)
        expect(admin.locator("p.success")).to_be_visible()
    add(5)
    expect(admin.locator(".error-summary")).to_have_text(
        "Jednostka może mieć najwyżej pięciu użytkowników."
    )
    # The new person sets a password through the "Rejestracja użytkownika" e-mail.
    (welcome,) = mails(rig, "p0@dps.example", "Rejestracja użytkownika")
    person = rig.page()
    person.goto(rig.link(welcome, "/password/reset/"))
    rig.check(person, "set-password")
    person.fill("#password", "Nowe-haslo-123")
    person.fill("#password2", "Nowe-haslo-123")
    person.click("button.primary")
    expect(person.locator("p.success")).to_contain_text("Nowe hasło jest ustawione")


def test_a_new_request_turns_red_after_24_hours(rig: Rig):
    ola = rig.page("ola@sp5.example")
    number = file_request(rig, ola, "Wsparcie IT", "Brak internetu w pracowni.")
    staff = rig.page("marek@cum.example")
    row = staff.locator(f"tr[data-href='/helpdesk/r/{number}']")
    expect(row).not_to_have_class(re.compile("late"))
    rig.sql(
        "UPDATE hd_requests SET published_at = :at WHERE id = :id",
        at=datetime.now(UTC) - timedelta(hours=24, minutes=1),
        id=number,
    )
    staff.reload()
    expect(row).to_have_class(re.compile("late"))
    color = row.locator("td").first.evaluate("e => getComputedStyle(e).color")
    assert color == "rgb(176, 0, 32)"
    staff.goto(f"{rig.web.url}/helpdesk/?flag=late")
    expect(staff.locator(f"tr[data-href='/helpdesk/r/{number}']")).to_have_count(1)
    rig.check(staff, "list-red")


def test_a_scheduled_request_publishes_and_a_repeating_one_repeats_on_time(rig: Rig):
    ola = rig.page("ola@sp5.example")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    scheduled = file_request(
        rig, ola, "Przeglądy", "Przegląd gaśnic.", publish=tomorrow.astimezone()
    )
    expect(ola.locator("h1 .hd-status")).to_have_text("Zaplanowane")
    repeating = file_request(rig, ola, "Przeglądy", "Odczyt liczników wody.", repeat=1)
    before = len(mails(rig, "marek@cum.example", "Nowe zgłoszenie"))
    # The clock moves on: publication time and the next repetition are now.
    now = datetime.now(UTC)
    rig.sql("UPDATE hd_requests SET publish_at = :at WHERE id = :id", at=now, id=scheduled)
    rig.sql(
        "UPDATE hd_requests SET repeat_start = :start, repeat_next_at = :at WHERE id = :id",
        start=now - timedelta(days=1),
        at=now,
        id=repeating,
    )
    ola.goto(f"{rig.web.url}/helpdesk/r/{scheduled}")
    deadline = time.monotonic() + 15
    while "Nowe" not in ola.locator("h1 .hd-status").inner_text():
        assert time.monotonic() < deadline, "the scheduled request was not published"
        time.sleep(0.5)
        ola.reload()
    mails(rig, "marek@cum.example", "Nowe zgłoszenie", before + 2)
    ola.goto(f"{rig.web.url}/helpdesk/?flag=recurring&text=liczników")
    rows = ola.locator("tbody tr")
    expect(rows).to_have_count(2)
    rig.check(ola, "list-recurring")
    rows.first.locator("a").first.click()
    expect(ola.locator(".facts")).to_contain_text(f"Powtórzenie zgłoszenia{repeating}")


def test_publish_later_without_a_day_asks_for_it_and_files_nothing(rig: Rig):
    async def count(engine: Any) -> int:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(t.requests)) or 0)

    def notices() -> int:
        return sum(
            1
            for m in rig.smtp.inbox.messages
            if re.match("Nowe zgłoszenie|Potwierdzenie zgłoszenia", subject_of(m))
        )

    before, notices_before = rig.db(count), notices()
    ola = rig.page("ola@sp5.example")
    open_form(rig, ola, "Przeglądy")
    ola.fill("#text", "Przegląd gaśnic w przyszłym miesiącu.")
    ola.check("input[name=publish_later]")  # and no day
    ola.click("button:has-text('Prześlij')")
    expect(ola.locator(".error-summary")).to_have_text("Podaj dzień i godzinę publikacji.")
    # What was entered is still there to complete.
    expect(ola.locator("#text")).to_have_value("Przegląd gaśnic w przyszłym miesiącu.")
    expect(ola.locator("input[name=publish_later]")).to_be_checked()
    rig.check(ola, "new-error-publish-day")
    assert rig.db(count) == before
    assert notices() == notices_before  # filing mails before it answers: none went out
    ola.fill("#publish_day", (datetime.now(UTC) + timedelta(days=30)).date().isoformat())
    ola.click("button:has-text('Prześlij')")
    expect(ola.locator("p.success")).to_contain_text("Zgłoszenie zostało przesłane")
    expect(ola.locator("h1 .hd-status")).to_have_text("Zaplanowane")


def test_sign_in_password_reset_the_full_form_and_error_states_pass_axe(rig: Rig):
    visitor = rig.page(from_ip="10.0.0.6")  # its wrong password is not counted against the others
    visitor.goto(f"{rig.web.url}/helpdesk/login")
    rig.check(visitor, "login")
    visitor.fill("#email", "ola@sp5.example")
    visitor.fill("#password", "zle-haslo")
    visitor.click("button.primary")
    expect(visitor.locator(".error-summary")).to_have_text("Nieprawidłowy e-mail lub hasło.")
    rig.check(visitor, "login-error")
    visitor.click("text=Nie pamiętasz hasła?")
    expect(visitor.locator("h1")).to_have_text("Nie pamiętam hasła")
    rig.check(visitor, "reset")
    visitor.fill("#email", "nikt@nigdzie.example")
    visitor.click("button.primary")
    expect(visitor.locator("p.success")).to_contain_text("Odnośnik jest ważny 60 minut")
    rig.check(visitor, "reset-sent")

    ola = rig.page("ola@sp5.example", from_ip="10.0.0.6")
    open_form(rig, ola, "Szkolenie BHP")
    expect(ola.locator("label[for=field-f1]")).to_contain_text("Liczba osób")
    ola.check("input[name=encrypt][value=yes]")
    ola.fill("#due_on", "2030-06-30")
    ola.check("input[name=publish_later]")
    ola.fill("#publish_day", "2030-06-01")
    ola.check("input[name=repeat]")
    rig.check(ola, "new-full-form")
    # The server's own check (the browser would stop at the empty required field first).
    ola.fill("#text", "Szkolenie okresowe dla nowych pracowników.")
    ola.eval_on_selector("form.hd-file", "f => f.noValidate = true")
    ola.click("button:has-text('Prześlij')")
    expect(ola.locator(".error-summary")).to_have_text("Wypełnij wszystkie pola obowiązkowe.")
    rig.check(ola, "new-error")

    async def completed(engine: Any) -> int:
        now = datetime.now(UTC)
        ids = rig.ids
        staff = Actor(ids["marek@cum.example"], Role.SERVICE)
        async with engine.connect() as conn:
            address = select(t.addresses.c.id).where(t.addresses.c.unit_id == ids["a"])
            address_id = (await conn.execute(address)).scalar_one()
        filing = store.Filing(ids["a"], address_id, ids["it"], "Wymiana klawiatury.")
        filed = await store.file_request(
            engine, Actor(ids["ola@sp5.example"], Role.UNIT, ids["a"]), filing, now
        )
        await store.change_status(engine, staff, filed.id, Action.ACCEPT, "", now)
        await store.change_status(engine, staff, filed.id, Action.COMPLETE, "Wymieniona.", now)
        return filed.id

    number = rig.db(completed)
    ola.goto(f"{rig.web.url}/helpdesk/r/{number}")
    expect(ola.locator("button:has-text('Prześlij ocenę')")).to_be_visible()
    rig.check(ola, "request-rating-form")
    ola.check("input[name=stars][value='3']")
    ola.fill("#justification", " ")  # the browser takes a space; the server wants words
    ola.click("button:has-text('Prześlij ocenę')")
    expect(ola.locator(".error-summary")).to_have_text(
        "Wybierz od 1 do 5 gwiazdek i wpisz uzasadnienie."
    )
    rig.check(ola, "request-rating-error")


def test_chat_messages_carry_files_encrypted_for_the_other_side_and_the_page_names_the_centre(
    rig: Rig,
):
    here = "10.0.0.7"  # its sign-ins are counted apart from the other tests' 127.0.0.1
    ola = rig.page("ola@sp5.example", from_ip=here)
    number = file_request(rig, ola, "Wsparcie IT", "Proszę o nadanie uprawnień do dziennika.")
    contact = ola.locator("section.hd-contact")
    expect(contact.locator("h2")).to_have_text("Informacja systemowa: Dane kontaktowe")
    expect(contact).to_contain_text("nie ma jeszcze przydzielonego pracownika obsługi")
    expect(contact.locator("a[href='mailto:pomoc@um.example']")).to_be_visible()

    secret = b"Nauczyciele: Anna Nowak, PESEL 85020212345"
    ola.fill("#body", "Lista nauczycieli w załączniku.")
    ola.set_input_files(
        "#message-files",
        files=[
            {"name": "nauczyciele.txt", "mimeType": "text/plain", "buffer": secret},
            {"name": "plan.txt", "mimeType": "text/plain", "buffer": b"Plan lekcji"},
        ],
    )
    ola.get_by_label("Tak, proszę zaszyfrować pliki").check()
    ola.click("button:has-text('Wyślij wiadomość')")
    message = ola.locator(".hd-chat > li").last
    expect(message).to_contain_text("Lista nauczycieli w załączniku.")
    expect(message.locator(".hd-files li")).to_have_count(2)
    locked = message.locator("span", has=ola.locator("svg.icon-lock"))  # the drawn padlock
    expect(locked.filter(has_text="nauczyciele.txt")).to_have_count(1)
    listed = ola.locator("#files-h + .hd-files span", has=ola.locator("svg.icon-lock"))
    expect(listed.filter(has_text="plan.txt")).to_have_count(1)
    rig.check(ola, "request-message-files")

    subject = f"Hasło do plików zgłoszenia nr {number}"
    (mail,) = mails(rig, "marek@cum.example", subject)
    password = re.search(r"\b([A-Za-z0-9]{20})\b", body_text(mail))
    assert password, body_text(mail)
    assert not [m for m in rig.smtp.inbox.to("ola@sp5.example") if subject in subject_of(m)]

    staff = rig.page("marek@cum.example", from_ip=here)
    staff.goto(f"{rig.web.url}/helpdesk/r/{number}")
    files = staff.locator(".hd-chat .hd-files li")
    files.first.get_by_label("Hasło z wiadomości e-mail").fill("zle-haslo")
    files.first.locator("button:has-text('Pobierz')").click()
    expect(staff.locator(".error-summary")).to_contain_text("nie otwiera")
    rig.check(staff, "request-message-files-error")
    files.first.get_by_label("Hasło z wiadomości e-mail").fill(password.group(1))
    with staff.expect_download() as download:
        files.first.locator("button:has-text('Pobierz')").click()
    assert Path(download.value.path()).read_bytes() == secret

    # The staff take it and answer with a plain file: a link under their message.
    staff.click("button:has-text('Zaakceptuj')")
    expect(staff.locator("h1 .hd-status")).to_have_text("W realizacji")
    staff.fill("#body", "Uprawnienia nadane, instrukcja w pliku.")
    staff.set_input_files(
        "#message-files",
        files=[{"name": "instrukcja.txt", "mimeType": "text/plain", "buffer": b"Krok 1."}],
    )
    staff.click("button:has-text('Wyślij wiadomość')")
    expect(staff.locator(".hd-chat > li").last.locator("a")).to_have_text("instrukcja.txt")
    ola.reload()
    with ola.expect_download() as download:
        ola.locator(".hd-chat > li").last.locator("a", has_text="instrukcja.txt").click()
    assert Path(download.value.path()).read_bytes() == b"Krok 1."
    expect(contact).to_contain_text("Jeśli nie możesz skontaktować się z pracownikiem")
    rig.check(ola, "request-message-files-unit")

    piotr = rig.page(
        "piotr@zlobek2.example", from_ip=here
    )  # another unit: nothing, by link or by id
    for a in rig.db(lambda e: _attachment_ids(e, number)):
        assert piotr.request.get(f"{rig.web.url}/helpdesk/r/{number}/files/{a}").status == 404


async def _attachment_ids(engine: Any, number: int) -> list[int]:
    async with engine.connect() as conn:
        return list(
            await conn.scalars(
                select(t.attachments.c.id).where(t.attachments.c.request_id == number)
            )
        )


def test_repetition_history_and_file_sizes_read_as_people_write_them(rig: Rig):
    ola = rig.page("ola@sp5.example")
    note = b"Lista sal: 12, 14, 21"  # 21 bytes
    daily = file_request(
        rig, ola, "Przeglądy", "Wietrzenie serwerowni.", repeat=1,
        files=[{"name": "sale.txt", "mimeType": "text/plain", "buffer": note}],
    )  # fmt: skip
    facts = ola.locator(".facts")
    expect(facts).to_contain_text("codziennie")
    expect(ola.locator("a:has-text('sale.txt')").locator("..")).to_contain_text("sale.txt (21 B)")

    async def done_and_rated(engine: Any) -> None:
        now = datetime.now(UTC)
        staff = Actor(rig.ids["marek@cum.example"], Role.SERVICE)
        await store.change_status(engine, staff, daily, Action.ACCEPT, "", now)
        await store.change_status(engine, staff, daily, Action.COMPLETE, "Zrobione.", now)

    rig.db(done_and_rated)
    ola.reload()
    ola.check("input[name=stars][value='5']")
    ola.fill("#justification", "Szybko i sprawnie.")
    ola.click("button:has-text('Prześlij ocenę')")
    history = ola.locator("#history-h + .table-wrap tbody tr td:nth-child(3)")
    expect(history).to_have_text(
        [
            "Przesłane → Nowe",
            "Zaakceptowane: Nowe → W realizacji",
            "W realizacji → Zrealizowane",
            "Zrealizowane → Ocenione",
        ]
    )
    rig.check(ola, "request-history")

    for every, unit, text in [(1, "week", "co tydzień"), (2, "week", "co 2 tygodnie"),
                              (5, "month", "co 5 miesięcy")]:  # fmt: skip
        open_form(rig, ola, "Przeglądy")
        ola.fill("#text", f"Przegląd {text}.")
        ola.check("input[name=repeat]")
        ola.fill("#repeat_every", str(every))
        ola.select_option("#repeat_unit", unit)
        ola.click("button:has-text('Prześlij')")
        expect(ola.locator(".facts")).to_contain_text(f"Powtarzanie{text}; następne:")


def colleague_of_ola(rig: Rig, email: str) -> None:
    """Another user of Ola's unit, with sign-ins of their own: an account's sign-ins are
    limited (10 in 15 minutes), and the module's earlier tests sign Ola in nine times."""

    async def create(engine: Any) -> None:
        await accounts.create_user(
            engine, email=email, name=email.split("@")[0].title(), role=Role.UNIT,
            unit_id=rig.ids["a"], phone="41 367 67 58", password=PASSWORD, now=datetime.now(UTC),
        )  # fmt: skip

    rig.db(create)


def test_a_rejection_needs_its_reason_and_the_unit_reads_it(rig: Rig):
    """Seed 000: a request filed by mistake cannot be deleted or edited by anyone; the unit
    finds it by its number ("Pokaż zgłoszenie numer"), the service worker rejects it, only with
    a reason, and the unit reads that reason on the request."""
    here = "10.0.0.8"  # its sign-ins are counted apart from the other tests'
    colleague_of_ola(rig, "ela@sp5.example")
    ela = rig.page("ela@sp5.example", from_ip=here)
    text = "Zgłoszenie wysłane omyłkowo do złej usługi."
    number = file_request(rig, ela, "Wsparcie IT", text)

    # Nobody deletes or edits it: the page offers neither, and no address does it.
    expect(ela.locator("main").get_by_role("button", name=re.compile("Usuń|Edytuj"))).to_have_count(
        0
    )
    expect(ela.locator("main").get_by_role("link", name=re.compile("Usuń|Edytuj"))).to_have_count(0)
    for path in ("edit", "delete"):
        assert ela.request.get(f"{rig.web.url}/helpdesk/r/{number}/{path}").status == 404
        assert ela.request.post(f"{rig.web.url}/helpdesk/r/{number}/{path}").status >= 400

    # The unit finds its own request by its number, as people write it.
    ela.goto(f"{rig.web.url}/helpdesk/")
    ela.get_by_role("textbox", name="Pokaż zgłoszenie numer").fill(f"#{number}")
    ela.click(".hd-go button")
    expect(ela.locator("h1")).to_contain_text(f"Zgłoszenie nr {number}")
    expect(ela.locator(".hd-body")).to_have_text(text)

    staff = rig.page("marek@cum.example", from_ip=here)
    staff.goto(f"{rig.web.url}/helpdesk/r/{number}")
    staff.click("button[name=action][value=reject]")  # no reason given
    expect(staff.locator(".error-summary")).to_contain_text("Podaj powód odrzucenia zgłoszenia.")
    expect(staff.locator("h1 .hd-status")).to_have_text("Nowe")
    rig.check(staff, "request-reject-error")
    reason = "Dotyczy drukarki: proszę o zgłoszenie w usłudze Serwis drukarek."
    staff.fill("#comment", reason)
    staff.click("button[name=action][value=reject]")
    expect(staff.locator("h1 .hd-status")).to_have_text("Odrzucone")

    ela.goto(f"{rig.web.url}/helpdesk/r/{number}")
    expect(ela.locator("h1 .hd-status")).to_have_text("Odrzucone")
    expect(ela.locator("p.warning")).to_contain_text(f"Powód odrzucenia: {reason}")
    expect(ela.locator(".hd-body")).to_have_text(text)  # the text as it was filed
    expect(ela.locator("button[name=action]")).to_have_count(0)  # the unit changes no status
    rig.check(ela, "request-rejected-unit")


def test_a_units_users_share_its_requests_filter_them_and_sign_out(rig: Rig):
    """Seed 000: every user of a unit sees all the unit's requests, not only their own; the list
    filters by status, service, unit and period; a service the unit lacks is offered disabled
    and cannot be reached by its address; "Wyloguj" ends the session."""
    here = "10.0.0.9"  # its sign-ins are counted apart from the other tests'

    colleague_of_ola(rig, "ewa@sp5.example")
    text = "Projektor w sali 12 nie włącza się."

    async def filed_by_ola(engine: Any) -> int:
        ids = rig.ids
        async with engine.connect() as conn:
            address = select(t.addresses.c.id).where(t.addresses.c.unit_id == ids["a"])
            address_id = (await conn.execute(address)).scalar_one()
        filing = store.Filing(ids["a"], address_id, ids["it"], text)
        ola = Actor(ids["ola@sp5.example"], Role.UNIT, ids["a"])
        return (await store.file_request(engine, ola, filing, datetime.now(UTC))).id

    number = rig.db(filed_by_ola)
    row = f"tr[data-href='/helpdesk/r/{number}']"

    ewa = rig.page("ewa@sp5.example", from_ip=here)
    expect(ewa.locator(row)).to_have_count(1)  # her colleague's request, on her list
    today = datetime.now(UTC).date()

    def filtered(page: Page = ewa, **choices: str) -> int:
        page.goto(f"{rig.web.url}/helpdesk/")
        for field, value in choices.items():
            if field in ("status", "service", "unit"):
                page.select_option(f"#{field}", label=value)
            else:
                page.fill(f"#{field}", value)
        page.click("button:has-text('Filtruj')")
        return page.locator(row).count()

    assert filtered(status="Nowe", service="Wsparcie IT") == 1
    assert filtered(created_from=today.isoformat(), created_to=today.isoformat()) == 1
    assert filtered(service="Przeglądy") == 0
    assert filtered(status="Zrealizowane") == 0
    assert filtered(created_to=(today - timedelta(days=2)).isoformat()) == 0
    staff = rig.page("marek@cum.example", from_ip=here)  # the staff see every unit's
    assert filtered(staff, unit="Szkoła Podstawowa nr 5", text="Projektor") == 1
    assert filtered(staff, unit="Żłobek nr 2") == 0
    ewa.goto(f"{rig.web.url}/helpdesk/r/{number}")
    expect(ewa.locator(".hd-body")).to_have_text(text)
    rig.check(ewa, "request-colleague")

    piotr = rig.page("piotr@zlobek2.example", from_ip=here)
    piotr.goto(f"{rig.web.url}/helpdesk/new")
    if piotr.locator("#service").count() == 0:
        piotr.click("text=Dalej")
    missing = piotr.locator("#service option", has_text="Przeglądy")
    expect(missing).to_be_disabled()
    expect(missing).to_contain_text("nieprzydzielona")
    rig.check(piotr, "new-unassigned-service")

    async def address_of_b(engine: Any) -> int:
        async with engine.connect() as conn:
            query = select(t.addresses.c.id).where(t.addresses.c.unit_id == rig.ids["b"])
            return int((await conn.execute(query)).scalar_one())

    forged = f"unit={rig.ids['b']}&address={rig.db(address_of_b)}"
    piotr.goto(f"{rig.web.url}/helpdesk/new?{forged}&service={rig.ids['it']}")
    expect(piotr.locator("#text")).to_be_visible()  # the control: its own service opens
    piotr.goto(f"{rig.web.url}/helpdesk/new?{forged}&service={rig.ids['przeglady']}")
    expect(piotr.locator("#text")).to_have_count(0)  # no form for a service not assigned

    ewa.goto(f"{rig.web.url}/helpdesk/")
    ewa.get_by_role("button", name="Wyloguj").click()
    expect(ewa.locator("#password")).to_be_visible()
    ewa.goto(f"{rig.web.url}/helpdesk/r/{number}")
    expect(ewa.locator("#password")).to_be_visible()  # signed out: the sign-in page again
    expect(ewa.locator(".hd-body")).to_have_count(0)


def test_the_lists_marks_and_order_and_a_rating_link_past_30_days(rig: Rig):
    """Seed 000: the "Filtracja" marks ⏰ (due date set), ⚠️ (due date passed), 🧷 (files) and
    🗓️ (scheduled publication) each find their request; the list is ordered by the last change;
    a rating link past its 30 days says why the form is gone, and the request page offers no
    rating any more."""
    here = "10.0.0.10"  # its sign-ins are counted apart from the other tests'
    colleague_of_ola(rig, "jan@sp5.example")
    jan = rig.page("jan@sp5.example", from_ip=here)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    open_form(rig, jan, "Przeglądy")
    jan.fill("#text", "Przegląd hydrantów przed terminem.")
    jan.fill("#due_on", tomorrow.isoformat())
    jan.click("button:has-text('Prześlij')")
    expect(jan.locator("p.success")).to_contain_text("Zgłoszenie zostało przesłane")
    found = re.search(r"/helpdesk/r/(\d+)", jan.url)
    assert found
    due = int(found.group(1))
    files = file_request(
        rig, jan, "Wsparcie IT", "Zrzut ekranu błędu w załączniku.",
        files=[{"name": "blad.txt", "mimeType": "text/plain", "buffer": b"Blad 0x80070005"}],
    )  # fmt: skip
    scheduled = file_request(
        rig, jan, "Przeglądy", "Przegląd kotłowni po sezonie.",
        publish=(datetime.now(UTC) + timedelta(days=20)).astimezone(),
    )  # fmt: skip

    def flagged(flag: str) -> set[int]:
        jan.goto(f"{rig.web.url}/helpdesk/?flag={flag}")
        hrefs = jan.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.href)")
        return {int(h.rsplit("/", 1)[1]) for h in hrefs if h}

    assert due in flagged("due") and files not in flagged("due")
    assert files in flagged("files") and due not in flagged("files")
    assert scheduled in flagged("scheduled") and due not in flagged("scheduled")
    assert due not in flagged("overdue")
    rig.sql(
        "UPDATE hd_requests SET due_on = :day WHERE id = :id",
        day=datetime.now(UTC).date() - timedelta(days=1),
        id=due,
    )
    assert due in flagged("overdue")
    rig.check(jan, "list-overdue")

    # The last change first: a message on the oldest of the three lifts it to the top.
    jan.goto(f"{rig.web.url}/helpdesk/r/{due}")
    jan.fill("#body", "Czy termin jest aktualny?")
    jan.click("button:has-text('Wyślij wiadomość')")
    expect(jan.locator(".hd-chat")).to_contain_text("Czy termin jest aktualny?")
    jan.goto(f"{rig.web.url}/helpdesk/")
    assert jan.locator("tbody tr").first.get_attribute("data-href") == f"/helpdesk/r/{due}"

    staff = rig.page("marek@cum.example", from_ip=here)
    staff.goto(f"{rig.web.url}/helpdesk/r/{files}")
    staff.click("button:has-text('Zaakceptuj')")
    expect(staff.locator("h1 .hd-status")).to_have_text("W realizacji")
    staff.fill("#comment", "Uprawnienia poprawione.")
    staff.click("button:has-text('Oznacz jako zrealizowane')")
    expect(staff.locator("h1 .hd-status")).to_have_text("Zrealizowane")
    (rating_mail,) = mails(rig, "jan@sp5.example", f"Oceń obsługę zgłoszenia nr {files}")
    link = rig.link(rating_mail, "/helpdesk/rate/")
    rig.sql(
        "UPDATE hd_requests SET completed_at = :at WHERE id = :id",
        at=datetime.now(UTC) - timedelta(days=30, minutes=1),
        id=files,
    )
    anonymous = rig.page()
    anonymous.goto(link)
    expect(anonymous.locator("p.warning")).to_contain_text(
        f"Czas na ocenę zgłoszenia nr {files} minął"
    )
    expect(anonymous.locator("input[name=stars]")).to_have_count(0)
    rig.check(anonymous, "rate-link-expired")
    jan.goto(f"{rig.web.url}/helpdesk/r/{files}")
    expect(jan.locator("button:has-text('Prześlij ocenę')")).to_have_count(0)
    expect(jan.locator(".hd-rating-ended")).to_contain_text("Czas na ocenę tego zgłoszenia minął")
    # Past its rating window the request is closed: no chat form, and it says why.
    expect(jan.locator(".hd-chat-closed")).to_contain_text("utwórz nowe zgłoszenie")
    expect(jan.locator("#body")).to_have_count(0)
    rig.check(jan, "request-closed")


def test_the_remote_help_page_by_keyboard_with_the_faq_the_admin_wrote(rig: Rig):
    """Seed 000 "Pomoc zdalna": the administrator writes the FAQ in the admin pages; a unit's
    user reaches the page from the menu by keyboard alone; both pages pass axe at 1280 and
    390 px."""
    here = "10.0.0.16"
    admin = rig.page("admin@cum.example", from_ip=here)
    admin.goto(f"{rig.web.url}/helpdesk/admin")
    admin.click("text=Pomoc zdalna: pytania")
    admin.fill(
        "#body",
        "## Czy pomoc zdalna działa bez Internetu?\nNie. Zadzwoń do centrum usług.\n\n"
        "## Jak się przygotować?\n- Utwórz zgłoszenie\n- Uruchom program\n<b>bez HTML</b>",
    )
    admin.click("button:has-text('Zapisz')")
    expect(admin.locator("p.success")).to_be_visible()
    rig.check(admin, "help-admin")

    ola = rig.page("ola@sp5.example", from_ip=here)
    ola.goto(f"{rig.web.url}/helpdesk/")
    link = ola.locator("nav a:has-text('Pomoc zdalna')")
    for _ in range(30):  # Tab from the top of the page to the menu's link
        ola.keyboard.press("Tab")
        if link.evaluate("a => a === document.activeElement"):
            break
    else:
        raise AssertionError("the help link is not reached by Tab")
    ola.keyboard.press("Enter")
    expect(ola.locator("h1")).to_have_text("Pomoc zdalna")
    expect(ola.locator(".hd-faq h3").first).to_have_text("Czy pomoc zdalna działa bez Internetu?")
    expect(ola.locator(".hd-faq li")).to_have_text(["Utwórz zgłoszenie", "Uruchom program"])
    expect(ola.locator(".hd-faq")).to_contain_text("<b>bez HTML</b>")  # shown, not run
    expect(ola.locator(".hd-remote-none")).to_contain_text("nie skonfigurowano")
    expect(ola.locator(".hd-contact a[href^='mailto:']")).to_have_text("pomoc@um.example")
    rig.check(ola, "help-page")
    small = rig.page(from_ip=here, mobile=True)
    small.goto(f"{rig.web.url}/helpdesk/help")
    rig.check(small, "help-page-390")


def test_the_marks_are_drawn_icons_with_names_not_emoji_boxes(rig: Rig):
    """Debian's Chromium has no emoji font: ⚠️ 💬 🔁 drew as empty boxes. Each mark is now an
    inline SVG that renders (ink inside its box, each shape its own) and is named for a screen
    reader; the filter legend's icons are decorative beside their words."""
    ola = rig.page("ola@sp5.example")
    number = file_request(rig, ola, "Przeglądy", "Przegląd gaśnic.", repeat=7)
    rig.sql(
        "UPDATE hd_requests SET due_on = :day, published_at = :at WHERE id = :id",
        day=(datetime.now(UTC) - timedelta(days=2)).date(),
        at=datetime.now(UTC) - timedelta(hours=25),
        id=number,
    )
    for mobile in (False, True):
        staff = rig.page("marek@cum.example", mobile=mobile)
        staff.goto(f"{rig.web.url}/helpdesk/?f=1")
        assert not EMOJI.search(staff.locator("body").inner_text())
        legend = staff.locator(".hd-flags svg.icon")
        expect(legend).to_have_count(7)
        shapes = [icon_pixels(legend.nth(i)) for i in range(7)]
        assert len(set(shapes)) == 7  # seven different drawings, not seven equal boxes
        for i in range(7):
            expect(legend.nth(i)).to_have_attribute("aria-hidden", "true")
        marks = staff.locator(f"tr[data-href='/helpdesk/r/{number}'] .hd-marks svg[role=img]")
        names = [marks.nth(i).get_attribute("aria-label") for i in range(marks.count())]
        assert names == [
            "Ustawiony termin wykonania",
            "Termin wykonania upłynął",
            "Pojawia się automatycznie co określony czas",
            "Niezaakceptowane w ciągu 24 godzin",
        ], names
        for i in range(marks.count()):
            icon_pixels(marks.nth(i))
        rig.check(staff, f"icons-{'390' if mobile else '1280'}")
