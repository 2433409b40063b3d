"""The administration forms as pure functions: raw form fields in, checked values or a
problem per field out. No database and no HTTP, so every rule is tested in milliseconds;
what the database knows (existing ids, durations) is passed in.

Problems keep their English msgid and are translated when shown (``str(problem)`` in the
request's language), so the same rule speaks Polish or English.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from itertools import pairwise

from web.auth.roles import Role, sees_all_locations_by_default
from web.i18n import gettext
from web.identity.passwords import password_problem
from web.reservations.booking import Offer, slots_of_day
from web.reservations.calendar import WEEKDAYS, Calendar, Span


def N_(msgid: str) -> str:
    """Marks a message for extraction; it is translated later, when shown."""
    return msgid


@dataclass(frozen=True)
class Problem:
    msgid: str
    args: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        text = gettext(self.msgid)
        return text % dict(self.args) if self.args else text


Errors = dict[str, Problem]
Form = Mapping[str, str]

ID_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TIME_RE = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)|24:00")
WEEKDAY_NAMES = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
# A Monday far from any public holiday question: the week used to test "gives a slot".
_SAMPLE_MONDAY = date(2024, 1, 1)


# -- field readers ---------------------------------------------------------------------------


def _text(form: Form, name: str) -> str:
    return str(form.get(name, "")).strip()


def _flag(form: Form, name: str) -> bool:
    return form.get(name) in ("on", "1", "true", "yes")


def _required(form: Form, name: str, errors: Errors, max_len: int, msgid: str) -> str:
    value = _text(form, name)
    if not value:
        errors[name] = Problem(msgid)
    elif len(value) > max_len:
        errors[name] = Problem(N_("At most %(n)s characters."), {"n": max_len})
    return value


def _optional(form: Form, name: str, errors: Errors, max_len: int) -> str:
    value = _text(form, name)
    if len(value) > max_len:
        errors[name] = Problem(N_("At most %(n)s characters."), {"n": max_len})
    return value


def _int(form: Form, name: str, errors: Errors, lo: int, hi: int, *, optional: bool = False) -> int:
    raw = _text(form, name)
    if not raw and optional:
        return 0
    try:
        value = int(raw)
    except ValueError:
        errors[name] = Problem(
            N_("Enter a whole number from %(lo)s to %(hi)s."), {"lo": lo, "hi": hi}
        )
        return 0
    if not lo <= value <= hi:
        errors[name] = Problem(
            N_("Enter a whole number from %(lo)s to %(hi)s."), {"lo": lo, "hi": hi}
        )
    return value


def _new_id(form: Form, errors: Errors, existing: Collection[str], *, new: bool) -> str:
    value = _text(form, "id")
    if not new:
        return value  # the id of a saved thing never changes: reservations refer to it
    if not ID_RE.fullmatch(value):
        errors["id"] = Problem(
            N_(
                "Use 1–40 lowercase letters (a–z), digits and hyphens, "
                "starting and ending with a letter or digit."
            )
        )
    elif value in existing:
        errors["id"] = Problem(N_("This identifier is already used."))
    return value


def _reference(
    form: Form, name: str, errors: Errors, known: Collection[str], *, required: bool, msgid: str
) -> str | None:
    value = _text(form, name)
    if not value:
        if required:
            errors[name] = Problem(msgid)
        return None
    if value not in known:
        errors[name] = Problem(N_("Choose one of the listed options."))
        return None
    return value


# -- hours -----------------------------------------------------------------------------------


class HoursError(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.msgid)
        self.problem = problem


def _clock(text: str, *, end: bool) -> time:
    if not TIME_RE.fullmatch(text):
        raise HoursError(Problem(N_("Write hours like 08:00-16:00; separate spans with commas.")))
    if text == "24:00":
        if not end:
            raise HoursError(Problem(N_("A span cannot start at 24:00.")))
        return time(23, 59)
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def parse_hours(text: str) -> tuple[Span, ...]:
    """ "08:00-12:00, 13:00-16:00" → sorted spans; HoursError for ill-formed, reversed or
    overlapping spans. "" → none (closed)."""
    spans = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        pieces = [p.strip() for p in part.split("-")]
        if len(pieces) != 2:
            raise HoursError(
                Problem(N_("Write hours like 08:00-16:00; separate spans with commas."))
            )
        start, end = _clock(pieces[0], end=False), _clock(pieces[1], end=True)
        if end <= start:
            raise HoursError(Problem(N_("%(span)s ends before it starts."), {"span": part}))
        spans.append(Span(start, end))
    spans.sort(key=lambda s: s.start)
    for a, b in pairwise(spans):
        if a.overlaps(b):
            raise HoursError(
                Problem(
                    N_("The spans %(a)s and %(b)s overlap."),
                    {"a": _span_text(a), "b": _span_text(b)},
                )
            )
    return tuple(spans)


def _span_text(span: Span) -> str:
    return f"{span.start:%H:%M}-{span.end:%H:%M}"


def _weekly(form: Form, prefix: str, errors: Errors) -> dict[str, tuple[Span, ...]]:
    weekly = {}
    for day in WEEKDAYS:
        name = f"{prefix}_{day}"
        try:
            spans = parse_hours(_text(form, name))
        except HoursError as exc:
            errors[name] = exc.problem
            continue
        if spans:
            weekly[day] = spans
    return weekly


def _check_breaks(
    hours: dict[str, tuple[Span, ...]], breaks: dict[str, tuple[Span, ...]], errors: Errors
) -> None:
    for day, pauses in breaks.items():
        name = f"breaks_{day}"
        if name in errors or f"hours_{day}" in errors:
            continue
        if day not in hours:
            errors[name] = Problem(N_("A break needs opening hours on the same day."))
            continue
        for pause in pauses:
            if not any(s.start <= pause.start and pause.end <= s.end for s in hours[day]):
                errors[name] = Problem(
                    N_("The break %(span)s is outside the opening hours."),
                    {"span": _span_text(pause)},
                )
                break


def gives_a_slot(calendar: Calendar, duration_min: int) -> bool:
    """Whether a week of this calendar has at least one slot of ``duration_min``."""
    offer = Offer(service="-", service_point="-", duration_min=duration_min)
    return any(slots_of_day(calendar, offer, _SAMPLE_MONDAY + timedelta(days=i)) for i in range(7))


# -- departments and locations ---------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentValues:
    id: str
    name: str


def parse_department(
    form: Form, *, existing: Collection[str], new: bool
) -> tuple[DepartmentValues | None, Errors]:
    errors: Errors = {}
    ident = _new_id(form, errors, existing, new=new)
    name = _required(form, "name", errors, 200, N_("Enter the department's name."))
    return (None if errors else DepartmentValues(ident, name)), errors


@dataclass(frozen=True)
class LocationValues:
    id: str
    name: str
    address: str
    building_limit: int | None


def parse_location(
    form: Form, *, existing: Collection[str], new: bool
) -> tuple[LocationValues | None, Errors]:
    errors: Errors = {}
    ident = _new_id(form, errors, existing, new=new)
    name = _required(form, "name", errors, 200, N_("Enter the location's name."))
    address = _optional(form, "address", errors, 300)
    limit = _int(form, "building_limit", errors, 1, 10000, optional=True)
    values = LocationValues(ident, name, address, limit or None)
    return (None if errors else values), errors


# -- services --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceValues:
    id: str
    department_id: str | None
    name: str
    name_en: str | None
    name_uk: str | None
    description: str
    duration_min: int
    horizon_days: int
    notice_min: int
    hold_min: int
    active: bool
    keywords: str = ""


def parse_service(
    form: Form, *, existing: Collection[str], departments: Collection[str], new: bool
) -> tuple[ServiceValues | None, Errors]:
    errors: Errors = {}
    ident = _new_id(form, errors, existing, new=new)
    department = _reference(
        form, "department", errors, departments, required=True, msgid=N_("Choose a department.")
    )
    name = _required(form, "name", errors, 200, N_("Enter the service's name in Polish."))
    name_en = _optional(form, "name_en", errors, 200)
    name_uk = _optional(form, "name_uk", errors, 200)
    description = _optional(form, "description", errors, 2000)
    values = ServiceValues(
        id=ident,
        department_id=department,
        name=name,
        name_en=name_en or None,
        name_uk=name_uk or None,
        description=description,
        duration_min=_int(form, "duration_min", errors, 5, 480),
        horizon_days=_int(form, "horizon_days", errors, 1, 365),
        notice_min=_int(form, "notice_min", errors, 0, 10080),
        hold_min=_int(form, "hold_min", errors, 1, 1440),
        active=_flag(form, "active"),
        keywords=", ".join(
            k.strip() for k in _optional(form, "keywords", errors, 1000).split(",") if k.strip()
        ),
    )
    return (None if errors else values), errors


# -- service points --------------------------------------------------------------------------


@dataclass(frozen=True)
class PointValues:
    id: str
    location_id: str
    name: str
    room: str
    hours: dict[str, tuple[Span, ...]]
    breaks: dict[str, tuple[Span, ...]]
    public_holidays: bool
    active: bool
    capacity: dict[str, int]  # service id -> visitors per slot


def parse_point(
    form: Form,
    *,
    existing: Collection[str],
    locations: Collection[str],
    durations: Mapping[str, int],
    new: bool,
) -> tuple[PointValues | None, Errors]:
    """``durations``: every service's slot length, by id (the services one may tick)."""
    errors: Errors = {}
    ident = _new_id(form, errors, existing, new=new)
    location = _reference(
        form, "location", errors, locations, required=True, msgid=N_("Choose a location.")
    )
    name = _required(form, "name", errors, 200, N_("Enter the service point's name."))
    room = _optional(form, "room", errors, 100)
    hours = _weekly(form, "hours", errors)
    breaks = _weekly(form, "breaks", errors)
    _check_breaks(hours, breaks, errors)
    capacity: dict[str, int] = {}
    for service in durations:
        if _flag(form, f"svc_{service}"):
            capacity[service] = _int(form, f"cap_{service}", errors, 1, 100)
    for key in form:
        if key.startswith("svc_") and key[4:] not in durations and _flag(form, key):
            errors["services"] = Problem(N_("Choose one of the listed options."))
    active = _flag(form, "active")
    if not any(k.startswith(("hours_", "breaks_")) for k in errors):
        calendar = Calendar(weekly=hours, breaks=breaks, public_holidays=False)
        if capacity and not hours:
            errors["hours_mon"] = Problem(N_("Give opening hours on at least one day."))
        else:
            short = [s for s in capacity if not gives_a_slot(calendar, durations[s])]
            if short:
                errors["services"] = Problem(
                    N_(
                        "These hours give no slot long enough for: %(services)s. "
                        "Lengthen the hours or shorten the service's duration."
                    ),
                    {"services": ", ".join(short)},
                )
    values = PointValues(
        ident,
        location or "",
        name,
        room,
        hours,
        breaks,
        _flag(form, "public_holidays"),
        active,
        capacity,
    )
    return (None if errors else values), errors


def point_form(
    *,
    id: str,
    location_id: str,
    name: str,
    room: str,
    hours: Mapping[str, tuple[Span, ...]],
    breaks: Mapping[str, tuple[Span, ...]],
    public_holidays: bool,
    active: bool,
    capacity: Mapping[str, int],
) -> dict[str, str]:
    """A saved service point as the form's fields (the inverse of ``parse_point``)."""
    data = {"id": id, "location": location_id, "name": name, "room": room}
    for day in WEEKDAYS:
        data[f"hours_{day}"] = ", ".join(_span_text(s) for s in hours.get(day, ()))
        data[f"breaks_{day}"] = ", ".join(_span_text(s) for s in breaks.get(day, ()))
    if public_holidays:
        data["public_holidays"] = "on"
    if active:
        data["active"] = "on"
    for service, cap in capacity.items():
        data[f"svc_{service}"] = "on"
        data[f"cap_{service}"] = str(cap)
    return data


def hours_text(spans: tuple[Span, ...]) -> str:
    return ", ".join(_span_text(s).replace("23:59", "24:00") for s in spans)


# -- calendar exceptions ---------------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionValues:
    day: date
    spans: tuple[Span, ...]  # () = closed all day
    reason: str

    @property
    def spans_text(self) -> str:
        return ",".join(_span_text(s) for s in self.spans)


def parse_exception(
    form: Form, *, taken_days: Collection[date], today: date
) -> tuple[ExceptionValues | None, Errors]:
    errors: Errors = {}
    day = today
    try:
        day = date.fromisoformat(_text(form, "day"))
    except ValueError:
        errors["day"] = Problem(N_("Enter a date like 2026-11-25."))
    else:
        if day < today:
            errors["day"] = Problem(N_("Choose today or a later day."))
        elif day > today + timedelta(days=730):
            errors["day"] = Problem(N_("Choose a day within two years."))
        elif day in taken_days:
            errors["day"] = Problem(
                N_("This day already has an exception; delete it first to change it.")
            )
    spans: tuple[Span, ...] = ()
    kind = _text(form, "kind")
    if kind == "hours":
        try:
            spans = parse_hours(_text(form, "spans"))
        except HoursError as exc:
            errors["spans"] = exc.problem
        else:
            if not spans:
                errors["spans"] = Problem(N_("Give the hours of that day, or choose closed."))
    elif kind != "closed":
        errors["kind"] = Problem(N_("Choose closed or other hours."))
    reason = _optional(form, "reason", errors, 200)
    return (None if errors else ExceptionValues(day, spans, reason)), errors


# -- staff accounts --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewStaff:
    email: str
    name: str
    role: str
    password: str
    location_id: str | None
    service_point_id: str | None
    all_locations: bool


@dataclass(frozen=True)
class StaffChange:
    name: str
    role: str
    location_id: str | None
    service_point_id: str | None
    all_locations: bool
    active: bool


VISITS = ("location", "all")


def _visits(form: Form, errors: Errors, role: str) -> bool:
    """Whether the account sees every location's visits: as chosen, else the role's default.
    (Only its location's without a location is none: the register says so to its user.)"""
    chosen = _text(form, "visits")
    if chosen and chosen not in VISITS:
        errors["visits"] = Problem(N_("Choose from the list."))
        return False
    return chosen == "all" if chosen else sees_all_locations_by_default(role)


def _placement(
    form: Form, errors: Errors, locations: Collection[str], points: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """(location, service point); ``points`` maps each service point to its location, and a
    point chosen without a location brings its own."""
    location = _reference(form, "location", errors, locations, required=False, msgid="")
    point = _reference(form, "service_point", errors, points, required=False, msgid="")
    if point and location and points[point] != location:
        errors["service_point"] = Problem(N_("This service point is in another location."))
    if point and not location and "location" not in errors:
        location = points[point]
    return location, point


def _role(form: Form, errors: Errors) -> str:
    role = _text(form, "role")
    if role not in set(Role):
        errors["role"] = Problem(N_("Choose a role."))
    return role


def parse_new_staff(
    form: Form, *, emails: Collection[str], locations: Collection[str], points: Mapping[str, str]
) -> tuple[NewStaff | None, Errors]:
    errors: Errors = {}
    email = _text(form, "email").lower()
    if not EMAIL_RE.fullmatch(email) or len(email) > 200:
        errors["email"] = Problem(N_("Enter a valid e-mail address."))
    elif email in {e.lower() for e in emails}:
        errors["email"] = Problem(N_("An account with this e-mail already exists."))
    name = _required(form, "name", errors, 200, N_("Enter the name."))
    role = _role(form, errors)
    password = str(form.get("password", ""))
    if problem := password_problem(password):
        errors["password"] = Problem(problem)
    location, point = _placement(form, errors, locations, points)
    everywhere = _visits(form, errors, role)
    values = NewStaff(email, name, role, password, location, point, everywhere)
    return (None if errors else values), errors


def parse_staff_change(
    form: Form, *, locations: Collection[str], points: Mapping[str, str]
) -> tuple[StaffChange | None, Errors]:
    errors: Errors = {}
    name = _required(form, "name", errors, 200, N_("Enter the name."))
    role = _role(form, errors)
    location, point = _placement(form, errors, locations, points)
    everywhere = _visits(form, errors, role)
    values = StaffChange(name, role, location, point, everywhere, _flag(form, "active"))
    return (None if errors else values), errors
