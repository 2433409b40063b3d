"""The administration forms' rules, without HTTP or a database: ids, ranges, hours, breaks,
references, duplicates, and a service point whose hours give no slot."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from web.admin import forms
from web.admin.preview import next_days
from web.reservations.calendar import Calendar, DatedHours, Span

TODAY = date(2026, 11, 2)  # a Monday; 11 November (Independence Day) is in the next 14 days


def point_form(**fields: str) -> dict[str, str]:
    base = {
        "id": "s9",
        "location": "um",
        "name": "Stanowisko 9",
        "active": "on",
        "public_holidays": "on",
        "hours_mon": "08:00-16:00",
        "svc_dowody": "on",
        "cap_dowody": "2",
    }
    return {**base, **fields}


def parse_point(form: dict[str, str], *, new: bool = True):  # type: ignore[no-untyped-def]
    return forms.parse_point(
        form, existing={"s1"}, locations={"um"}, durations={"dowody": 15, "slub": 120}, new=new
    )


def test_a_good_service_point_gives_its_hours_and_capacity():
    values, errors = parse_point(
        point_form(hours_tue="8:00-12:00, 13:00-17:00", breaks_mon="12:00-12:30")
    )
    assert errors == {}
    assert values is not None and values.capacity == {"dowody": 2}
    assert values.hours["tue"] == (Span(time(8), time(12)), Span(time(13), time(17)))
    assert values.breaks == {"mon": (Span(time(12), time(12, 30)),)}
    assert values.public_holidays and values.active


@pytest.mark.parametrize(
    ("fields", "field", "polish"),
    [
        ({"hours_mon": "8-16"}, "hours_mon", "Wpisz godziny jak 08:00-16:00"),
        ({"hours_mon": "16:00-08:00"}, "hours_mon", "kończy się przed rozpoczęciem"),
        ({"hours_mon": "08:00-12:00, 11:00-14:00"}, "hours_mon", "nachodzą na siebie"),
        ({"hours_wed": "25:00-26:00"}, "hours_wed", "Wpisz godziny"),
        ({"breaks_tue": "12:00-12:30"}, "breaks_tue", "wymaga godzin otwarcia"),
        ({"breaks_mon": "17:00-17:30"}, "breaks_mon", "poza godzinami otwarcia"),
        ({"cap_dowody": "0"}, "cap_dowody", "od 1 do 100"),
        ({"cap_dowody": "dwa"}, "cap_dowody", "liczbę całkowitą"),
        ({"location": "nowhere"}, "location", "Wybierz jedną z podanych"),
        ({"location": ""}, "location", "Wybierz lokalizację"),
        ({"id": "S 1"}, "id", "małych liter"),
        ({"id": "s1"}, "id", "już zajęty"),
        ({"name": ""}, "name", "Wpisz nazwę punktu obsługi"),
        ({"svc_unknown": "on"}, "services", "Wybierz jedną z podanych"),
        ({"hours_mon": ""}, "hours_mon", "przynajmniej w jednym dniu"),
    ],
)
def test_a_bad_service_point_is_refused_with_a_polish_reason(
    fields: dict[str, str], field: str, polish: str
):
    values, errors = parse_point(point_form(**fields))
    assert values is None
    assert polish in str(errors[field]), errors


def test_hours_that_give_no_slot_for_a_long_service_are_refused():
    values, errors = parse_point(point_form(svc_slub="on", cap_slub="1", hours_mon="08:00-09:00"))
    assert values is None
    assert "nie mieści się żaden termin dla: slub" in str(errors["services"])
    # a lunch break that leaves no two-hour piece does the same
    _, errors = parse_point(
        point_form(svc_slub="on", cap_slub="1", hours_mon="08:00-11:00", breaks_mon="09:00-09:30")
    )
    assert "slub" in str(errors["services"])


def test_the_id_of_a_saved_point_is_not_checked_again():
    values, errors = parse_point(point_form(id="s1"), new=False)
    assert errors == {} and values is not None and values.id == "s1"


def test_a_point_round_trips_through_its_form():
    values, _ = parse_point(point_form(hours_tue="08:00-24:00", breaks_mon="12:00-12:30"))
    assert values is not None
    data = forms.point_form(
        id=values.id,
        location_id=values.location_id,
        name=values.name,
        room=values.room,
        hours=values.hours,
        breaks=values.breaks,
        public_holidays=values.public_holidays,
        active=values.active,
        capacity=values.capacity,
    )
    again, errors = parse_point(data, new=False)
    assert errors == {} and again == values


def test_service_ranges_and_references():
    good = {
        "id": "dowody",
        "department": "wsa",
        "name": "Dowody osobiste",
        "duration_min": "15",
        "horizon_days": "30",
        "notice_min": "60",
        "hold_min": "15",
        "active": "on",
    }
    values, errors = forms.parse_service(good, existing=set(), departments={"wsa"}, new=True)
    assert errors == {} and values is not None and values.name_en is None and values.active
    bad = {**good, "duration_min": "2", "horizon_days": "400", "hold_min": "", "department": "x"}
    values, errors = forms.parse_service(bad, existing={"dowody"}, departments={"wsa"}, new=True)
    assert values is None
    assert set(errors) == {"id", "department", "duration_min", "horizon_days", "hold_min"}
    assert str(errors["duration_min"]) == "Wpisz liczbę całkowitą od 5 do 480."


def test_location_limit_is_optional_but_positive():
    values, errors = forms.parse_location(
        {"id": "um", "name": "Urząd", "building_limit": ""}, existing=set(), new=True
    )
    assert errors == {} and values is not None and values.building_limit is None
    _, errors = forms.parse_location(
        {"id": "um", "name": "Urząd", "building_limit": "-3"}, existing=set(), new=True
    )
    assert "building_limit" in errors


def test_department_needs_a_name_and_a_free_id():
    values, errors = forms.parse_department({"id": "wsa", "name": " "}, existing={"wsa"}, new=True)
    assert values is None and set(errors) == {"id", "name"}


def test_an_exception_is_a_closed_day_or_other_hours_from_today_on():
    closed, errors = forms.parse_exception(
        {"day": "2026-11-10", "kind": "closed", "reason": "Szkolenie"},
        taken_days=set(),
        today=TODAY,
    )
    assert errors == {} and closed is not None and closed.spans == () and closed.spans_text == ""
    other, errors = forms.parse_exception(
        {"day": "2026-11-07", "kind": "hours", "spans": "09:00-13:00"},
        taken_days=set(),
        today=TODAY,
    )
    assert other is not None and other.spans_text == "09:00-13:00"
    for form, field in [
        ({"day": "2026-11-01", "kind": "closed"}, "day"),
        ({"day": "jutro", "kind": "closed"}, "day"),
        ({"day": "2026-11-10", "kind": "closed"}, "day"),  # already has one
        ({"day": "2026-11-12", "kind": "hours", "spans": ""}, "spans"),
        ({"day": "2026-11-12", "kind": "hours", "spans": "13:00-09:00"}, "spans"),
        ({"day": "2026-11-12", "kind": ""}, "kind"),
    ]:
        values, errors = forms.parse_exception(form, taken_days={date(2026, 11, 10)}, today=TODAY)
        assert values is None and field in errors, (form, errors)


def test_new_staff_needs_a_valid_unique_email_a_role_and_a_strong_password():
    points = {"s1": "um", "f1": "filia"}
    good = {
        "email": "Ewa@Urzad.example",
        "name": "Ewa",
        "role": "clerk",
        "password": "dobre-haslo-7",
        "service_point": "s1",
    }
    values, errors = forms.parse_new_staff(
        good, emails={"adam@urzad.example"}, locations={"um", "filia"}, points=points
    )
    assert errors == {} and values is not None
    assert values.email == "ewa@urzad.example" and values.location_id == "um"  # from the point
    bad = {**good, "email": "adam@urzad.example", "role": "boss", "password": "krotkie"}
    bad["location"] = "filia"  # the point is elsewhere
    values, errors = forms.parse_new_staff(
        bad, emails={"ADAM@urzad.example"}, locations={"um", "filia"}, points=points
    )
    assert values is None
    assert set(errors) == {"email", "role", "password", "service_point"}
    assert str(errors["password"]) == "Hasło musi mieć co najmniej 10 znaków."


def test_staff_change_reads_the_active_box():
    change, errors = forms.parse_staff_change(
        {"name": "Ewa", "role": "manager"}, locations={"um"}, points={}
    )
    assert errors == {} and change is not None and change.active is False


def test_the_preview_names_holidays_and_exceptions():
    calendar = Calendar(
        weekly={d: (Span(time(8), time(16)),) for d in ("mon", "tue", "wed", "thu", "fri")},
        breaks={"mon": (Span(time(12), time(12, 30)),)},
        exceptions=(DatedHours(TODAY + timedelta(days=3), (), "Szkolenie"),),
    )
    days = next_days(calendar, TODAY)
    assert len(days) == 14 and days[0].day == TODAY
    assert [forms.hours_text(s) for s in [days[0].spans]] == ["08:00-12:00, 12:30-16:00"]
    assert days[3].exception == "Szkolenie" and not days[3].open
    independence = next(d for d in days if d.day == date(2026, 11, 11))
    assert independence.holiday and "Niepodległości" in independence.holiday
    assert not independence.open
    assert not days[5].open and days[5].holiday is None  # a Saturday
