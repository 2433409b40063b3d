"""The booking API: hold a slot (JSON). The public pages and the staff's "book for a caller"
use the same rules and the same atomic store; the visitor's details are checked by the same
function as the public form's (forms.check_details), so a contact means the same everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from web.apierrors import ApiModel, WrongCode, error, field_errors, invalid, reply, too_many
from web.catalog import get_catalog
from web.db.models import Reservation
from web.i18n import language_of
from web.public import forms
from web.ratelimit import RateLimit, shared
from web.reservations import flow, store
from web.reservations.booking import BookingError, SlotFull, Status

CONTACT_LIMITED = "Too many codes were sent to this contact. Try again in an hour."


class HoldRequest(ApiModel):
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


class HoldReply(ApiModel):
    id: str = Field(description="the hold's id: confirm it at /api/v1/reservations/{id}/confirm")
    status: Literal["pending"] = "pending"
    hold_until: datetime = Field(description="the code must be confirmed before this")


async def hold(request: Request) -> JSONResponse:
    client = request.client.host if request.client else "?"
    if not await request.app.state.booking_limit.allow(f"ip:{client}"):
        return too_many(60)
    try:
        data = json.loads(await request.body())
    except ValueError:
        return invalid({"": "not JSON"})
    details, fields = _details(data)
    try:
        body = HoldRequest.model_validate(data)
    except ValidationError as exc:
        for key, problem in field_errors(exc).items():
            fields.setdefault(key, problem)
    if details is None or fields:
        return invalid(fields)
    catalog = await get_catalog(request.app)
    service = catalog.services.get(body.service)
    if service is None or not service.active or not catalog.points_for(body.service):
        return invalid({"service": "unknown service"})
    if body.location is not None and not catalog.points_for(body.service, body.location):
        return invalid({"location": "not offered here"})
    if body.start.tzinfo is None:
        return invalid({"start": "give a time zone"})
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
        return too_many(600, {"contact": CONTACT_LIMITED})
    except SlotFull as exc:
        return error(409, exc.code, str(exc))
    except flow.CodeNotSent:
        return error(502, flow.CodeNotSent.code, "the code could not be sent")
    except BookingError as exc:  # not an hour of the service, or outside the booking window
        return invalid({"start": str(exc)}, code=exc.code)
    assert reservation.hold_until is not None  # a pending hold always has its end
    return reply(HoldReply(id=reservation.id, hold_until=reservation.hold_until), 201)


class ConfirmRequest(ApiModel):
    code: str = Field(pattern=r"^[0-9]{6}$")


class ConfirmReply(ApiModel):
    status: Literal["confirmed"] = "confirmed"
    access_code: str = Field(description="the virtual ticket: typed or scanned at the dispenser")
    number: str = Field(description="the visit's number at its location that day, e.g. R007")
    start: datetime
    manage_token: str = Field(
        description="the visit's secret: /api/v1/visits/{token} and the visitor's /visit/{token}"
    )


async def confirm(request: Request) -> JSONResponse:
    client = request.client.host if request.client else "?"
    if not await request.app.state.confirm_limit.open(f"confirm:{client}"):
        return too_many(60)
    rid = request.path_params["id"]
    held = await store.get(request.app.state.engine, reservation_id=rid)
    if await flow.confirm_limited(request.app, client, held.contact if held else None) is not None:
        return too_many(60)
    if held is None:
        return error(404, store.NotFound.code)
    try:
        body = ConfirmRequest.model_validate_json(await request.body())
    except ValidationError:
        return invalid({"code": "six digits"})
    try:
        r = await store.confirm_with_code(
            request.app.state.engine, rid, body.code, datetime.now(UTC)
        )
    except store.WrongCode as exc:
        return reply(WrongCode(attempts_left=exc.attempts_left), 400)
    except (store.TooManyAttempts, store.HoldExpired) as exc:
        # The hold is over for good (five wrong codes, or too late): book again.
        return error(410, exc.code, str(exc))
    except store.NotFound as exc:
        return error(404, exc.code)
    except BookingError as exc:
        return error(409, exc.code, str(exc))
    catalog = await get_catalog(request.app)
    await flow.send_confirmation(request.app, catalog, r, _base_url(request), r.language)
    assert r.manage_token is not None  # every online booking has one
    return reply(
        ConfirmReply(
            access_code=r.access_code,
            number=store.ticket_label(r.number),
            start=r.start,
            manage_token=r.manage_token,
        )
    )


def _base_url(request: Request) -> str:
    return str(request.app.state.public_url or request.base_url)


# -- the visit behind its manage token: look it up, cancel it ------------------------------------


class VisitReply(ApiModel):
    """A visit as its manage link shows it (a pending or expired hold is not one: 404)."""

    status: Literal["confirmed", "cancelled", "checked_in", "no_show"]
    access_code: str
    number: str = Field(description="e.g. R007")
    service: str = Field(description="service id")
    service_name: str = Field(description="in the language asked (?lang=pl|en|uk)")
    location: str = Field(description="location id")
    location_name: str
    address: str
    place: str = Field(description="location, address, service point and room in one line")
    start: datetime
    end: datetime
    cancellable: bool = Field(description="confirmed and still to come")


def _visit_limit(request: Request) -> RateLimit:
    return shared(request.app.state, "visit", 120, 600)  # the visit page's own budget


async def _visit(request: Request) -> Reservation | JSONResponse:
    client = request.client.host if request.client else "?"
    if not await _visit_limit(request).allow(f"visit:{client}"):
        return too_many(60)
    token = request.path_params["token"]
    r = await store.get(request.app.state.engine, token=token) if len(token) <= 64 else None
    if r is None or r.status in (Status.PENDING, Status.EXPIRED):
        return error(404, store.NotFound.code)
    return r


async def _visit_reply(request: Request, r: Reservation, status_code: int = 200) -> JSONResponse:
    catalog = await get_catalog(request.app)
    facts = flow.visit_facts(catalog, r, language_of(request))
    loc = catalog.locations.get(r.location)
    return reply(
        VisitReply(
            status=r.status,  # type: ignore[arg-type]
            access_code=r.access_code,
            number=store.ticket_label(r.number),
            service=r.service,
            service_name=facts.service,
            location=r.location,
            location_name=facts.location,
            address=loc.address if loc else "",
            place=facts.place,
            start=r.start,
            end=facts.end,
            cancellable=cancellable(r),
        ),
        status_code,
        Cache_Control="no-store",
    )


def cancellable(r: Reservation) -> bool:
    return r.status == Status.CONFIRMED and r.start > datetime.now(UTC)


async def visit(request: Request) -> JSONResponse:
    r = await _visit(request)
    if isinstance(r, JSONResponse):
        return r
    return await _visit_reply(request, r)


async def cancel(request: Request) -> JSONResponse:
    """Cancel by the manage token; cancelling a cancelled visit again answers the same."""
    r = await _visit(request)
    if isinstance(r, JSONResponse):
        return r
    if r.status != Status.CANCELLED:
        if not cancellable(r):
            return error(409, "not_cancellable", "only a confirmed visit still to come")
        try:
            await store.cancel(request.app.state.engine, r.access_code, datetime.now(UTC))
        except BookingError as exc:  # changed meanwhile (checked in, cancelled by staff)
            fresh = await store.get(request.app.state.engine, token=request.path_params["token"])
            if fresh is None or fresh.status != Status.CANCELLED:
                return error(409, exc.code, str(exc))
    fresh = await store.get(request.app.state.engine, token=request.path_params["token"])
    assert fresh is not None
    return await _visit_reply(request, fresh)
