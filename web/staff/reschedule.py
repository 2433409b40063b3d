"""Agreeing another time with a visitor on the phone (seed 003): pick a day and a free hour of
the same service at the same location; the visit moves atomically and the visitor is told."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.session import current_staff, requires
from web.catalog import get_catalog
from web.i18n import language_of
from web.reservations.booking import TZ, BookingError, Status
from web.reservations.flow import visit_facts
from web.reservations.slots import free_hours
from web.staff.common import base_url, now, page, parse_day, today
from web.staff.moving import move, tell_moved
from web.staff.scope import visit_in_scope
from web.staff.texts import N_, refusal

MOVABLE = (Status.PENDING, Status.CONFIRMED)


async def _page(
    request: Request,
    reservation_id: str,
    day: date | None,
    *,
    typed_day: str,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    engine = request.app.state.engine
    r = await visit_in_scope(request, reservation_id)
    if r is None:
        return page(request, "staff/not_found.html", {}, status_code=404)
    catalog = await get_catalog(request.app)
    hours: list[tuple[datetime, int]] = []
    if day is None:
        problem = problem or N_("Enter the date as YYYY-MM-DD.")
        status_code = 400
    elif Status(r.status) in MOVABLE:
        hours = await free_hours(engine, catalog, r.service, r.location, day, now())
    return page(
        request,
        "staff/reschedule.html",
        {
            "r": r,
            "facts": visit_facts(catalog, r, language_of(request)),
            "day": day,
            "typed_day": typed_day,
            "prev_day": (day - timedelta(days=1)) if day and day > today() else None,
            "next_day": (day + timedelta(days=1)) if day else None,
            "hours": hours,
            "movable": Status(r.status) in MOVABLE,
            "problem": problem,
        },
        status_code=status_code,
    )


@requires("register.edit")
async def reschedule_form(request: Request) -> Response:
    typed = request.query_params.get("day", "")[:20]
    return await _page(request, request.path_params["id"], parse_day(typed), typed_day=typed)


@requires("register.edit")
async def reschedule(request: Request) -> Response:
    reservation_id = request.path_params["id"]
    user = await current_staff(request)
    assert user is not None
    form = await request.form()
    typed_day = str(form.get("day", ""))[:20]
    day = parse_day(typed_day)
    try:
        start = datetime.fromisoformat(str(form.get("start", ""))).astimezone(TZ)
    except ValueError:
        return await _page(
            request,
            reservation_id,
            day,
            typed_day=typed_day,
            problem=N_("Choose one of the free hours."),
            status_code=400,
        )
    engine = request.app.state.engine
    r = await visit_in_scope(request, reservation_id)
    if r is None:
        return page(request, "staff/not_found.html", {}, status_code=404)
    catalog = await get_catalog(request.app)
    try:
        moved = await move(engine, catalog, r, start, now(), actor=user.email)
    except BookingError as exc:
        return await _page(
            request,
            reservation_id,
            start.date(),
            typed_day=start.date().isoformat(),
            problem=refusal(exc),
            status_code=409,
        )
    sent = await tell_moved(request.app, catalog, moved, base_url(request))
    done = "rescheduled" if sent else "rescheduled_unsent"
    return RedirectResponse(f"/staff/register/{reservation_id}?done={done}", status_code=303)
