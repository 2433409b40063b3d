"""The booking API: hold a slot (JSON). The public pages and the staff's "book for a caller"
use the same rules and the same atomic store."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from web.notify.mail import MailError
from web.notify.sms import SmsError
from web.reservations import store
from web.reservations.booking import BookingError, SlotFull, check_request, confirmation_code

log = logging.getLogger("okienko.web.reservations")


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(max_length=40)
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
    entry = request.app.state.catalog.get(body.service)
    if entry is None:
        return JSONResponse(
            {"error": "invalid", "fields": {"service": "unknown service"}}, status_code=422
        )
    offer, calendar = entry
    if body.start.tzinfo is None:
        return JSONResponse(
            {"error": "invalid", "fields": {"start": "give a time zone"}}, status_code=422
        )
    now = datetime.now(UTC)
    code = confirmation_code()
    try:
        slot = check_request(calendar, offer, body.start, now)
        reservation = await store.hold(
            request.app.state.engine,
            offer,
            slot.start,
            name=body.name,
            contact=body.contact,
            now=now,
            confirm_code=code,
        )
    except SlotFull:
        return JSONResponse({"error": "slot_full"}, status_code=409)
    except BookingError as exc:
        return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=422)
    # The code only; no name, no place: an SMS is read by whoever holds the phone.
    text = f"Kod potwierdzenia rezerwacji: {code}. Ważny {offer.hold_min} min."
    try:
        await request.app.state.notifier.send(body.contact, "Kod potwierdzenia rezerwacji", text)
    except (MailError, SmsError, OSError) as exc:
        log.warning("confirmation code not sent: %s", exc)
        return JSONResponse({"error": "cannot_send_code"}, status_code=502)
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
    if not request.app.state.booking_limit.allow(f"confirm:{client}"):
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
