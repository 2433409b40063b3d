"""Seed 003's "zestawienia związane z planowaniem i obsługą wizyt": the upcoming visits by
day, service, service point and status, and the visits kept and missed over a period, on the
page, as CSV (headers in the page's language) and as XLSX.

Over real HTTP against `okienko web`, with visits booked, cancelled, kept and missed through
the staff pages."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from openpyxl import load_workbook

from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp, WebProcess
from tests.web.test_staff_register import at, book_by_phone, day, post_action, signed_in
from web.reservations.booking import TZ


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("visit-reports")
    site = tmp / "site.toml"
    site.write_text(site_toml(database=tmp / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    proc.add_staff("manager@um.example", "manager", name="Maria Kierownik")
    proc.add_staff("clerk@um.example", "clerk", location="test-site", name="Karol Klerk")
    yield proc
    proc.stop()


def table(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_planning_and_outcome_of_visits_on_screen_csv_and_xlsx(web: WebProcess):
    manager = signed_in(web, "manager@um.example")
    book_by_phone(manager, "Adam Plan", "adam@example.org", at(1, 10))
    book_by_phone(manager, "Beata Plan", "beata@example.org", at(1, 11))
    gone = book_by_phone(manager, "Cyryl Plan", "cyryl@example.org", at(1, 12))
    assert post_action(manager, gone, "cancel", reason="Rezygnacja").status_code == 303
    book_by_phone(manager, "Dagmara Plan", "dagmara@example.org", at(2, 9), service="meldunki")
    # Visits of the last hour: one came, one was marked as not kept, one never came.
    came = book_by_phone(manager, "Edyta Była", "edyta@example.org", at(3, 10))
    absent = book_by_phone(manager, "Feliks Nieobecny", "feliks@example.org", at(3, 11))
    book_by_phone(manager, "Gustaw Zapomniał", "gustaw@example.org", at(3, 12))
    past = datetime.now(TZ) - timedelta(minutes=40)
    for name in ("Edyta Była", "Feliks Nieobecny", "Gustaw Zapomniał"):
        web.move_visit(name, past)
    assert post_action(manager, came, "check-in").status_code == 303
    assert post_action(manager, absent, "no-show").status_code == 303

    query = {
        "plan_from": day(1).isoformat(),
        "plan_to": day(2).isoformat(),
        "from": (past.date() - timedelta(days=1)).isoformat(),
        "to": day(0).isoformat(),
    }
    page = manager.get("/staff/reports/visits", params=query)
    assert page.status_code == 200
    assert "Wizyty: planowanie i realizacja" in page.text
    assert "Zrealizowane: 1, niezrealizowane: 2, odwołane: 0." in page.text

    plan = table(manager.get("/staff/reports/visits-plan.csv", params=query))
    header = plan[0]
    assert header[:3] == ["Dzień", "Sprawa", "Punkt obsługi"]
    assert {"Potwierdzona", "Odwołana", "Oczekiwani interesanci", "Poza terminarzem"} <= set(header)
    col = {name: i for i, name in enumerate(header)}
    rows = {(r[0], r[1]): r for r in plan[1:]}
    # The two desks may share a day's visits; the counts per day and service add up.
    dowody = [r for (d, s), r in rows.items() if d == day(1).isoformat() and s == "Dowody osobiste"]
    assert sum(int(r[col["Potwierdzona"]]) for r in dowody) == 2
    assert sum(int(r[col["Odwołana"]]) for r in dowody) == 1
    assert sum(int(r[col["Oczekiwani interesanci"]]) for r in dowody) == 2
    meldunki = rows[(day(2).isoformat(), "Sprawy meldunkowe")]
    assert int(meldunki[col["Potwierdzona"]]) == 1
    assert all(d in (day(1).isoformat(), day(2).isoformat()) for d, _ in rows)

    outcome = table(manager.get("/staff/reports/visits-outcome.csv", params=query))
    assert outcome[0] == [
        "Dzień",
        "Sprawa",
        "Zrealizowane",
        "Niezrealizowane",
        "Odwołane",
        "Zrealizowane (%)",
    ]
    assert outcome[1:] == [[past.date().isoformat(), "Dowody osobiste", "1", "2", "0", "33.3"]]

    english = table(
        manager.get("/staff/reports/visits-outcome.csv", params={**query, "lang": "en"})
    )
    assert english[0][:3] == ["Day", "Service", "Kept"]
    # The queue statistics' export speaks the page's language too.
    assert table(manager.get("/staff/reports.csv", params={"lang": "pl"}))[0][:2] == [
        "Wymiar",
        "Klucz",
    ]

    book = load_workbook(
        io.BytesIO(manager.get("/staff/reports/visits.xlsx", params=query).content)
    )
    assert book.sheetnames == ["plan", "outcome"]
    assert book["outcome"]["C2"].value == 1 and book["outcome"]["D2"].value == 2
    assert book["plan"]["A1"].value == "Dzień"

    clerk = signed_in(web, "clerk@um.example")
    assert clerk.get("/staff/reports/visits").status_code == 403
