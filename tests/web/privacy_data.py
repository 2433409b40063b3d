"""One person (Jan Kowalski, jan.kowalski@example.pl, +48 600 100 200) in every part of the
cloud, written the many ways people write a number, beside a stranger who must be left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Reservation, ReservationEvent, SigninEvent, TicketAlert
from web.faults import store as faults
from web.faults import tables as ft
from web.faults.domain import Channel
from web.helpdesk import accounts
from web.helpdesk import store as helpdesk
from web.helpdesk.domain import Actor, Role

EMAIL = "jan.kowalski@example.pl"
PHONE = "+48600100200"
NAME = "Jan Kowalski"
OTHER_EMAIL = "ewa.nowak@example.pl"
OTHER_PHONE = "+48600999888"
NOW = datetime.now(UTC).replace(microsecond=0)
R = cast(Table, Reservation.__table__)
RE = cast(Table, ReservationEvent.__table__)


def _reservation(rid: str, code: str, name: str, contact: str, extra: str = "") -> dict[str, Any]:
    return {
        "id": rid,
        "access_code": code,
        "service_point": "p1",
        "service": "dowod",
        "start": NOW + timedelta(days=3),
        "status": "confirmed",
        "name": name,
        "contact": contact,
        "contact_extra": extra,
        "created_at": NOW,
        "kind": "online",
        "location": "test-site",
        "number": 7,
    }


async def seed(engine: AsyncEngine) -> dict[str, int]:
    async with engine.begin() as conn:
        await conn.execute(
            R.insert(),
            [
                _reservation("res-jan-1", "JANK2345", NAME, PHONE, EMAIL),
                _reservation("res-jan-2", "JANK2346", NAME, "48600100200"),
                _reservation("res-ewa", "EWAN2345", "Ewa Nowak", OTHER_EMAIL),
            ],
        )
        await conn.execute(
            RE.insert(),
            [
                {
                    "reservation_id": "res-jan-1",
                    "at": NOW,
                    "actor": "visitor",
                    "action": "created",
                    "detail": "",
                },
                {
                    "reservation_id": "res-jan-1",
                    "at": NOW,
                    "actor": "ewa@um.example",
                    "action": "note",
                    "detail": "Jan Kowalski prosi o telefon: 600-100-200",
                },
                {
                    "reservation_id": "res-ewa",
                    "at": NOW,
                    "actor": "ewa@um.example",
                    "action": "note",
                    "detail": "Przyjdzie mąż (tel. 600 100 200, jan.kowalski@example.pl)",
                },
            ],
        )
        await conn.execute(
            cast(Table, TicketAlert.__table__).insert(),
            [
                {"token": "t1", "contact": PHONE, "ahead": 3, "created_at": NOW},
                {"token": "t2", "contact": OTHER_PHONE, "ahead": 3, "created_at": NOW},
            ],
        )
        await conn.execute(
            cast(Table, SigninEvent.__table__).insert(),
            [
                {
                    "at": NOW,
                    "realm": "helpdesk",
                    "email": EMAIL,
                    "outcome": "signed_in",
                    "source": "10.0.0.7",
                },
                {
                    "at": NOW,
                    "realm": "staff",
                    "email": OTHER_EMAIL,
                    "outcome": "failed",
                    "source": "10.0.0.8",
                },
            ],
        )
    # The helpdesk: Jan is a unit's employee; Ewa mentions his number in her request.
    service = await accounts.create_service(engine, "IT")
    unit = await accounts.create_unit(engine, "Szkoła nr 3", ["ul. Prosta 3"], [service], NOW)
    from web.helpdesk import tables as ht

    async with engine.connect() as conn:
        address = await conn.scalar(select(ht.addresses.c.id).where(ht.addresses.c.unit_id == unit))
    jan, _ = await accounts.create_user(
        engine, email=EMAIL, name=NAME, role=Role.UNIT, unit_id=unit, phone="600 100 200", now=NOW
    )
    ewa, _ = await accounts.create_user(
        engine, email=OTHER_EMAIL, name="Ewa Nowak", role=Role.UNIT, unit_id=unit, now=NOW
    )
    jan_actor, ewa_actor = Actor(jan, Role.UNIT, unit), Actor(ewa, Role.UNIT, unit)
    jan_request = await helpdesk.file_request(
        engine, jan_actor, helpdesk.Filing(unit, address, service, "Drukarka nie działa."), NOW
    )
    ewa_request = await helpdesk.file_request(
        engine,
        ewa_actor,
        helpdesk.Filing(unit, address, service, "Komputer p. Jana, tel. +48 600 100 200, wolny."),
        NOW,
    )
    await helpdesk.add_message(engine, jan_actor, jan_request.id, "Jestem w pokoju 12.", NOW)
    await helpdesk.add_message(engine, ewa_actor, ewa_request.id, "Dziękuję.", NOW)
    # Fault reports: one with Jan's contact, one by a stranger naming his e-mail in the text.
    async with engine.connect() as conn:
        sub = await conn.scalar(select(ft.subcategories.c.id).order_by(ft.subcategories.c.id))
    assert sub is not None
    jan_fault, _ = await faults.file_report(
        engine,
        faults.Draft(
            sub,
            "Dziura w jezdni przed domem.",
            Channel.WEB,
            address="ul. Długa 5",
            reply_wanted=True,
            name=NAME,
            email=EMAIL.upper(),
            phone="0048 600 100 200",
        ),
        NOW,
    )
    other_fault, _ = await faults.file_report(
        engine,
        faults.Draft(
            sub,
            f"Sąsiad ({EMAIL}) też to widział.",
            Channel.WEB,
            address="ul. Krótka 1",
            reply_wanted=True,
            name="Ewa Nowak",
            email=OTHER_EMAIL,
        ),
        NOW,
    )
    return {
        "jan_request": jan_request.id,
        "ewa_request": ewa_request.id,
        "jan_fault": jan_fault,
        "other_fault": other_fault,
        "jan_account": jan,
        "ewa_account": ewa,
    }
