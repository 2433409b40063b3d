"""The visitors' booking pages over real HTTP against `okienko web` with a real SMTP server:
the five steps by forms (with CSRF tokens), errors beside fields, the code wrong then right,
a hold that ran out, cancelling through the manage link, English, and the jobs: the day-before
reminder (once, even with two workers) and the erasure of old personal data."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import sqlite3
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from types import SimpleNamespace

import holidays
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config import load_site
from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess, body_text, csrf_of, six_digit_code
from web.catalog import import_site, load_catalog
from web.db.models import Reservation
from web.jobs import release_expired_holds
from web.notify.mail import Mailer, SmtpSettings
from web.notify.outbox import Notifier
from web.notify.sms import FileGateway
from web.reservations import store
from web.reservations.booking import TZ, Status
from web.reservations.reminders import send_reminders
from web.reservations.retention import forget_old_visitors
from web.reservations.slots import hold_at

ALL_DAY = json.dumps(
    {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
)


def write_site(workdir: Path) -> Path:
    site = workdir / "site.toml"
    site.write_text(site_toml(database=workdir / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    return site


def prepare_catalog(
    web: WebProcess, *, closed: datetime | None = None, no_hold: str | None = None
) -> None:
    """Changes the site file cannot make, written before any page has read the catalog: a
    second place for "meldunki" (so step 2 is shown), optionally a service with no time to
    confirm (its holds run out at once) and a day when every counter is closed."""
    db = sqlite3.connect(web.database_url.split("///", 1)[1])
    with db:
        if no_hold:
            db.execute("UPDATE services SET hold_min = 0 WHERE id = ?", (no_hold,))
        db.execute(
            "INSERT INTO locations (id, name, address) VALUES ('filia', 'Filia Urzędu', "
            "'ul. Szeroka 1')"
        )
        db.execute(
            "INSERT INTO service_points (id, location_id, name, room, hours, breaks, "
            "public_holidays, active) VALUES ('f1', 'filia', 'Stanowisko F1', '12', ?, '{}', 1, 1)",
            (ALL_DAY,),
        )
        db.execute(
            "INSERT INTO service_point_services (service_point_id, service_id, capacity) "
            "VALUES ('f1', 'meldunki', 1)"
        )
        if closed is not None:
            for point in ("s1", "s2", "s3"):
                db.execute(
                    "INSERT INTO calendar_exceptions (service_point_id, day, spans, reason) "
                    "VALUES (?, ?, '', 'inwentaryzacja')",
                    (point, closed.date().isoformat()),
                )
    db.close()


CLOSED_DAY = datetime.now(TZ) + timedelta(days=2)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("public")
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=write_site(tmp))
    prepare_catalog(proc, closed=CLOSED_DAY, no_hold="meldunki")
    yield proc
    proc.stop()


def links(page: str, prefix: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(rf'href="({re.escape(prefix)}[^"]*)"', page)]


def field_errors(page: str) -> dict[str, str]:
    found = re.findall(r'<p class="field-error" id="(\w+)-error">(.*?)</p>', page, re.S)
    return {name: re.sub(r"<[^>]+>", "", text) for name, text in found}


def to_details(
    client: httpx.Client, service_name: str, day_index: int = 1, hour_index: int = 3
) -> dict[str, str]:
    """Steps 1–3 by following the pages' own links; the hidden fields of the details form."""
    home = client.get("/")
    m = re.search(rf'<a href="([^"]+)">{re.escape(service_name)}</a>', home.text)
    assert m, home.text
    step = client.get(html.unescape(m.group(1)), follow_redirects=True)
    if "/book/place" in str(step.url):
        step = client.get(links(step.text, "/book/day")[0])
    hours = client.get(links(step.text, "/book/hour")[day_index])
    assert "Krok 3 z 5" in hours.text
    form = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]+)"', hours.text))
    form["time"] = re.findall(r'name="time" value="([^"]+)"', hours.text)[hour_index]
    return form


def hold(client: httpx.Client, slot: dict[str, str], name: str, contact: str) -> httpx.Response:
    details = client.get("/book/details", params=slot)
    assert details.status_code == 200 and "Krok 4 z 5" in details.text
    data = {**slot, "csrf_token": csrf_of(details.text), "name": name, "contact": contact}
    return client.post("/book/details", data={**data, "terms": "yes", "privacy": "yes"})


def book(
    client: httpx.Client, smtp: Smtp, slot: dict[str, str], name: str, contact: str
) -> httpx.Response:
    """Hold, read the code from the mail, confirm: the done page."""
    held = hold(client, slot, name, contact)
    assert held.status_code == 303, field_errors(held.text) or held.text
    code_page = client.get(held.headers["location"])
    code = six_digit_code(smtp.inbox.wait_for(contact)[-1])
    done = client.post(
        held.headers["location"], data={"csrf_token": csrf_of(code_page.text), "code": code}
    )
    assert done.status_code == 303
    return client.get(done.headers["location"])


def test_matters_are_grouped_by_department_and_found_by_search(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        home = client.get("/")
        assert home.status_code == 200 and "Krok 1 z 5" in home.text
        assert "Wydział Spraw Administracyjnych" in home.text
        assert "Dowody osobiste" in home.text and "Sprawy meldunkowe" in home.text
        assert "Usługa nieczynna" not in home.text  # no hours: not bookable
        found = client.get("/", params={"q": "meldunk"})
        assert "Sprawy meldunkowe" in found.text and "Dowody osobiste" not in found.text
        none = client.get("/", params={"q": "paszport na Marsa"})
        assert "Żadna sprawa nie pasuje" in none.text


def test_the_place_step_is_skipped_when_one_place_offers_the_matter(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        one = client.get("/book/place", params={"service": "dowody"}, follow_redirects=True)
        assert "/book/day" in str(one.url) and "Krok 3 z 5" in one.text
        two = client.get("/book/place", params={"service": "meldunki"})
        assert "Krok 2 z 5" in two.text and "Filia Urzędu" in two.text
        # Closed days are not offered; the offered ones carry their weekday names.
        filia = next(u for u in links(two.text, "/book/day") if "location=filia" in u)
        days = client.get(filia).text
        assert CLOSED_DAY.date().isoformat() in days  # the filia is open that day
        days = client.get("/book/day", params={"service": "dowody"}).text
        assert CLOSED_DAY.date().isoformat() not in days
        assert re.search(r"(poniedziałek|wtorek|środa|czwartek|piątek|sobota|niedziela), ", days)


def test_errors_are_shown_beside_each_field_and_the_input_is_kept(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        slot = to_details(client, "Dowody osobiste")
        token = csrf_of(client.get("/book/details", params=slot).text)
        r = client.post(
            "/book/details",
            data={**slot, "csrf_token": token, "name": "Jan Kowalski", "contact": "12345"},
        )
        assert r.status_code == 422
        errors = field_errors(r.text)
        assert set(errors) == {"contact", "terms", "privacy"}
        assert "600 100 200 lub +49" in errors["contact"]
        assert 'value="Jan Kowalski"' in r.text and 'value="12345"' in r.text
        assert 'aria-describedby="contact-hint contact-error"' in r.text
        assert 'aria-invalid="true"' in r.text and 'href="#terms"' in r.text
        no_csrf = client.post("/book/details", data={**slot, "name": "Jan"})
        assert no_csrf.status_code == 403


def from_address(web: WebProcess, n: int) -> httpx.Client:
    """A browser on its own loopback address 127.0.0.N: its own budget of the per-IP limits."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{n}")
    return httpx.Client(base_url=web.url, transport=transport)


def test_a_sixth_code_for_one_phone_number_is_refused_beside_the_field(web: WebProcess):
    typed = ("600 800 900", "600800900", "+48 600 800 900", "+48600800900", "48600-800-900")
    with from_address(web, 11) as client:
        for i, contact in enumerate(typed):
            slot = to_details(client, "Dowody osobiste", day_index=4, hour_index=i)
            held = hold(client, slot, "Jan Limit", contact)
            assert held.status_code == 303, field_errors(held.text)
    with from_address(web, 12) as client:  # another address: the number is what is limited
        slot = to_details(client, "Dowody osobiste", day_index=4, hour_index=6)
        r = hold(client, slot, "Jan Limit", "600-800-900")
        assert r.status_code == 429
        assert set(field_errors(r.text)) == {"contact"}
        assert "Spróbuj ponownie za godzinę" in field_errors(r.text)["contact"]
        assert 'value="600-800-900"' in r.text
        assert hold(client, slot, "Jan Inny", "600800901").status_code == 303


def test_a_foreign_mobile_is_accepted_and_limited_however_it_is_typed(web: WebProcess):
    typed = ("+49 151 23456789", "0049 151 2345 6789", "+4915123456789", "+49 (151) 234-567-89")
    with from_address(web, 21) as client:
        for i, contact in enumerate(typed):
            slot = to_details(client, "Dowody osobiste", day_index=6, hour_index=i)
            held = hold(client, slot, "Jonas Müller", contact)
            assert held.status_code == 303, field_errors(held.text)
        code_page = client.get(held.headers["location"])
        assert "+49 ••• ••• 789" in code_page.text
    with from_address(web, 22) as client:  # the fifth code to one number, the sixth refused
        slot = to_details(client, "Dowody osobiste", day_index=6, hour_index=5)
        assert hold(client, slot, "Jonas Müller", "+49 1512 3456789").status_code == 303
        slot = to_details(client, "Dowody osobiste", day_index=6, hour_index=6)
        r = hold(client, slot, "Jonas Müller", "004915123456789")
        assert r.status_code == 429 and set(field_errors(r.text)) == {"contact"}
        landline = hold(client, slot, "Jan Stacjonarny", "22 123 45 67")
        assert "numer telefonu komórkowego" in field_errors(landline.text)["contact"]


def test_code_tries_are_limited_per_contact_whatever_the_address(web: WebProcess, smtp: Smtp):
    contact = "tries.public@example.org"
    with from_address(web, 13) as client:
        urls = []
        for i in range(3):
            slot = to_details(client, "Dowody osobiste", day_index=5, hour_index=i)
            held = hold(client, slot, "Ola Próbna", contact)
            assert held.status_code == 303, field_errors(held.text)
            urls.append(held.headers["location"])
    code = six_digit_code(smtp.inbox.wait_for(contact, 3)[-1])  # the third hold's
    for n, url in ((14, urls[0]), (15, urls[1])):  # five wrong codes each, from new addresses
        with from_address(web, n) as client:
            token = csrf_of(client.get(url).text)
            answers = [
                client.post(url, data={"csrf_token": token, "code": "000000"}).status_code
                for _ in range(5)
            ]
            assert answers == [422, 422, 422, 422, 429]
    with from_address(web, 16) as client:
        token = csrf_of(client.get(urls[2]).text)
        r = client.post(urls[2], data={"csrf_token": token, "code": code})
        assert r.status_code == 429
        assert "Zbyt wiele prób dla tego numeru telefonu lub adresu e-mail" in r.text


def test_a_visitor_books_and_a_wrong_code_is_counted_before_the_right_one(
    web: WebProcess, smtp: Smtp
):
    contact = "anna.booking@example.org"
    with httpx.Client(base_url=web.url) as client:
        slot = to_details(client, "Dowody osobiste")
        held = hold(client, slot, "Anna Nowak", contact)
        assert held.status_code == 303
        code_url = held.headers["location"]
        code_page = client.get(code_url)
        assert "Krok 5 z 5" in code_page.text and "15 min" in code_page.text
        assert "/visit/" not in code_page.text  # no manage link before the code
        mail = smtp.inbox.wait_for(contact)[-1]
        text = body_text(mail)
        code = six_digit_code(mail)
        assert "Anna" not in text and "15 min" in text
        wrong = "000000" if code != "000000" else "111111"
        r = client.post(code_url, data={"csrf_token": csrf_of(code_page.text), "code": wrong})
        assert r.status_code == 422 and "Pozostałe próby: 4" in r.text
        assert f'value="{wrong}"' in r.text
        r = client.post(code_url, data={"csrf_token": csrf_of(r.text), "code": code})
        assert r.status_code == 303
        done = client.get(r.headers["location"])
        access = re.search(r'class="code access-code"[^>]*>(\w{4} \w{4})<', done.text)
        assert access and "R0" in done.text and "Dowody osobiste" in done.text
        manage = links(done.text, "/visit/")[0]
        ics = client.get(manage if manage.endswith(".ics") else f"{manage}.ics")
        assert ics.headers["content-type"].startswith("text/calendar")
        assert "BEGIN:VEVENT" in ics.text and "Dowody osobiste" in ics.text
    confirmation = smtp.inbox.wait_for(contact, 2)[-1]
    text = body_text(confirmation)
    assert access.group(1) in text and "/visit/" in text and "Urząd testowy" in text
    attachments = [p.get_filename() for p in confirmation.walk() if p.get_filename()]
    assert attachments == ["wizyta.ics"]
    # Another browser (no session of this booking) cannot open the done page.
    assert httpx.get(f"{web.url}{r.headers['location']}").status_code == 404


def test_a_hold_not_confirmed_in_time_asks_to_book_again(web: WebProcess, smtp: Smtp):
    contact = "late@example.org"
    with httpx.Client(base_url=web.url) as client:
        slot = to_details(client, "Sprawy meldunkowe")  # its holds last 0 minutes here
        held = hold(client, slot, "Piotr Późny", contact)
        assert held.status_code == 303
        code = six_digit_code(smtp.inbox.wait_for(contact)[-1])
        token = csrf_of(client.get("/book/details", params=slot).text)
        r = client.post(held.headers["location"], data={"csrf_token": token, "code": code})
        assert r.status_code == 410
        assert "Czas na wpisanie kodu minął" in r.text and 'href="/"' in r.text
    # The server's own sweep (every 30 s) frees the hour and tells the visitor, once.
    told = smtp.inbox.wait_for(contact, count=2, timeout=45)[-1]
    assert subject_of(told) == "Rezerwacja nie została potwierdzona"
    text = body_text(told)
    assert "nie została na czas potwierdzona kodem" in text and web.url in text
    assert "Piotr" not in text and code not in text


def test_cancelling_through_the_manage_link_frees_the_hour_for_another_visitor(
    web: WebProcess, smtp: Smtp
):
    with httpx.Client(base_url=web.url) as first, httpx.Client(base_url=web.url) as other:
        slot = to_details(first, "Dowody osobiste", day_index=3)
        # Three counters take "dowody": three visitors fill the hour.
        done = book(first, smtp, slot, "Ewa Pierwsza", "ewa.cancel@example.org")
        for i in (2, 3):
            assert hold(other, slot, "Ktoś Inny", f"other{i}@example.org").status_code == 303
        full = hold(other, slot, "Marek Czwarty", "marek.cancel@example.org")
        assert full.status_code == 409 and "Ktoś właśnie zajął tę godzinę" in full.text
        assert 'value="Marek Czwarty"' in full.text
        hours_url = f"/book/hour?service=dowody&location=test-site&day={slot['day']}"
        assert f'value="{slot["time"]}"' not in other.get(hours_url).text

        manage = next(u for u in links(done.text, "/visit/") if not u.endswith(".ics"))
        visit = first.get(manage)
        assert "Zarezerwowana" in visit.text and "Odwołaj wizytę" in visit.text
        ask = first.get(f"{manage}/cancel")
        assert "Odwołać wizytę?" in ask.text
        r = first.post(f"{manage}/cancel", data={"csrf_token": csrf_of(ask.text)})
        assert r.status_code == 303
        assert "Wizyta odwołana" in first.get(r.headers["location"]).text
        told = smtp.inbox.wait_for("ewa.cancel@example.org", count=3)[-1]
        assert subject_of(told) == "Wizyta odwołana"
        text = body_text(told)
        assert "odwołana na Twoją prośbę" in text and "Kod dostępu jest już nieważny" in text
        assert "Urząd testowy" in text and "Ewa" not in text  # when and where; no name
        again = first.post(f"{manage}/cancel", data={"csrf_token": csrf_of(ask.text)})
        assert again.status_code == 303  # a second click is harmless
        assert "Odwołana" in first.get(manage).text
        clock.sleep(0.5)
        assert len(smtp.inbox.to("ewa.cancel@example.org")) == 3  # told once

        assert f'value="{slot["time"]}"' in other.get(hours_url).text
        assert hold(other, slot, "Marek Czwarty", "marek.cancel@example.org").status_code == 303


def test_english_and_unknown_links(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        home = client.get("/", params={"lang": "en"})
        assert "Book a visit at the city office" in home.text and "Step 1 of 5" in home.text
        assert "Choose the day" in client.get("/book/day", params={"service": "dowody"}).text
        assert "Personal data notice" in client.get("/privacy").text
        missing = client.get("/visit/no-such-token")
        assert missing.status_code == 404 and "Traceback" not in missing.text
    assert "Regulamin" in httpx.get(f"{web.url}/terms").text
    assert "Administratorem" in httpx.get(f"{web.url}/privacy").text


# -- jobs: straight against a database, with real SMTP ---------------------------------------


def fake_app(engine: AsyncEngine, smtp: Smtp, tmp_path: Path) -> SimpleNamespace:
    notifier = Notifier(Mailer(SmtpSettings(port=smtp.port)), FileGateway(tmp_path / "sms.jsonl"))
    state = SimpleNamespace(
        engine=engine, notifier=notifier, public_url="https://okienko.example", retention_days=None
    )
    return SimpleNamespace(state=state)


async def book_directly(
    engine: AsyncEngine,
    start: datetime,
    now: datetime,
    contact: str,
    name: str = "Jan Nowak",
    language: str = "pl",
) -> Reservation:
    catalog = await load_catalog(engine)
    return await hold_at(
        engine,
        catalog,
        "dowody",
        None,
        start,
        now,
        name=name,
        contact=contact,
        status=Status.CONFIRMED,
        kind="online",
        language=language,
    )


def subject_of(message: Message) -> str:
    """The subject as read (a Cyrillic one travels encoded)."""
    return str(make_header(decode_header(message["Subject"])))


async def test_the_reminder_speaks_the_language_the_visitor_booked_in(
    engine: AsyncEngine, smtp: Smtp, tmp_path: Path
):
    await import_site(engine, load_site(write_site(tmp_path)).site)
    noon = datetime.combine(datetime.now(TZ).date(), time(12, 0), TZ)
    tomorrow_11 = noon + timedelta(days=1, hours=-1)
    pl, en, uk = (f"{lang}-lang-{engine.dialect.name}@example.org" for lang in ("pl", "en", "uk"))
    await book_directly(engine, tomorrow_11, noon, pl)
    visitor = await book_directly(engine, tomorrow_11, noon, en, language="en")
    ukrainian = await book_directly(engine, tomorrow_11, noon, uk, language="uk")
    app = fake_app(engine, smtp, tmp_path)
    assert await send_reminders(app, noon) == 3
    (english,), (polish,), (in_uk,) = smtp.inbox.to(en), smtp.inbox.to(pl), smtp.inbox.to(uk)
    assert subject_of(in_uk) == "Нагадування: ваш візит завтра"
    assert "ваш візит до міської управи" in body_text(in_uk)
    assert english["Subject"] == "Reminder: your visit tomorrow"
    assert "Reminder: your visit at the city office is" in body_text(english)
    assert polish["Subject"] != english["Subject"] and "Przypomnienie" in polish["Subject"]
    # A clerk (whose pages are in Polish) moves the visit: the visitor is told in English.
    from web.staff.moving import tell_moved

    assert await tell_moved(app, await load_catalog(engine), visitor, "https://okienko.example")
    moved = smtp.inbox.to(en)[-1]
    assert moved["Subject"].startswith("Your visit has been moved:")
    assert await tell_moved(app, await load_catalog(engine), ukrainian, "https://okienko.example")
    assert subject_of(smtp.inbox.to(uk)[-1]).startswith("Ваш візит перенесено:")


async def test_the_reminder_goes_once_even_when_two_workers_run_the_job(
    engine: AsyncEngine, smtp: Smtp, tmp_path: Path
):
    await import_site(engine, load_site(write_site(tmp_path)).site)
    today = datetime.now(TZ).date()
    noon = datetime.combine(today, time(12, 0), TZ)
    tomorrow_10 = noon + timedelta(days=1, hours=-2)
    addr = f"remind-{engine.dialect.name}@example.org"
    r = await book_directly(engine, tomorrow_10, noon, addr)
    later = await book_directly(engine, tomorrow_10 + timedelta(days=1), noon, f"x{addr}")
    gone = await book_directly(engine, tomorrow_10 + timedelta(hours=1), noon, f"y{addr}")
    await store.cancel(engine, gone.access_code, noon)
    app = fake_app(engine, smtp, tmp_path)

    assert await send_reminders(app, noon.replace(hour=21)) == 0  # not at night
    sent = await asyncio.gather(send_reminders(app, noon), send_reminders(app, noon))
    assert sum(sent) == 1
    assert await send_reminders(app, noon + timedelta(minutes=5)) == 0
    mails = smtp.inbox.to(addr)
    assert len(mails) == 1 and not smtp.inbox.to(f"x{addr}") and not smtp.inbox.to(f"y{addr}")
    text = body_text(mails[0])
    assert "10:00" in text and f"https://okienko.example/visit/{r.manage_token}" in text
    assert "Jan" not in text
    unsent = await store.get(engine, reservation_id=later.id)
    assert unsent is not None and unsent.reminder_sent_at is None


def open_day(at: datetime) -> date:
    """``at``'s day, or the nearest earlier one that is no public holiday (counters close)."""
    day = at.date()
    while day in holidays.Poland(years=day.year):
        day -= timedelta(days=1)
    return day


async def test_personal_data_is_erased_30_days_after_the_visit(
    engine: AsyncEngine, smtp: Smtp, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    await import_site(engine, load_site(write_site(tmp_path)).site)
    now = datetime.now(UTC)
    visit_40 = datetime.combine(open_day(now - timedelta(days=40)), time(10, 0), TZ)
    visit_20 = datetime.combine(open_day(now - timedelta(days=20)), time(10, 0), TZ)
    day = timedelta(days=1)
    old = await book_directly(engine, visit_40, visit_40 - day, "old@example.org")
    recent = await book_directly(engine, visit_20, visit_20 - day, "r@x.pl")
    caplog.set_level(logging.DEBUG)
    app = fake_app(engine, smtp, tmp_path)
    assert await forget_old_visitors(app, now) == 1
    assert await forget_old_visitors(app, now) == 0  # idempotent
    erased = await store.get(engine, reservation_id=old.id)
    kept = await store.get(engine, reservation_id=recent.id)
    assert erased is not None and (erased.name, erased.contact) == ("", "usunięto")
    assert erased.access_code == old.access_code and erased.status == Status.CONFIRMED
    assert kept is not None and kept.contact == "r@x.pl"
    assert "old@example.org" not in caplog.text and "Jan Nowak" not in caplog.text


async def test_an_expired_hold_is_told_once_in_its_language_by_both_channels(
    engine: AsyncEngine, smtp: Smtp, tmp_path: Path
):
    await import_site(engine, load_site(write_site(tmp_path)).site)
    now = datetime.combine(datetime.now(TZ).date(), time(9, 0), TZ)
    start = now + timedelta(days=1)
    mail = f"expired-{engine.dialect.name}@example.org"
    held = await hold_at(
        engine,
        await load_catalog(engine),
        "dowody",
        None,
        start,
        now,
        name="Олена Коваль",
        contact=mail,
        contact_extra="+380 67 123 4567",
        confirm_code="123456",
        language="uk",
    )
    app = fake_app(engine, smtp, tmp_path)
    assert await release_expired_holds(app, now + timedelta(minutes=5)) == 0  # still held
    assert not smtp.inbox.to(mail)
    later = now + timedelta(minutes=20)
    # Two workers run the job at once: one frees the hour, one tells; the visitor hears once.
    await asyncio.gather(release_expired_holds(app, later), release_expired_holds(app, later))
    await release_expired_holds(app, later + timedelta(minutes=1))
    (told,) = smtp.inbox.wait_for(mail)
    assert subject_of(told) == "Бронювання не підтверджено"
    text = body_text(told)
    assert "не було вчасно підтверджено кодом" in text and "https://okienko.example/" in text
    assert "Олена" not in text and held.access_code not in text
    (sms,) = FileGateway(tmp_path / "sms.jsonl").sent()
    assert sms["to"] == "+380671234567" and "не було вчасно підтверджено" in sms["text"]
    assert (await store.get(engine, reservation_id=held.id)).status == Status.EXPIRED  # type: ignore[union-attr]
