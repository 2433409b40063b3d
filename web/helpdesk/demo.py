"""A helpdesk for the demo: two services (IT support; an OHS training with its own "number of
people" field, a due date, publication later and repetition), one unit with its address, and
an administrator, a service staff member and a unit user with fresh passwords."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from web.helpdesk.accounts import Field, create_service, create_unit, create_user
from web.helpdesk.domain import Role
from web.helpdesk.remote_help import save_faq


async def populate_helpdesk(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    now = datetime.now(UTC)
    it = await create_service(
        engine, "Wsparcie IT", allow_due=True, allow_schedule=True, allow_repeat=True
    )
    ohs = await create_service(
        engine,
        "Szkolenie BHP",
        fields=[Field("people", "Liczba osób", number=True, required=True)],
        allow_due=True,
        allow_schedule=True,
        allow_repeat=True,
    )
    unit = await create_unit(
        engine, "Szkoła Podstawowa nr 5", ["ul. Leśna 5, Toruń"], [it, ohs], now
    )
    people = {
        "admin": ("helpdesk.admin@cum.example", "Administrator CUM", Role.ADMIN, None),
        "service": ("serwis@cum.example", "Marek Serwisant", Role.SERVICE, None),
        "unit": ("sekretariat@sp5.example", "Ola Sekretariat", Role.UNIT, unit),
    }
    out: dict[str, dict[str, Any]] = {}
    for key, (email, name, role, unit_id) in people.items():
        password = f"Demo-{secrets.token_urlsafe(9)}"
        await create_user(
            engine, email=email, name=name, role=role, now=now, unit_id=unit_id, password=password
        )
        out[key] = {"email": email, "password": password, "role": str(role), "name": name}
    await save_faq(engine, DEMO_FAQ, 0, now)
    return out


DEMO_FAQ = """## Komputer nie łączy się z Internetem – czy pomoc zdalna zadziała?
Nie. Pomoc zdalna wymaga działającej sieci. Zadzwoń do centrum usług i podaj numer zgłoszenia.

## Jak przygotować się do połączenia zdalnego?
- Utwórz zgłoszenie i zapisz jego numer.
- Pobierz i uruchom program do pomocy zdalnej.
- Zadzwoń do centrum usług i podaj numer zgłoszenia.

## Ktoś dzwoni i prosi o dostęp do mojego komputera. Co robić?
Rozłącz się. Dostęp dajemy tylko osobie, do której sami zadzwoniliśmy na numer centrum usług."""
