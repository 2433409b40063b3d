"""The staff pages over real HTTP against `okienko web` with a real SMTP server: the register's
search, actions with their history and the visitor's message, the plan of the day, the docket,
reception, permissions, and the password reset by e-mail."""

from __future__ import annotations

import re
import time as clock
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import httpx
import pytest

from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess, body_text, csrf_of, six_digit_code
from web.reservations.booking import TZ

PASSWORD = "Haslo-testowe-1"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("staff-register")
    site = tmp / "site.toml"
    site.write_text(site_toml(database=tmp / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    proc.add_staff("admin@um.example", "administrator", name="Ada Admin")
    proc.add_staff(
        "clerk@um.example", "clerk", location="test-site", service_point="s1", name="Karol Klerk"
    )
    proc.add_staff("rec@um.example", "reception", location="test-site", name="Renata Recepcja")
    proc.add_staff("forgetful@um.example", "clerk", name="Zapominalski")
    yield proc
    proc.stop()


def signed_in(web: WebProcess, email: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=web.url)
    token = csrf_of(client.get("/signin").text)
    r = client.post("/signin", data={"email": email, "password": password, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture(scope="module")
def admin(web: WebProcess) -> Iterator[httpx.Client]:
    client = signed_in(web, "admin@um.example")
    yield client
    client.close()


@pytest.fixture(scope="module")
def clerk(web: WebProcess) -> Iterator[httpx.Client]:
    client = signed_in(web, "clerk@um.example")
    yield client
    client.close()


@pytest.fixture(scope="module")
def reception(web: WebProcess) -> Iterator[httpx.Client]:
    client = signed_in(web, "rec@um.example")
    yield client
    client.close()


def day(offset: int) -> date:
    return datetime.now(TZ).date() + timedelta(days=offset)


def at(offset: int, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day(offset), time(hh, mm), TZ)


def book_online(
    web: WebProcess, smtp: Smtp, name: str, email: str, start: datetime, *, confirm: bool = True
) -> tuple[str, str | None]:
    """A visitor's booking through the JSON API, confirmed with the mailed code."""
    r = httpx.post(
        f"{web.url}/api/v1/reservations",
        json={
            "service": "dowody",
            "location": "test-site",
            "start": start.isoformat(),
            "name": name,
            "contact": email,
            "terms": True,
            "privacy": True,
        },
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    if not confirm:
        return rid, None
    code = six_digit_code(smtp.inbox.wait_for(email)[-1])
    r = httpx.post(f"{web.url}/api/v1/reservations/{rid}/confirm", json={"code": code})
    assert r.status_code == 200, r.text
    return rid, r.json()["access_code"]


def book_by_phone(
    client: httpx.Client, name: str, contact: str, start: datetime, service: str = "dowody"
) -> str:
    token = csrf_of(client.get("/staff/book").text)
    r = client.post(
        "/staff/book",
        data={
            "csrf_token": token,
            "service": service,
            "location": "test-site",
            "day": start.date().isoformat(),
            "start": start.isoformat(),
            "name": name,
            "contact": contact,
        },
    )
    assert r.status_code == 303, r.text
    assert "done=booked" in r.headers["location"]
    return r.headers["location"].split("/")[-1].split("?")[0]


def found_names(html: str) -> set[str]:
    body = html.split("<tbody>", 1)[-1] if "<tbody>" in html else ""
    return set(re.findall(r"<td>([^<]+ [^<]+)</td>", body))


def post_action(client: httpx.Client, rid: str, action: str, **fields: str) -> httpx.Response:
    token = csrf_of(client.get(f"/staff/register/{rid}").text)
    return client.post(f"/staff/register/{rid}/{action}", data={"csrf_token": token, **fields})


def test_search_filters_find_the_right_rows(web: WebProcess, smtp: Smtp, admin: httpx.Client):
    _, anna_code = book_online(web, smtp, "Anna Nowak", "anna.nowak@example.org", at(1, 10))
    book_by_phone(admin, "Łukasz Żak", "600 100 200", at(1, 11), service="meldunki")
    book_by_phone(admin, "Jan Nowakowski", "jan.n@example.org", at(3, 9))
    assert anna_code is not None

    def search(**query: str) -> set[str]:
        r = admin.get("/staff/register", params=query)
        assert r.status_code == 200, r.text
        return found_names(r.text) & {"Anna Nowak", "Łukasz Żak", "Jan Nowakowski"}

    everyone = {"Anna Nowak", "Łukasz Żak", "Jan Nowakowski"}
    assert search() == everyone  # default range: today .. +30 days
    assert search(last_name="nowak") == {"Anna Nowak", "Jan Nowakowski"}  # word start, any case
    assert search(first_name="ANNA", last_name="nowak") == {"Anna Nowak"}
    assert search(first_name="łukasz", last_name="ŻAK") == {"Łukasz Żak"}  # Polish capitals
    assert search(last_name="owak") == set()  # not the middle of a word
    assert search(phone="+48 600-100-200") == {"Łukasz Żak"}
    assert search(email="ANNA.NOWAK@") == {"Anna Nowak"}
    assert search(code=f"{anna_code[:4].lower()}-{anna_code[4:].lower()}") == {"Anna Nowak"}
    assert search(service="meldunki") == {"Łukasz Żak"}
    assert search(kind="phone") == {"Łukasz Żak", "Jan Nowakowski"}
    assert search(status="confirmed") == everyone
    assert search(status="cancelled") == set()
    assert search(**{"from": day(2).isoformat(), "to": day(5).isoformat()}) == {"Jan Nowakowski"}

    r = admin.get("/staff/register", params={"sort": "-time", "last_name": "nowak"})
    assert r.text.index("Jan Nowakowski") < r.text.index("Anna Nowak")  # newest first
    bad = admin.get("/staff/register", params={"from": "jutro", "last_name": "Nowak"})
    assert bad.status_code == 400 and "RRRR-MM-DD" in bad.text
    assert 'value="Nowak"' in bad.text and 'value="jutro"' in bad.text  # typed input kept


def test_staff_actions_are_recorded_and_a_moved_visitor_is_told(
    web: WebProcess, smtp: Smtp, admin: httpx.Client
):
    email = "ewa.mazur@example.org"
    rid, _ = book_online(web, smtp, "Ewa Mazur", email, at(1, 13), confirm=False)

    r = post_action(admin, rid, "confirm")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=confirmed")
    page = admin.get(r.headers["location"]).text
    assert "Rezerwacja jest potwierdzona, a interesant otrzymał kod dostępu." in page

    r = post_action(admin, rid, "note", note="Prosi o tłumacza migowego")
    assert r.status_code == 303
    r = post_action(admin, rid, "note", note="   ")
    assert r.status_code == 400 and "Najpierw wpisz treść adnotacji." in r.text

    form = admin.get(f"/staff/register/{rid}/reschedule", params={"day": day(2).isoformat()})
    assert form.status_code == 200
    starts = re.findall(r'name="start" value="([^"]+)"', form.text)
    new_start = next(s for s in starts if datetime.fromisoformat(s) >= at(2, 14))
    r = admin.post(
        f"/staff/register/{rid}/reschedule",
        data={"csrf_token": csrf_of(form.text), "day": day(2).isoformat(), "start": new_start},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?done=rescheduled")
    moved = smtp.inbox.wait_for(email, count=3)[-1]  # the code, the confirmation, the move
    text = body_text(moved)
    assert "przeniesiona" in moved["Subject"] and "14:00" in text and "Urząd testowy" in text
    assert "/visit/" in text and "Ewa" not in text  # the new place and link; no name

    r = post_action(admin, rid, "cancel", reason="Interesant zadzwonił")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=cancelled")
    refused = post_action(admin, rid, "confirm")
    assert refused.status_code == 409
    assert "Dla rezerwacji w tym statusie nie jest to możliwe." in refused.text
    assert "Traceback" not in refused.text

    history = admin.get(f"/staff/register/{rid}").text.split("Historia", 1)[1]
    for expected in (
        "Potwierdzona",
        "Prosi o tłumacza migowego",
        "Przeniesiono na inny termin",
        "Interesant zadzwonił",
        "admin@um.example",
        "interesant",
    ):
        assert expected in history, expected


def test_the_visitor_is_told_when_staff_confirm_or_cancel_in_the_language_booked_in(
    web: WebProcess, smtp: Smtp, admin: httpx.Client
):
    email = "oksana.told@example.org"
    r = httpx.post(
        f"{web.url}/api/v1/reservations",
        json={
            "service": "dowody",
            "location": "test-site",
            "start": at(2, 10).isoformat(),
            "name": "Оксана Шевчук",
            "contact": email,
            "contact_extra": "+49 151 23456789",
            "terms": True,
            "privacy": True,
            "language": "uk",
        },
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    smtp.inbox.wait_for(email)  # the six-digit code, which the visitor never typed

    r = post_action(admin, rid, "confirm")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=confirmed")
    confirmed = smtp.inbox.wait_for(email, count=2)[-1]
    code = re.search(r"\b([A-Z2-9]{4} [A-Z2-9]{4})\b", admin.get(f"/staff/register/{rid}").text)
    assert code is not None
    text = body_text(confirmed)
    assert code.group(1) in text and "Ваш візит до міської управи підтверджено." in text
    assert "Оксана" not in text

    r = post_action(admin, rid, "cancel", reason="Awaria systemu w urzędzie")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=cancelled")
    page = admin.get(r.headers["location"]).text
    assert "interesant został powiadomiony" in page
    assert "interesant jej nie otrzymuje" not in page
    cancelled = smtp.inbox.wait_for(email, count=3)[-1]
    text = body_text(cancelled)
    assert "Міська управа скасувала ваш візит" in text
    assert "Причина: Awaria systemu w urzędzie" in text
    assert code.group(1) not in text and "Оксана" not in text
    sms = [m for m in sms_sent(web) if m["to"] == "+4915123456789"]
    assert len(sms) == 2 and code.group(1) in sms[0]["text"]  # confirmed, cancelled
    assert "Awaria systemu" in sms[1]["text"] and "Оксана" not in sms[1]["text"]


def sms_sent(web: WebProcess) -> list[dict[str, str]]:
    from web.notify.sms import FileGateway

    return FileGateway(web.log.parent / "outbox" / "sms.jsonl").sent()


def test_moving_to_a_taken_hour_is_refused_plainly(web: WebProcess, admin: httpx.Client):
    # meldunki has two desks: two bookings fill 15:00, the third visit cannot move there
    full = at(1, 15)
    book_by_phone(admin, "Piotr Pierwszy", "601 000 001", full, service="meldunki")
    book_by_phone(admin, "Paweł Drugi", "601 000 002", full, service="meldunki")
    rid = book_by_phone(admin, "Marta Trzecia", "601 000 003", at(1, 16), service="meldunki")
    form = admin.get(f"/staff/register/{rid}/reschedule", params={"day": day(1).isoformat()})
    assert full.isoformat() not in form.text  # not offered as free
    r = admin.post(
        f"/staff/register/{rid}/reschedule",
        data={"csrf_token": csrf_of(form.text), "day": "", "start": full.isoformat()},
    )
    assert r.status_code == 409 and "Ten termin został właśnie zajęty." in r.text
    detail = admin.get(f"/staff/register/{rid}").text
    assert "16:00" in detail and "Przeniesiono" not in detail


def test_the_plan_marks_visitors_arrived_or_not_kept(
    web: WebProcess, admin: httpx.Client, clerk: httpx.Client
):
    first = book_by_phone(admin, "Olga Obecna", "602 000 001", at(4, 9))
    second = book_by_phone(admin, "Nina Nieobecna", "602 000 002", at(4, 9))
    plan = clerk.get("/staff/plan", params={"day": day(4).isoformat()})  # the clerk's own desk
    assert plan.status_code == 200 and "Stanowisko 1" in plan.text
    # Four days ahead nobody has arrived and nobody has failed to come: neither is offered.
    assert "/check-in" not in plan.text and "/no-show" not in plan.text
    back = {"csrf_token": csrf_of(plan.text), "point": "s1", "day": day(4).isoformat()}
    early = clerk.post(f"/staff/plan/{first}/no-show", data=back)
    assert early.status_code == 409 and "Jeszcze nie" in early.text
    # Their hour came and went: the check-in window (until 15 minutes after) has closed.
    for name in ("Olga Obecna", "Nina Nieobecna"):
        web.move_visit(name, datetime.now(TZ) - timedelta(minutes=20))
    today = datetime.now(TZ).date().isoformat()
    plan = clerk.get("/staff/plan", params={"day": today})
    ids = [i for i in (first, second) if f"/staff/plan/{i}/check-in" in plan.text]
    assert len(ids) == 1  # the two visits went to two desks; s1 shows only its own
    other = first if ids[0] == second else second
    token = csrf_of(plan.text)
    back = {"csrf_token": token, "point": "s1", "day": today}
    r = clerk.post(f"/staff/plan/{ids[0]}/check-in", data=back)
    assert r.status_code == 303
    assert "Interesant jest odnotowany jako obecny." in clerk.get(r.headers["location"]).text
    again = clerk.post(f"/staff/plan/{ids[0]}/no-show", data=back)
    assert again.status_code == 409 and "nie jest to możliwe" in again.text
    r = clerk.post(f"/staff/plan/{other}/no-show", data=back)
    assert r.status_code == 303
    detail = clerk.get(f"/staff/register/{other}")
    assert (
        "Niezrealizowana" in detail.text and f"/staff/register/{other}/undo-no-show" in detail.text
    )
    # She came after all, the same day: the mark is undone, and the history keeps both.
    r = clerk.post(f"/staff/register/{other}/undo-no-show", data={"csrf_token": token})
    assert r.status_code == 303
    detail = clerk.get(r.headers["location"])
    assert "Cofnięto „niezrealizowana”: wizyta jest znów potwierdzona." in detail.text
    history = detail.text.split('class="history"', 1)[1]
    assert "Niezrealizowana" in history and "Cofnięto „niezrealizowana”" in history
    assert f"/staff/register/{other}/check-in" in detail.text


def test_reception_finds_a_code_however_typed_and_may_not_open_the_plan(
    web: WebProcess, smtp: Smtp, reception: httpx.Client
):
    _, code = book_online(web, smtp, "Robert Recepcyjny", "robert@example.org", at(1, 12))
    assert code is not None
    typed = f" {code[:3].lower()}-{code[3:6]} {code[6:].lower()} "
    r = reception.get("/staff/reception", params={"code": typed})
    assert r.status_code == 200
    for fact in (
        f"{code[:4]} {code[4:]}",
        "Urząd testowy",
        "Stanowisko",
        "Dowody osobiste",
        "Potwierdzona",
        "12:00",
    ):
        assert fact in r.text, fact
    assert re.search(r"R\d{3}", r.text)
    unknown = reception.get("/staff/reception", params={"code": "ZZZZ-ZZZZ"})
    assert unknown.status_code == 404 and "Żadna rezerwacja nie ma tego kodu" in unknown.text

    assert reception.get("/staff/plan").status_code == 403
    assert reception.get("/admin/").status_code == 403
    assert reception.get("/staff/register").status_code == 200  # reception may look things up
    anonymous = httpx.get(f"{web.url}/staff/register", follow_redirects=False)
    assert anonymous.status_code == 303 and "/signin" in anonymous.headers["location"]


def test_reception_says_plainly_whom_not_to_let_in_and_what_to_do(
    web: WebProcess, smtp: Smtp, admin: httpx.Client, reception: httpx.Client
):
    def verdict(code: str) -> tuple[str, str]:
        page = reception.get("/staff/reception", params={"code": code})
        assert page.status_code == 200
        box = re.search(r'<section class="found verdict-([a-z-]+)".*?</section>', page.text, re.S)
        assert box is not None
        return box.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", box.group(0)))

    def code_of(rid: str) -> str:
        found = re.search(
            r'<dd class="mono">([A-Z2-9 ]+)</dd>', admin.get(f"/staff/register/{rid}").text
        )
        assert found is not None
        return found.group(1).replace(" ", "")

    later = code_of(book_by_phone(admin, "Lena Jutrzejsza", "603 000 001", at(3, 11)))
    kind, text = verdict(later)
    assert kind == "not-today" and "Nie dziś" in text
    assert f"Wizyta jest {day(3):%-d.%m} o 11:00" in text and "w dniu wizyty" in text

    gone_id = book_by_phone(admin, "Oskar Odwołany", "603 000 002", at(3, 12))
    assert post_action(admin, gone_id, "cancel", reason="Pomyłka").status_code == 303
    kind, text = verdict(code_of(gone_id))
    assert kind == "stop" and "Nie wpuszczać" in text
    assert f"Wizyta odwołana {day(0):%-d.%m}." in text
    assert "Skieruj interesanta do automatu po zwykły bilet." in text

    held_id, _ = book_online(
        web, smtp, "Henryk Niepotwierdzony", "henryk@example.org", at(3, 13), confirm=False
    )
    kind, text = verdict(code_of(held_id))
    assert kind == "stop" and "nie została potwierdzona kodem" in text

    now_id = book_by_phone(admin, "Dorota Dzisiejsza", "603 000 003", at(3, 14))
    web.move_visit("Dorota Dzisiejsza", datetime.now(TZ) + timedelta(minutes=20))
    kind, text = verdict(code_of(now_id))
    assert kind == "go" and "Można wpuścić" in text and "Potwierdzona wizyta dziś" in text
    web.move_visit("Dorota Dzisiejsza", datetime.now(TZ) - timedelta(minutes=40))
    kind, text = verdict(code_of(now_id))
    assert kind == "stop" and "Za późno" in text


def test_the_docket_shows_only_the_days_visits_of_that_point(admin: httpx.Client):
    names = ["Zofia Wiśniewska", "Halina Kamińska", "Irena Lewandowska"]
    for name, phone in zip(names, ("603 000 001", "603 000 002", "603 000 003"), strict=True):
        book_by_phone(admin, name, phone, at(5, 10))  # three desks take dowody at 10:00
    book_by_phone(admin, "Teresa Jutrzejsza", "603 000 004", at(6, 10))  # another day
    shown: dict[str, list[str]] = {}
    for point in ("s1", "s2", "s3"):
        r = admin.get("/staff/docket", params={"point": point, "day": day(5).isoformat()})
        assert r.status_code == 200 and "data-print" in r.text
        assert "Teresa" not in r.text
        assert all(full not in r.text for full in names)  # surnames never printed in full
        shown[point] = [n for n in ("Zofia W.", "Halina K.", "Irena L.") if n in r.text]
    assert sorted(n for found in shown.values() for n in found) == [
        "Halina K.",
        "Irena L.",
        "Zofia W.",
    ]
    assert all(len(v) == 1 for v in shown.values())


def test_password_reset_by_the_mailed_link(web: WebProcess, smtp: Smtp):
    email = "forgetful@um.example"
    old_session = signed_in(web, email)
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/password/forgot").text)
        known = client.post("/password/forgot", data={"email": email, "csrf_token": token})
        unknown = client.post(
            "/password/forgot", data={"email": "nobody@um.example", "csrf_token": token}
        )
        assert known.status_code == unknown.status_code == 200
        answer = re.compile(r'<p class="success" role="status">[^<]+</p>')
        assert answer.search(known.text).group(0) == answer.search(unknown.text).group(0)  # type: ignore[union-attr]

        mail = smtp.inbox.wait_for(email)[-1]
        link = re.search(r"http://\S+/password/reset/(\S+)", body_text(mail))
        assert link, body_text(mail)
        path = "/password/reset/" + link.group(1)
        form = client.get(path)
        assert form.status_code == 200
        r = client.post(
            path,
            data={
                "csrf_token": token,
                "password": "Nowe-haslo-2024",
                "password2": "Inne-haslo-2024",
            },
        )
        assert r.status_code == 400 and "Wpisane hasła się różnią." in r.text
        r = client.post(
            path,
            data={
                "csrf_token": token,
                "password": "Nowe-haslo-2024",
                "password2": "Nowe-haslo-2024",
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/password/done"
        done = client.get(r.headers["location"])
        assert "Nowe hasło jest ustawione" in done.text and 'name="password"' in done.text

        again = client.post(
            path,
            data={
                "csrf_token": token,
                "password": "Jeszcze-inne-1",
                "password2": "Jeszcze-inne-1",
            },
        )
        assert again.status_code == 400 and "wygasł lub został już użyty" in again.text

    stale = old_session.get("/staff/", follow_redirects=False)
    assert stale.status_code == 303  # the session from before the reset has ended
    old_session.close()
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/signin").text)
        old = client.post(
            "/signin", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert old.status_code == 400
    signed_in(web, email, "Nowe-haslo-2024").close()
    clock.sleep(0.3)
    assert smtp.inbox.to("nobody@um.example") == []


def test_forgot_password_is_rate_limited_per_address(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/password/forgot").text)
        codes = [
            client.post(
                "/password/forgot", data={"email": "flood@um.example", "csrf_token": token}
            ).status_code
            for _ in range(4)
        ]
    assert codes == [200, 200, 200, 429]


def test_no_page_of_the_register_shows_a_trace(admin: httpx.Client):
    for path in ("/staff/register/nope", "/staff/register?page=x", "/staff/docket?day=x"):
        r = admin.get(path)
        assert r.status_code in (200, 400, 404) and "Traceback" not in r.text, path
