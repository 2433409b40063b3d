"""Staff scope against a real `okienko web`: a clerk or a receptionist sees and changes only
the visits of their own location, by every page and every way in (search, a visit's page by
id, its actions, moving it, the plan and its actions, reception's look-up, booking for a
caller); managers and administrators see all; the setting is per account and the register
says whose visits it shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing

import pytest

from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess, csrf_of
from tests.web.test_staff_register import PASSWORD, at, book_by_phone, signed_in
from web.reservations import store


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("staff-scope")
    site = tmp / "site.toml"
    site.write_text(site_toml(database=tmp / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    proc.add_staff("admin@um.example", "administrator", name="Ada Admin")
    proc.add_staff("boss@um.example", "manager", name="Marek Kierownik")
    proc.add_staff("here@um.example", "clerk", location="test-site", name="Ula Tutejsza")
    # Clerk and reception of another location (the site's office is not theirs).
    proc.add_staff("there@um.example", "clerk", location="inna-filia", name="Olga Obca")
    proc.add_staff("desk@um.example", "reception", location="inna-filia", name="Rita Obca")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def visit(web: WebProcess) -> tuple[str, str]:
    """A visit at the site's location: (reservation id, access code)."""
    with closing(signed_in(web, "admin@um.example")) as admin:
        rid = book_by_phone(admin, "Bożena Zakresowa", "601 000 111", at(3, 11))
    r = web.db(lambda engine: store.get(engine, reservation_id=rid))
    assert r is not None
    return rid, r.access_code


def test_another_locations_clerk_can_neither_see_nor_change_the_visit(
    web: WebProcess, visit: tuple[str, str]
):
    """The attack: a clerk of one office opens, by search or straight by id, the visits of
    another office (names, phone numbers) and cancels or moves them."""
    rid, code = visit
    with closing(signed_in(web, "there@um.example")) as there:
        listed = there.get("/staff/register")
        assert listed.status_code == 200 and "Zakresowa" not in listed.text
        assert "Tylko wizyty placówki" in listed.text
        assert there.get(f"/staff/register/{rid}").status_code == 404
        assert there.get(f"/staff/register/{rid}/reschedule").status_code == 404
        token = csrf_of(there.get("/staff/register").text)
        for action in ("cancel", "note", "check-in", "no-show"):
            r = there.post(
                f"/staff/register/{rid}/{action}",
                data={"csrf_token": token, "reason": "obcy", "note": "obcy"},
            )
            assert r.status_code == 404, action
        moved = there.post(
            f"/staff/register/{rid}/reschedule",
            data={"csrf_token": token, "start": at(4, 11).isoformat(), "day": "x"},
        )
        assert moved.status_code == 404
        acted = there.post(f"/staff/plan/{rid}/check-in", data={"csrf_token": token, "point": "s1"})
        assert acted.status_code == 404
        plan = there.get("/staff/plan", params={"point": "s1", "day": at(3, 11).date()})
        assert plan.status_code == 200 and "Zakresowa" not in plan.text
        booking = there.get("/staff/book", params={"service": "dowody"})
        assert 'value="test-site"' not in booking.text
    with closing(signed_in(web, "desk@um.example")) as desk:
        looked = desk.get("/staff/reception", params={"code": code})
        assert looked.status_code == 404 and "Zakresowa" not in looked.text
    with closing(signed_in(web, "admin@um.example")) as admin:
        shown = admin.get(f"/staff/register/{rid}")
        assert "Potwierdzona" in shown.text and "obcy" not in shown.text  # nothing happened


def test_own_locations_clerk_and_the_manager_see_it(web: WebProcess, visit: tuple[str, str]):
    rid, _ = visit
    with closing(signed_in(web, "here@um.example")) as here:
        listed = here.get("/staff/register")
        assert "Zakresowa" in listed.text and "Tylko wizyty placówki Urząd testowy" in listed.text
        assert here.get(f"/staff/register/{rid}").status_code == 200
    with closing(signed_in(web, "boss@um.example")) as boss:
        listed = boss.get("/staff/register")
        assert "Zakresowa" in listed.text and "Wizyty wszystkich placówek." in listed.text


def test_the_administrator_sets_whose_visits_an_account_sees(
    web: WebProcess, visit: tuple[str, str]
):
    rid, _ = visit
    with closing(signed_in(web, "admin@um.example")) as admin:
        people = admin.get("/admin/staff").text
        m = re.search(r'href="/admin/staff/(\d+)">Olga Obca<', people)
        assert m is not None
        form = admin.get(f"/admin/staff/{m.group(1)}").text
        r = admin.post(
            f"/admin/staff/{m.group(1)}",
            data={
                "csrf_token": csrf_of(form),
                "name": "Olga Obca",
                "role": "clerk",
                "location": "",
                "visits": "all",
                "active": "on",
            },
        )
        assert r.status_code == 303, r.text
        assert "wszystkich placówek" in admin.get("/admin/staff").text
    with closing(signed_in(web, "there@um.example", PASSWORD)) as there:
        assert there.get(f"/staff/register/{rid}").status_code == 200
