"""The booking API: hold a slot (JSON). The public pages and the staff's "book for a caller"
use the same rules and the same atomic store."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from web.catalog import get_catalog
from web.reservations import flow, store
from web.reservations.booking import BookingError, SlotFull


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(max_length=40)
    location: str | None = Field(None, max_length=40, description="default: any location")
    start: datetime
    name: str = Field(min_length=2, max_length=120)
    contact: str = Field(min_length=5, max_length=120, description="mobile number or e-mail")


async def hold(request: Request) -> JSONResponse:
    client = request.client.host if request.client else "?"
    if not request.app.state.booking_limit.allow(f"ip:{client}"):
        return JSONResponse(
            {"error": "too_many_requests"}, status_code=429, headers={"Retry-After": "60"}
        )
    try:
        body = HoldRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        return JSONResponse({"error": "invalid", "fields": fields}, status_code=422)
    catalog = await get_catalog(request.app)
    service = catalog.services.get(body.service)
    if service is None or not service.active or not catalog.points_for(body.service):
        return JSONResponse(
            {"error": "invalid", "fields": {"service": "unknown service"}}, status_code=422
        )
    if body.location is not None and not catalog.points_for(body.service, body.location):
        return JSONResponse(
            {"error": "invalid", "fields": {"location": "not offered here"}}, status_code=422
        )
    if body.start.tzinfo is None:
        return JSONResponse(
            {"error": "invalid", "fields": {"start": "give a time zone"}}, status_code=422
        )
    try:
        reservation = await flow.hold_with_code(
            request.app,
            catalog,
            service=body.service,
            location=body.location,
            start=body.start,
            name=body.name,
            contact=body.contact,
            now=datetime.now(UTC),
        )
    except flow.ContactLimited:
        return JSONResponse(
            {"error": "too_many_requests"}, status_code=429, headers={"Retry-After": "600"}
        )
    except SlotFull:
        return JSONResponse({"error": "slot_full"}, status_code=409)
    except flow.CodeNotSent:
        return JSONResponse({"error": "cannot_send_code"}, status_code=502)
    except BookingError as exc:
        return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=422)
    return JSONResponse(
        {
            "id": reservation.id,
            "status": reservation.status,
            "hold_until": reservation.hold_until.isoformat() if reservation.hold_until else None,
        },
        status_code=201,
    )


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[0-9]{6}$")


async def confirm(request: Request) -> JSONResponse:
    client = request.client.host if request.client else "?"
    if not request.app.state.confirm_limit.allow(f"confirm:{client}"):
        return JSONResponse(
            {"error": "too_many_requests"}, status_code=429, headers={"Retry-After": "60"}
        )
    try:
        body = ConfirmRequest.model_validate_json(await request.body())
    except ValidationError:
        return JSONResponse({"error": "invalid", "fields": {"code": "six digits"}}, status_code=422)
    rid = request.path_params["id"]
    try:
        r = await store.confirm_with_code(
            request.app.state.engine, rid, body.code, datetime.now(UTC)
        )
    except store.WrongCode as exc:
        return JSONResponse(
            {"error": exc.code, "attempts_left": exc.attempts_left}, status_code=400
        )
    except store.TooManyAttempts as exc:
        return JSONResponse({"error": exc.code}, status_code=429)
    except store.HoldExpired as exc:
        return JSONResponse({"error": exc.code}, status_code=410)
    except store.NotFound as exc:
        return JSONResponse({"error": exc.code}, status_code=404)
    except BookingError as exc:
        return JSONResponse({"error": exc.code}, status_code=409)
    return JSONResponse(
        {"status": r.status, "access_code": r.access_code, "start": r.start.isoformat()}
    )
