"""Closing a service point for a day, or giving it other hours, with visits booked then
(seed 003: the administrator's calendars, the register's "Rezerwacja zgodna z terminarzem"):
the visits are listed before anything is saved; they are moved or cancelled with a message to
each visitor, or left, and then flagged in the register, the plan and the visitor's page.

Over real HTTP against `okienko web` with a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.header import decode_header, make_header
from email.message import Message

import httpx
import pytest
from sqlalchemy import select

from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess, body_text, csrf_of
from tests.web.test_staff_register import book_by_phone, signed_in
from web.reservations.booking import TZ
from web.reservations.store import R


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("closing")
    site = tmp / "site.toml"
    site.write_text(site_toml(database=tmp / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    proc.add_staff("admin@um.example", "administrator", name="Ada Admin")
    proc.add_staff(
        "clerk@um.example", "clerk", location="test-site", service_point="s1", name="Karol Klerk"
    )
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def admin(web: WebProcess) -> Iterator[httpx.Client]:
    client = signed_in(web, "admin@um.example")
    yield client
    client.close()


def day(offset: int) -> date:
    return datetime.now(TZ).date() + timedelta(days=offset)


def at(offset: int, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day(offset), time(hh, mm), TZ)


def visit(web: WebProcess, rid: str) -> dict[str, object]:
    async def work(engine):  # type: ignore[no-untyped-def]
        async with engine.connect() as conn:
            row = (await conn.execute(select(R).where(R.c.id == rid))).one()
            return dict(row._mapping)

    return web.db(work)


def add_exception(admin: httpx.Client, point: str, **fields: str) -> httpx.Response:
    token = csrf_of(admin.get(f"/admin/points/{point}").text)
    return admin.post(f"/admin/points/{point}/exceptions", data={"csrf_token": token, **fields})


def confirm_choice(
    admin: httpx.Client, point: str, preview: httpx.Response, how: str
) -> httpx.Response:
    """Send the preview page's own form back with ``how`` chosen."""
    html = preview.text.split(f'action="/admin/points/{point}/exceptions"', 1)[1]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return admin.post(f"/admin/points/{point}/exceptions", data={**fields, "how": how})


def subject(mail: Message) -> str:
    return str(make_header(decode_header(str(mail["Subject"]))))


def book(admin: httpx.Client, name: str, start: datetime) -> str:
    return book_by_phone(admin, name, f"{name.split()[0].lower()}@example.org", start)


def test_closing_a_day_lists_its_visits_first_then_moves_them_with_a_message(
    web: WebProcess, smtp: Smtp, admin: httpx.Client
):
    first = book(admin, "Anna Zamknięta", at(3, 10))
    second = book(admin, "Bogdan Zamknięty", at(3, 11))
    point = str(visit(web, first)["service_point"])
    assert visit(web, second)["service_point"] == point
    preview = add_exception(admin, point, day=day(3).isoformat(), kind="closed", reason="Awaria")
    # Nothing saved yet: the visits it affects are listed, with what can be done about them.
    assert preview.status_code == 200, preview.status_code
    assert "Anna Zamknięta" in preview.text and "Bogdan Zamknięty" in preview.text
    assert "Przenieść każdą na najbliższy wolny termin" in preview.text
    assert (
        day(3).isoformat()
        not in admin.get(f"/admin/points/{point}")
        .text.split('id="exceptions-title"', 1)[1]
        .split("</table>", 1)[0]
    )
    done = confirm_choice(admin, point, preview, "move")
    assert done.status_code == 303
    after = admin.get(done.headers["location"]).text
    assert "przeniesione 2, odwołane 0, pozostawione bez zmian 0" in after
    for rid, hour in ((first, 10), (second, 11)):
        moved = visit(web, rid)
        # The same hour at another desk of the location, which is open that day.
        assert moved["service_point"] != point and moved["status"] == "confirmed"
        start = moved["start"]
        assert isinstance(start, datetime)  # stored in UTC (naive on SQLite)
        assert start.replace(tzinfo=start.tzinfo or UTC).astimezone(TZ).hour == hour
    for address in ("anna@example.org", "bogdan@example.org"):
        mail = smtp.inbox.wait_for(address, count=2)[-1]  # after the booking's confirmation
        assert "została przeniesiona" in subject(mail)


def test_cancelling_the_visits_of_a_closed_day_tells_each_visitor(
    web: WebProcess, smtp: Smtp, admin: httpx.Client
):
    rid = book(admin, "Cezary Odwołany", at(4, 9))
    point = str(visit(web, rid)["service_point"])
    preview = add_exception(admin, point, day=day(4).isoformat(), kind="closed")
    assert "Cezary Odwołany" in preview.text
    assert confirm_choice(admin, point, preview, "cancel").status_code == 303
    assert visit(web, rid)["status"] == "cancelled"
    mail = smtp.inbox.wait_for("cezary@example.org", count=2)[-1]
    assert "odwołał" in subject(mail)
    assert "Punkt obsługi jest wtedy nieczynny" in body_text(mail)


def test_visits_left_outside_new_hours_are_flagged_and_found_by_the_register_filter(
    web: WebProcess, smtp: Smtp, admin: httpx.Client
):
    inside = book(admin, "Dorota Mieszcząca", at(5, 9))
    outside = book(admin, "Edward Poza", at(5, 13))
    point = str(visit(web, outside)["service_point"])
    preview = add_exception(
        admin, point, day=day(5).isoformat(), kind="hours", spans="08:00-10:00", reason="Szkolenie"
    )
    # Only the visit the shorter hours leave out is listed.
    assert "Edward Poza" in preview.text and "Dorota Mieszcząca" not in preview.text
    assert confirm_choice(admin, point, preview, "keep").status_code == 303
    assert visit(web, outside)["status"] == "confirmed"

    def register(fits: str) -> str:
        query = {"from": day(5).isoformat(), "to": day(5).isoformat(), "fits": fits}
        page = admin.get("/staff/register", params=query)
        assert page.status_code == 200
        return page.text

    not_fitting, fitting = register("no"), register("yes")
    assert "Edward Poza" in not_fitting and "Dorota Mieszcząca" not in not_fitting
    assert "Dorota Mieszcząca" in fitting and "Edward Poza" not in fitting
    assert "Rezerwacja zgodna z terminarzem" in fitting
    assert "Poza terminarzem" in not_fitting and "Poza terminarzem" not in fitting
    detail = admin.get(f"/staff/register/{outside}").text
    assert "nie jest już zgodna z terminarzem" in detail
    plan = admin.get("/staff/plan", params={"point": point, "day": day(5).isoformat()}).text
    edward = plan.split("Edward Poza", 1)[0].rsplit("<li", 1)[1]
    dorota = plan.split("Dorota Mieszcząca", 1)[0].rsplit("<li", 1)[1]
    assert "off-schedule" in edward and "off-schedule" not in dorota
    token = visit(web, outside)["manage_token"]
    page = httpx.get(f"{web.url}/visit/{token}").text
    assert "Urząd zmienił godziny pracy" in page
    fine = httpx.get(f"{web.url}/visit/{visit(web, inside)['manage_token']}").text
    assert "Urząd zmienił godziny pracy" not in fine
    assert admin.get("/staff/register", params={"fits": "maybe"}).status_code == 400
    # The service point's page counts what is left, for as long as it is left.
    point_page = admin.get(f"/admin/points/{point}").text
    assert "1 nadchodząca wizyta nie jest już zgodna z terminarzem" in point_page
