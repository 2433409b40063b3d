"""The register's read API for an EZD system (GET /api/v1/register/visits): one location's
visits of one day, with a staff API token (web/staff/api_tokens.py) in the Authorization
header. Read only; what it gives is what the register page shows a clerk of that location,
less the access code and the manage link (capabilities) and the visitor's contact."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from web.apierrors import ApiModel, error, field_errors, invalid, reply, too_many, unauthorized
from web.catalog import get_catalog
from web.ratelimit import shared
from web.reservations.store import ticket_label
from web.staff import api_tokens
from web.staff.queries import PLAN_STATUSES, day_of_location

# Per token: an EZD system polls a few locations a few times a minute, not hundreds.
PER_TOKEN = 120
WINDOW_S = 60


class RegisterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: str = Field(max_length=40, description="location id")
    day: date = Field(description="a day in Europe/Warsaw, YYYY-MM-DD")


class RegisterVisit(ApiModel):
    id: str = Field(description="the reservation's id (stable, for the EZD record)")
    number: str = Field(description="the visit's number that day, e.g. R007")
    start: datetime
    end: datetime
    service: str = Field(description="service id")
    service_name: str
    service_point: str = Field(description="service point id")
    service_point_name: str
    status: str = Field(description="pending, confirmed, cancelled, checked_in, no_show")
    kind: str = Field(description="online, phone (booked by staff for a caller), desk")
    name: str = Field(description="the visitor's name as given")


class RegisterDay(ApiModel):
    location: str
    day: date
    visits: list[RegisterVisit]


async def visits(request: Request) -> JSONResponse:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    engine = request.app.state.engine
    holder = (
        await api_tokens.holder(engine, token.strip())
        if scheme.lower() == "bearer" and token
        else None
    )
    if holder is None:
        return unauthorized("a valid staff API token is required")
    limit = shared(request.app.state, "register_api", PER_TOKEN, WINDOW_S)
    if not await limit.allow(f"register:{holder.name}"):
        return too_many(WINDOW_S)
    try:
        query = RegisterQuery.model_validate(dict(request.query_params))
    except ValidationError as exc:
        return invalid(field_errors(exc))
    if holder.location is not None and holder.location != query.location:
        return error(403, "forbidden", f"this token reads location {holder.location!r} only")
    catalog = await get_catalog(request.app)
    if query.location not in catalog.locations:
        return error(404, "not_found", f"no location {query.location!r}")
    rows = await day_of_location(engine, query.location, query.day, PLAN_STATUSES)
    found = []
    for r in rows:
        service = catalog.services.get(r.service)
        point = catalog.points.get(r.service_point)
        found.append(
            RegisterVisit(
                id=r.id,
                number=ticket_label(r.number),
                start=r.start,
                end=r.start + timedelta(minutes=service.duration_min if service else 15),
                service=r.service,
                service_name=service.name if service else r.service,
                service_point=r.service_point,
                service_point_name=point.name if point else r.service_point,
                status=r.status,
                kind=r.kind,
                name=r.name,
            )
        )
    day = RegisterDay(location=query.location, day=query.day, visits=found)
    return reply(day, Cache_Control="no-store")
