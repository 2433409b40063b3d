"""The booking API: hold a slot (JSON). The public pages and the staff's "book for a caller"
use the same rules and the same atomic store; the visitor's details are checked by the same
function as the public form's (forms.check_details), so a contact means the same everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from web.catalog import get_catalog
from web.public import forms
from web.reservations import flow, store
from web.reservations.booking import BookingError, SlotFull

CONTACT_LIMITED = "Too many codes were sent to this contact. Try again in an hour."


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(max_length=40)
    location: str | None = Field(None, max_length=40, description="default: any location")
    start: datetime
    name: str = Field(max_length=200)
    contact: str = Field(
        max_length=200, description="mobile number (+48 when none given) or e-mail; the code"
    )
    contact_extra: str = Field(
        "", max_length=200, description="the other kind, to be told both by SMS and e-mail"
    )
    terms: bool = Field(False, description="the visitor accepts the booking terms (/terms)")
    privacy: bool = Field(False, description="the visitor has read the data notice (/privacy)")
    language: Literal["pl", "en", "uk"] = Field(
        "pl", description="of the code, reminder and notices"
    )


def _details(data: object) -> tuple[forms.Details | None, dict[str, str]]:
    """The form's own checks on the JSON as sent: the same messages, the phone normalised to
    E.164; run even when other fields are wrong, so every field is answered at once."""
    given = data if isinstance(data, dict) else {}

    def text(key: str) -> str:
        value = given.get(key)
        return value if isinstance(value, str) else ""

    return forms.check_details(
        {
            "name": text("name"),
            "contact": text("contact"),
            "contact_extra": text("contact_extra"),
            "terms": "yes" if given.get("terms") is True else "",
            "privacy": "yes" if given.get("privacy") is True else "",
        }
    )


async def hold(request: Request) -> JSONResponse:
    client = request.client.host if request.client else "?"
    if not await request.app.state.booking_limit.allow(f"ip:{client}"):
        return JSONResponse(
            {"error": "too_many_requests"}, status_code=429, headers={"Retry-After": "60"}
        )
    try:
        data = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "invalid", "fields": {"": "not JSON"}}, status_code=422)
    details, fields = _details(data)
    try:
        body = HoldRequest.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            fields.setdefault(".".join(str(p) for p in e["loc"]), e["msg"])
    if details is None or fields:
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
            name=details.name,
            contact=details.contact,
            contact_extra=details.contact_extra,
            now=datetime.now(UTC),
            language=body.language,
        )
    except flow.ContactLimited:
        return JSONResponse(
            {"error": "too_many_requests", "fields": {"contact": CONTACT_LIMITED}},
            status_code=429,
            headers={"Retry-After": "600"},
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
    slow_down = JSONResponse(
        {"error": "too_many_requests"}, status_code=429, headers={"Retry-After": "60"}
    )
    if not await request.app.state.confirm_limit.open(f"confirm:{client}"):
        return slow_down
    rid = request.path_params["id"]
    held = await store.get(request.app.state.engine, reservation_id=rid)
    if await flow.confirm_limited(request.app, client, held.contact if held else None) is not None:
        return slow_down
    if held is None:
        return JSONResponse({"error": store.NotFound.code}, status_code=404)
    try:
        body = ConfirmRequest.model_validate_json(await request.body())
    except ValidationError:
        return JSONResponse({"error": "invalid", "fields": {"code": "six digits"}}, status_code=422)
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
