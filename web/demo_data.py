"""The demo's realistic catalog and staff, on top of what ``import_site`` makes of the site
file: descriptions for visitors, the limit of visitors in the building at once, a branch office
with its own service points (a lunch break, a training day), and one account of each staff
role with a fresh random password."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config import Site
from web.admin import forms, store
from web.auth.accounts import create_staff
from web.auth.roles import Role
from web.reservations.calendar import Span

DESCRIPTIONS = {
    "dowody": "Wniosek o dowód osobisty i jego odbiór. Zabierz aktualne zdjęcie (35×45 mm) "
    "i dotychczasowy dowód; dziecko do 5 lat nie musi przychodzić.",
    "meldunki": "Zameldowanie i wymeldowanie na pobyt stały lub czasowy. Zabierz dowód "
    "osobisty oraz tytuł prawny do lokalu (np. umowę najmu).",
    "rejestracja": "Rejestracja pojazdu sprowadzonego z kraju lub z zagranicy, czasowa "
    "rejestracja, wymiana dowodu rejestracyjnego. Zabierz dowód własności i kartę pojazdu.",
    "prawa-jazdy": "Wydanie i wymiana prawa jazdy, profil kandydata na kierowcę (PKK). "
    "Zabierz zdjęcie i orzeczenie lekarskie.",
    "dzialalnosc": "Wpis, zmiana lub zawieszenie działalności gospodarczej w CEIDG; pomoc "
    "przy wypełnieniu wniosku.",
    "kasa": "Wpłaty opłat skarbowych i administracyjnych gotówką lub kartą.",
}

# Words visitors type that the names do not hold (word forms and diacritics need none).
KEYWORDS = {
    "dowody": "e-dowód, dowód tymczasowy, utrata dowodu, zdjęcie",
    "meldunki": "zameldowanie, wymeldowanie, adres, pobyt stały, pobyt czasowy",
    "rejestracja": "samochód, auto, motocykl, przyczepa, tablice rejestracyjne, "
    "dowód rejestracyjny, przerejestrowanie",
    "prawa-jazdy": "kierowca, PKK, egzamin, międzynarodowe prawo jazdy",
    "dzialalnosc": "firma, przedsiębiorca, jednoosobowa działalność",
    "kasa": "opłata skarbowa, płatność, wpłata",
}

BRANCH = "torun-filia"
BRANCH_POINTS = (
    ("f1", "Stanowisko 1 (filia)", "pokój 3, parter"),
    ("f2", "Stanowisko 2 (filia)", "pokój 4, parter"),
)
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
STAFF = (
    ("admin", Role.ADMINISTRATOR, "Anna Administratorka"),
    ("manager", Role.MANAGER, "Marek Kierownik"),
    ("clerk", Role.CLERK, "Ewa Urzędniczka"),
    ("reception", Role.RECEPTION, "Robert Recepcja"),
)


def _spans(text: str) -> tuple[Span, ...]:
    return forms.parse_hours(text)


async def enrich_catalog(engine: AsyncEngine, site: Site, today: date) -> None:
    """Descriptions, the building limit, and a branch office open on weekdays with a lunch
    break and a training day next week; the site's own counters stay as imported."""
    ids = [s.id for s in site.services]
    async with engine.begin() as conn:
        for service, text in DESCRIPTIONS.items():
            if service in ids:
                await conn.execute(
                    update(store.SERVICES)
                    .where(store.SERVICES.c.id == service)
                    .values(description=text, keywords=KEYWORDS.get(service, ""))
                )
        await conn.execute(
            update(store.LOCATIONS)
            .where(store.LOCATIONS.c.id == site.id)
            .values(building_limit=site.building_limit or 120)
        )
    await store.save_location(
        engine,
        forms.LocationValues(
            BRANCH, "Urząd Miasta – Filia Rubinkowo", "ul. Rubinkowska 5, 87-100 Toruń", 30
        ),
        new=True,
    )
    hours = {d: _spans("08:00-17:00" if d == "tue" else "08:00-16:00") for d in WORKDAYS}
    lunch = dict.fromkeys(WORKDAYS, _spans("12:00-12:30"))
    for (point, name, room), services in zip(BRANCH_POINTS, (ids[:2], ids[-1:]), strict=False):
        await store.save_point(
            engine,
            forms.PointValues(
                point, BRANCH, name, room, hours, lunch, True, True, dict.fromkeys(services, 1)
            ),
            new=True,
        )
    training = today + timedelta(days=7)
    await store.add_exception(
        engine, BRANCH_POINTS[0][0], forms.ExceptionValues(training, (), "Szkolenie pracowników")
    )


def _password() -> str:
    # Letters and digits both, as the password rule asks; new every run.
    return f"{secrets.token_urlsafe(10)}-{secrets.randbelow(90) + 10}"


async def create_demo_staff(engine: AsyncEngine, site: Site) -> dict[str, dict[str, Any]]:
    """One account per role; the clerk works at the site's first counter."""
    point = site.counters[0].id if site.counters else None
    accounts: dict[str, dict[str, Any]] = {}
    for key, role, name in STAFF:
        email = f"{key}@urzad.example"
        password = _password()
        await create_staff(
            engine,
            email=email,
            name=name,
            role=role,
            password=password,
            location_id=None if role in (Role.ADMINISTRATOR, Role.MANAGER) else site.id,
            service_point_id=point if role == Role.CLERK else None,
        )
        accounts[key] = {"email": email, "password": password, "role": str(role), "name": name}
    return accounts


async def populate(engine: AsyncEngine, site: Site, today: date) -> dict[str, dict[str, Any]]:
    await enrich_catalog(engine, site, today)
    return await create_demo_staff(engine, site)
