"""The administration over real HTTP against `okienko web`: a new department, location,
service and service point are bookable at once through the booking API; a closed day has no
slots; only administrators get in; a deactivated account is signed out at once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import httpx
import pytest

from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.reservations.booking import TZ

PASSWORD = "Haslo-testowe-1"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    smtp = Smtp.start()
    proc = WebProcess.start(tmp_path_factory.mktemp("admin"), smtp_port=smtp.port)
    proc.add_staff("admin@um.example", "administrator")
    proc.add_staff("clerk@um.example", "clerk")
    proc.add_staff("manager@um.example", "manager")
    yield proc
    proc.stop()
    smtp.stop()


@contextmanager
def signed_in(web: WebProcess, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url) as client:
        yield _sign_in(client, email)


def _sign_in(client: httpx.Client, email: str) -> httpx.Client:
    token = csrf_of(client.get("/signin").text)
    r = client.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_of(client.get("/admin/").text)
    return client.post(path, data={**data, "csrf_token": token})


def field_errors(html: str) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', html)


def book(web: WebProcess, service: str, start: datetime) -> httpx.Response:
    return httpx.post(
        f"{web.url}/api/v1/reservations",
        content=json.dumps(
            {
                "service": service,
                "start": start.isoformat(),
                "name": "Jan Kowalski",
                "contact": "jan@example.org",
                "terms": True,
                "privacy": True,
            }
        ),
        headers={"Content-Type": "application/json"},
    )


def test_a_new_service_point_is_bookable_at_once_and_a_closed_day_is_not(web: WebProcess):
    tomorrow = datetime.now(TZ).date() + timedelta(days=1)
    later = tomorrow + timedelta(days=1)
    every_day = {
        f"hours_{d}": "08:00-12:00, 13:00-16:00"
        for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    with signed_in(web, "admin@um.example") as admin:
        r = post(admin, "/admin/departments/new", {"id": "wk", "name": "Wydział Komunikacji"})
        assert r.status_code == 303
        r = post(
            admin,
            "/admin/locations/new",
            {"id": "um-b", "name": "Urząd – budynek B", "building_limit": "50"},
        )
        assert r.status_code == 303
        service = {
            "id": "tablice",
            "department": "wk",
            "name": "Tablice rejestracyjne",
            "name_en": "Number plates",
            "name_uk": "Номерні знаки",
            "duration_min": "20",
            "horizon_days": "14",
            "notice_min": "0",
            "hold_min": "15",
            "active": "on",
        }
        assert post(admin, "/admin/services/new", service).status_code == 303
        # An ill-formed form keeps what was typed and says what is wrong, in Polish.
        bad = {
            "id": "b1",
            "location": "um-b",
            "name": "Stanowisko B1",
            "room": "pokój 101",
            "active": "on",
            "public_holidays": "",
            "svc_tablice": "on",
            "cap_tablice": "2",
            **every_day,
            "hours_mon": "08:00-12:00, 11:00-13:00",
        }
        r = post(admin, "/admin/points/new", bad)
        assert r.status_code == 400
        assert "Przedziały 08:00-12:00 i 11:00-13:00 nachodzą na siebie." in field_errors(r.text)
        assert 'value="pokój 101"' in r.text and 'value="08:00-12:00, 11:00-13:00"' in r.text
        r = post(admin, "/admin/points/new", {**bad, "hours_mon": "08:00-12:00, 13:00-16:00"})
        assert r.status_code == 303 and r.headers["location"] == "/admin/points/b1"
        page = admin.get("/admin/points/b1").text
        assert "Zapisano." in page and "Najbliższe 14 dni" in page
        # The Ukrainian name is kept in the service's form and shown on the Ukrainian pages.
        assert 'value="Номерні знаки"' in admin.get("/admin/services/tablice").text
        assert "Номерні знаки" in admin.get("/?lang=uk").text
        assert "Номерні знаки" not in admin.get("/?lang=pl").text

        # Bookable at once: 08:00 tomorrow, 12:20 is in the lunch gap.
        r = book(
            web, "tablice", datetime.combine(tomorrow, datetime.min.time(), TZ).replace(hour=8)
        )
        assert r.status_code == 201, r.text
        r = book(
            web,
            "tablice",
            datetime.combine(tomorrow, datetime.min.time(), TZ).replace(hour=12, minute=20),
        )
        assert r.status_code == 422 and r.json()["error"] == "not_a_slot"

        # An exception closing the day after tomorrow takes its slots away.
        r = post(
            admin,
            "/admin/points/b1/exceptions",
            {"day": later.isoformat(), "kind": "closed", "reason": "Inwentaryzacja"},
        )
        assert r.status_code == 303
        page = admin.get("/admin/points/b1").text
        assert "Inwentaryzacja" in page and "Dodano wyjątek." in page
        r = book(web, "tablice", datetime.combine(later, datetime.min.time(), TZ).replace(hour=9))
        assert r.status_code == 422 and r.json()["error"] == "not_a_slot"
        # The same day twice is refused beside the field, not by a database error.
        r = post(admin, "/admin/points/b1/exceptions", {"day": later.isoformat(), "kind": "closed"})
        assert r.status_code == 400 and "Ten dzień ma już wyjątek" in r.text

        # Reservations refer to the point now: it can only be deactivated.
        r = post(admin, "/admin/points/b1/delete", {})
        assert r.status_code == 303
        assert "zamiast usuwać, dezaktywuj" in admin.get("/admin/points/b1").text
        # The deactivated service no longer takes bookings.
        r = post(admin, "/admin/services/tablice", {**service, "active": ""})
        assert r.status_code == 303
        r = book(
            web, "tablice", datetime.combine(tomorrow, datetime.min.time(), TZ).replace(hour=9)
        )
        assert r.status_code == 422


def test_duplicates_and_unknown_references_are_refused_beside_the_field(web: WebProcess):
    with signed_in(web, "admin@um.example") as admin:
        post(
            admin,
            "/admin/departments/new",
            {"id": "wsa", "name": "Wydział Spraw Administracyjnych"},
        )
        r = post(admin, "/admin/departments/new", {"id": "wsa", "name": "Inny"})
        assert r.status_code == 400 and "Ten identyfikator jest już zajęty." in field_errors(r.text)
        r = post(
            admin,
            "/admin/services/new",
            {
                "id": "x",
                "department": "nope",
                "name": "X",
                "duration_min": "15",
                "horizon_days": "30",
                "notice_min": "0",
                "hold_min": "5",
            },
        )
        assert r.status_code == 400 and "Wybierz jedną z podanych możliwości." in field_errors(
            r.text
        )
        r = admin.get("/admin/services/does-not-exist")
        assert r.status_code == 404


def test_only_administrators_get_in(web: WebProcess):
    for email in ("clerk@um.example", "manager@um.example"):
        with signed_in(web, email) as client:
            assert client.get("/admin/").status_code == 403
            assert client.get("/admin/staff").status_code == 403
    r = httpx.get(f"{web.url}/admin/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_a_deactivated_account_is_signed_out_at_once(web: WebProcess):
    with signed_in(web, "admin@um.example") as admin:
        r = post(
            admin,
            "/admin/staff/new",
            {
                "email": "rec@um.example",
                "name": "Róża Recepcja",
                "role": "reception",
                "password": PASSWORD,
            },
        )
        assert r.status_code == 303
        person = re.search(
            r'href="/admin/staff/(\d+)">Róża Recepcja', admin.get("/admin/staff").text
        )
        assert person
        with signed_in(web, "rec@um.example") as rec:
            assert rec.get("/staff/", follow_redirects=False).status_code == 200
            r = post(
                admin,
                f"/admin/staff/{person.group(1)}",
                {"name": "Róża Recepcja", "role": "reception"},
            )
            assert r.status_code == 303
            r = rec.get("/staff/", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/signin")
        # and may not sign in again
        client = httpx.Client(base_url=web.url)
        token = csrf_of(client.get("/signin").text)
        r = client.post(
            "/signin",
            data={"email": "rec@um.example", "password": PASSWORD, "csrf_token": token},
        )
        assert r.status_code == 400
        # An administrator cannot lock themselves out.
        me = re.search(r'href="/admin/staff/(\d+)">Admin<', admin.get("/admin/staff").text)
        assert me
        r = post(admin, f"/admin/staff/{me.group(1)}", {"name": "Admin", "role": "administrator"})
        assert r.status_code == 400 and "Nie możesz dezaktywować własnego konta." in r.text


def test_a_form_without_csrf_is_refused(web: WebProcess):
    with signed_in(web, "admin@um.example") as admin:
        r = admin.post("/admin/departments/new", data={"id": "zz", "name": "Bez tokenu"})
        assert r.status_code == 403
        assert "zz" not in admin.get("/admin/departments").text
