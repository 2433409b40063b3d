"""Booking for a caller on the phone (seed 003): service, location and day, then a free hour
with the caller's name and phone or e-mail. The visit is confirmed at once (kind "phone") and
the caller gets the access code, time, place and manage link by SMS or e-mail."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.session import current_staff, requires
from web.catalog import Catalog, get_catalog
from web.i18n import staff_language_of
from web.public.forms import check_contact, check_second_contact
from web.reservations.booking import TZ, BookingError, Status
from web.reservations.flow import send_confirmation
from web.reservations.slots import free_hours, hold_at
from web.staff.common import base_url, now, page, parse_day
from web.staff.scope import scope_of
from web.staff.texts import N_, refusal

NAME_MAX = 120


def check_caller(form: Mapping[str, str]) -> tuple[str, str, str, dict[str, str]]:
    """The caller's name, contact (phone in E.164) and optional second contact of the other
    kind, and an error per field."""
    errors: dict[str, str] = {}
    name = " ".join(form.get("name", "").split())
    if not 2 <= len(name) <= NAME_MAX:
        errors["name"] = N_("Enter the caller's name (2 to 120 characters).")
    contact, problem = check_contact(form.get("contact", "").strip())
    if problem:
        errors["contact"] = problem
    extra, problem = check_second_contact(form.get("contact_extra", ""), contact)
    if problem:
        errors["contact_extra"] = problem
    return name, contact, extra, errors


async def _context(
    request: Request, catalog: Catalog, values: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The choosers, and the free hours once service, location and day are known."""
    language = staff_language_of(request)
    services = sorted(catalog.bookable_services(), key=lambda s: s.label(language))
    service = values.get("service", "")
    locations = catalog.locations_for(service) if service in catalog.services else []
    scope = await scope_of(request)  # one books a visit only where one may see it
    locations = [loc for loc in locations if scope.allows(loc.id)]
    location = values.get("location", "")
    if not location and len(locations) == 1:
        location = locations[0].id
    day: date | None = parse_day(values.get("day"))
    errors: dict[str, str] = {}
    if service and service not in {s.id for s in services}:
        errors["service"] = N_("Choose a service from the list.")
    if location and location not in {loc.id for loc in locations}:
        errors["location"] = N_("This service is not offered at this location.")
    if day is None:
        errors["day"] = N_("Enter the date as YYYY-MM-DD.")
    hours: list[tuple[datetime, int]] | None = None
    if service and location and day and not errors:
        hours = await free_hours(
            request.app.state.engine, catalog, service, location, day, now(), staff=True
        )
    context = {
        "services": services,
        "locations": locations,
        "service": service,
        "location": location,
        "day": day.isoformat() if day else values.get("day", ""),
        "hours": hours,
        "language": language,
    }
    return context, errors


@requires("register.edit")
async def book_form(request: Request) -> Response:
    catalog = await get_catalog(request.app)
    values = {k: request.query_params.get(k, "")[:40] for k in ("service", "location", "day")}
    context, errors = await _context(request, catalog, values)
    shown = {k: v for k, v in errors.items() if values.get(k)}  # nothing chosen yet is no error
    return page(
        request,
        "staff/book.html",
        {**context, "errors": shown, "typed": {}},
        status_code=400 if shown else 200,
    )


@requires("register.edit")
async def book(request: Request) -> Response:
    user = await current_staff(request)
    assert user is not None
    catalog = await get_catalog(request.app)
    form = {k: str(v)[:200] for k, v in (await request.form()).items()}
    context, errors = await _context(request, catalog, form)
    name, contact, extra, caller_errors = check_caller(form)
    start: datetime | None = None
    try:
        start = datetime.fromisoformat(form.get("start", "")).astimezone(TZ)
    except ValueError:
        errors["start"] = N_("Choose one of the free hours.")
    errors.update(caller_errors)
    problem = None
    if not errors and start is not None:
        try:
            r = await hold_at(
                request.app.state.engine,
                catalog,
                context["service"],
                context["location"],
                start,
                now(),
                name=name,
                contact=contact,
                contact_extra=extra,
                kind="desk" if form.get("kind") == "desk" else "phone",
                actor=user.email,
                status=Status.CONFIRMED,
                staff=True,
            )
        except BookingError as exc:
            problem = refusal(exc)
        else:
            sent = await send_confirmation(request.app, catalog, r, base_url(request), "pl")
            done = "booked" if sent else "booked_unsent"
            return RedirectResponse(f"/staff/register/{r.id}?done={done}", status_code=303)
        # the hours shown again without the one just taken
        context, _ = await _context(request, catalog, form)
    return page(
        request,
        "staff/book.html",
        {**context, "errors": errors, "problem": problem, "typed": form},
        status_code=409 if problem else 400,
    )
