"""The administration's reads and writes of the catalog and staff tables (SQLAlchemy Core).

Every write is one transaction. A thing that reservations refer to is only deactivated:
``InUse`` says why a delete was refused, ``Duplicate`` that an id was taken meanwhile.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from web.admin.forms import (
    N_,
    DepartmentValues,
    ExceptionValues,
    LocationValues,
    PointValues,
    ServiceValues,
    StaffChange,
)
from web.catalog import weekly_to_json
from web.db import models as m
from web.identity import accounts, reset_links, sessions
from web.identity.accounts import with_account


def _t(model: type[m.Base]) -> Table:
    return cast(Table, model.__table__)


DEPARTMENTS = _t(m.Department)
LOCATIONS = _t(m.Location)
SERVICES = _t(m.Service)
POINTS = _t(m.ServicePoint)
OFFERS = _t(m.ServicePointService)
EXCEPTIONS = _t(m.CalendarException)
STAFF = _t(m.Staff)
RESERVATIONS = _t(m.Reservation)


class Duplicate(Exception):
    """The id was taken by someone else between the form's check and the write."""


class InUse(Exception):
    """Deleting would orphan what refers to the thing; the msgid says what to do instead."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


async def _save(
    conn: AsyncConnection, table: Table, values: dict[str, object], *, new: bool
) -> None:
    if new:
        try:
            async with conn.begin_nested():
                await conn.execute(table.insert().values(**values))
        except IntegrityError:
            raise Duplicate(str(values["id"])) from None
    else:
        key = values.pop("id")
        await conn.execute(table.update().where(table.c.id == key).values(**values))


async def ids(engine: AsyncEngine, table: Table) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.scalars(select(table.c.id))).all())


# -- departments, locations, services --------------------------------------------------------


async def save_department(engine: AsyncEngine, values: DepartmentValues, *, new: bool) -> None:
    async with engine.begin() as conn:
        await _save(conn, DEPARTMENTS, asdict(values), new=new)


async def delete_department(engine: AsyncEngine, ident: str) -> None:
    async with engine.begin() as conn:
        used = await conn.scalar(
            select(func.count()).select_from(SERVICES).where(SERVICES.c.department_id == ident)
        )
        if used:
            raise InUse(N_("Services belong to this department: move them to another one first."))
        await conn.execute(delete(DEPARTMENTS).where(DEPARTMENTS.c.id == ident))


async def save_location(engine: AsyncEngine, values: LocationValues, *, new: bool) -> None:
    async with engine.begin() as conn:
        await _save(conn, LOCATIONS, asdict(values), new=new)


async def delete_location(engine: AsyncEngine, ident: str) -> None:
    async with engine.begin() as conn:
        used = await conn.scalar(
            select(func.count()).select_from(POINTS).where(POINTS.c.location_id == ident)
        )
        if used:
            raise InUse(N_("Service points are in this location: delete or move them first."))
        await conn.execute(delete(LOCATIONS).where(LOCATIONS.c.id == ident))


async def save_service(engine: AsyncEngine, values: ServiceValues, *, new: bool) -> None:
    async with engine.begin() as conn:
        await _save(conn, SERVICES, asdict(values), new=new)


async def delete_service(engine: AsyncEngine, ident: str) -> None:
    async with engine.begin() as conn:
        if await _reserved(conn, RESERVATIONS.c.service == ident):
            raise InUse(N_("Reservations refer to this service: deactivate it instead."))
        await conn.execute(delete(OFFERS).where(OFFERS.c.service_id == ident))
        await conn.execute(delete(SERVICES).where(SERVICES.c.id == ident))


async def _reserved(conn: AsyncConnection, condition: object) -> bool:
    n = await conn.scalar(select(func.count()).select_from(RESERVATIONS).where(condition))  # type: ignore[arg-type]
    return bool(n)


# -- service points and their calendars ------------------------------------------------------


async def save_point(engine: AsyncEngine, values: PointValues, *, new: bool) -> None:
    """The point and the services it takes, in one transaction (a half-saved point would
    offer slots nobody meant)."""
    row = {
        "id": values.id,
        "location_id": values.location_id,
        "name": values.name,
        "room": values.room,
        "hours": weekly_to_json(values.hours),
        "breaks": weekly_to_json(values.breaks),
        "public_holidays": values.public_holidays,
        "active": values.active,
    }
    async with engine.begin() as conn:
        await _save(conn, POINTS, row, new=new)
        await conn.execute(delete(OFFERS).where(OFFERS.c.service_point_id == values.id))
        for service, capacity in values.capacity.items():
            await conn.execute(
                OFFERS.insert().values(
                    service_point_id=values.id, service_id=service, capacity=capacity
                )
            )


async def delete_point(engine: AsyncEngine, ident: str) -> None:
    async with engine.begin() as conn:
        if await _reserved(conn, RESERVATIONS.c.service_point == ident):
            raise InUse(N_("Reservations refer to this service point: deactivate it instead."))
        await conn.execute(delete(OFFERS).where(OFFERS.c.service_point_id == ident))
        await conn.execute(delete(EXCEPTIONS).where(EXCEPTIONS.c.service_point_id == ident))
        await conn.execute(delete(POINTS).where(POINTS.c.id == ident))


@dataclass(frozen=True)
class ExceptionRow:
    id: int
    day: date
    spans: str
    reason: str


async def exceptions(engine: AsyncEngine, point: str, since: date) -> list[ExceptionRow]:
    """The point's exceptions from ``since`` on (past ones are history, not shown)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(EXCEPTIONS)
            .where((EXCEPTIONS.c.service_point_id == point) & (EXCEPTIONS.c.day >= since))
            .order_by(EXCEPTIONS.c.day)
        )
        return [ExceptionRow(r.id, r.day, r.spans, r.reason) for r in rows]


async def exception_days(engine: AsyncEngine, point: str) -> set[date]:
    async with engine.connect() as conn:
        days = await conn.scalars(
            select(EXCEPTIONS.c.day).where(EXCEPTIONS.c.service_point_id == point)
        )
        return set(days.all())


async def add_exception(engine: AsyncEngine, point: str, values: ExceptionValues) -> None:
    async with engine.begin() as conn:
        try:
            async with conn.begin_nested():
                await conn.execute(
                    EXCEPTIONS.insert().values(
                        service_point_id=point,
                        day=values.day,
                        spans=values.spans_text,
                        reason=values.reason,
                    )
                )
        except IntegrityError:
            raise Duplicate(str(values.day)) from None


async def delete_exception(engine: AsyncEngine, point: str, exception_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            delete(EXCEPTIONS).where(
                (EXCEPTIONS.c.id == exception_id) & (EXCEPTIONS.c.service_point_id == point)
            )
        )


# -- staff accounts --------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    id: int
    email: str
    name: str
    role: str
    location_id: str | None
    service_point_id: str | None
    active: bool
    all_locations: bool
    # The directory's user name of an account from the directory (its role is the directory's).
    directory_name: str | None = None


async def staff_list(engine: AsyncEngine) -> list[StaffRow]:
    async with engine.connect() as conn:
        query = with_account(STAFF).order_by(STAFF.c.active.desc(), STAFF.c.name)
        rows = await conn.execute(query)
        return [_staff(r) for r in rows]


async def staff_one(engine: AsyncEngine, staff_id: int) -> StaffRow | None:
    async with engine.connect() as conn:
        row = (await conn.execute(with_account(STAFF).where(STAFF.c.id == staff_id))).first()
        return _staff(row) if row else None


def _staff(r: object) -> StaffRow:
    return StaffRow(
        r.id,  # type: ignore[attr-defined]
        r.email,  # type: ignore[attr-defined]
        r.name,  # type: ignore[attr-defined]
        r.role,  # type: ignore[attr-defined]
        r.location_id,  # type: ignore[attr-defined]
        r.service_point_id,  # type: ignore[attr-defined]
        bool(r.active),  # type: ignore[attr-defined]
        bool(r.all_locations),  # type: ignore[attr-defined]
        r.directory_name,  # type: ignore[attr-defined]
    )


async def change_staff(engine: AsyncEngine, staff_id: int, change: StaffChange) -> None:
    """Deactivating the staff role ends its sessions at once; the name is the account's (every
    part shows the new one)."""
    async with engine.begin() as conn:
        was_active = await conn.scalar(select(STAFF.c.active).where(STAFF.c.id == staff_id))
        account_id = await accounts.account_of(conn, STAFF, staff_id)
        values: dict[str, object] = asdict(change)
        if was_active and not change.active:
            await sessions.end_all(conn, sessions.STAFF, staff_id)
            # …and the password links mailed before: a deactivated role takes none.
            if account_id is not None:
                await reset_links.end(conn, account_id)
        if account_id is not None:
            await accounts.set_person(conn, account_id, name=values.pop("name"))
        await conn.execute(update(STAFF).where(STAFF.c.id == staff_id).values(**values))


async def active_admins(engine: AsyncEngine) -> set[int]:
    async with engine.connect() as conn:
        found = await conn.scalars(
            select(STAFF.c.id).where((STAFF.c.role == "administrator") & STAFF.c.active)
        )
        return set(found.all())


async def reservation_counts(engine: AsyncEngine, column: str) -> dict[str, int]:
    """Reservations per service (``column="service"``) or per service point."""
    col = RESERVATIONS.c[column]
    async with engine.connect() as conn:
        rows = await conn.execute(select(col, func.count()).group_by(col))
        return {r[0]: r[1] for r in rows}
