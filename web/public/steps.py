"""The booking steps as plain data: which matter, place, day and hour the visitor has chosen
so far (from the query string, so Back works and every step can be bookmarked), where each
step's link goes, and the matters grouped by department. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from urllib.parse import urlencode

from web.catalog import Catalog, LocationInfo, ServiceInfo
from web.reservations.booking import TZ


def N_(text: str) -> str:
    """Marks a text for translation where it is defined; it is translated where it is shown."""
    return text


STEPS = (N_("Matter"), N_("Place"), N_("Date and time"), N_("Your details"), N_("Confirmation"))
OTHER = N_("Other matters")


@dataclass(frozen=True)
class Choice:
    """What the visitor has chosen so far; each field is None until its step is done."""

    service: ServiceInfo | None = None
    location: LocationInfo | None = None
    day: date | None = None
    time: time | None = None

    @property
    def start(self) -> datetime | None:
        if self.day is None or self.time is None:
            return None
        return datetime.combine(self.day, self.time, TZ)

    def params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.service:
            out["service"] = self.service.id
        if self.location:
            out["location"] = self.location.id
        if self.day:
            out["day"] = self.day.isoformat()
        if self.time:
            out["time"] = f"{self.time:%H:%M}"
        return out

    def url(self, path: str) -> str:
        query = urlencode(self.params())
        return f"{path}?{query}" if query else path

    def without(self, *names: str) -> Choice:
        return replace(self, **dict.fromkeys(names))


def parse_choice(params: Mapping[str, str], catalog: Catalog) -> Choice:
    """What the query (or form) says, keeping only what is valid and consistent: a location
    that does not offer the matter, or a malformed day, is dropped with everything after it."""
    service = catalog.services.get(params.get("service", ""))
    if service is None or service not in catalog.bookable_services():
        return Choice()
    locations = catalog.locations_for(service.id)
    location = next((loc for loc in locations if loc.id == params.get("location")), None)
    if location is None and len(locations) == 1:
        location = locations[0]  # the place step is skipped when there is nothing to choose
    if location is None:
        return Choice(service)
    try:
        day = date.fromisoformat(params.get("day", ""))
    except ValueError:
        return Choice(service, location)
    try:
        at = time.fromisoformat(params.get("time", ""))
    except ValueError:
        return Choice(service, location, day)
    return Choice(service, location, day, at.replace(second=0, microsecond=0))


def after_service(catalog: Catalog, service: ServiceInfo) -> str:
    """Step 1's link for a matter: straight to the day when only one place offers it."""
    choice = parse_choice({"service": service.id}, catalog)
    return choice.url("/book/day" if choice.location else "/book/place")


@dataclass(frozen=True)
class Group:
    department: str | None  # None: matters of no department
    services: list[ServiceInfo]


def grouped(catalog: Catalog, services: list[ServiceInfo], language: str) -> list[Group]:
    """Matters by department (departments by name, matters by their label), the rest last."""
    by_dept: dict[str | None, list[ServiceInfo]] = {}
    for s in services:
        dept = s.department if s.department in catalog.departments else None
        by_dept.setdefault(dept, []).append(s)
    named = sorted((d for d in by_dept if d is not None), key=lambda d: catalog.departments[d].name)
    groups = [
        Group(catalog.departments[d].name, sorted(by_dept[d], key=lambda s: s.label(language)))
        for d in named
    ]
    if None in by_dept:
        groups.append(Group(None, sorted(by_dept[None], key=lambda s: s.label(language))))
    return groups
