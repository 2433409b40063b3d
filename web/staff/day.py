"""A service point's day: the clerk's plan (seed 003's "Mój plan dnia", with "arrived" and
"Rezerwacja niezrealizowana") and the printed docket ("wokanda") posted by the door."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.session import current_staff, requires
from web.catalog import Catalog, PointInfo, get_catalog
from web.i18n import staff_language_of
from web.reservations import store
from web.reservations.booking import BookingError, Status, may_change
from web.reservations.fit import off_schedule
from web.staff import queries
from web.staff.common import now, page, parse_day
from web.staff.scope import points_in_scope, scope_of, visit_in_scope
from web.staff.texts import DONE, N_, refusal


def short_name(name: str) -> str:
    """ "Anna Maria Nowak" → "Anna N.": the docket hangs in a public corridor, so it shows
    no more of a visitor's name than the visitor needs to recognise their own line."""
    words = name.split()
    if len(words) < 2:
        return words[0] if words else ""
    return f"{words[0]} {words[-1][0]}."


def _choice(
    params: Mapping[str, str], catalog: Catalog, default: str | None
) -> tuple[PointInfo | None, date | None]:
    point_id = params.get("point") or default or ""
    return catalog.points.get(point_id), parse_day(params.get("day"))


async def _day_page(
    request: Request,
    template: str,
    statuses: tuple[Status, ...],
    params: Mapping[str, str],
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    user = await current_staff(request)
    assert user is not None
    catalog = await get_catalog(request.app)
    points = points_in_scope(catalog, await scope_of(request), user.location_id)
    point, day = _choice(params, catalog, user.service_point_id)
    if point is not None and point not in points:
        point = None  # another location's desk: as if none was chosen
    visits = []
    if point is not None and day is not None:
        visits = await queries.day_of_point(request.app.state.engine, point.id, day, statuses)
    elif day is None:
        problem, status_code = N_("Enter the date as YYYY-MM-DD."), 400
    language = staff_language_of(request)
    return page(
        request,
        template,
        {
            "point": point,
            "location": catalog.locations.get(point.location) if point else None,
            "day": day,
            "typed_day": params.get("day", "")[:20],
            "points": points,
            "visits": visits,
            "services": {s.id: s.label(language) for s in catalog.services.values()},
            "short_name": short_name,
            "off_schedule": off_schedule(catalog),
            "may": lambda v, action: may_change(
                Status(v.status), PLAN_ACTIONS[action], v.start, now()
            ),
            "done": DONE.get(params.get("done", "")),
            "problem": problem,
        },
        status_code=status_code,
    )


@requires("plan")
async def plan(request: Request) -> Response:
    return await _day_page(request, "staff/plan.html", queries.PLAN_STATUSES, request.query_params)


@requires("docket")
async def docket(request: Request) -> Response:
    return await _day_page(
        request, "staff/docket.html", queries.DOCKET_STATUSES, request.query_params
    )


PLAN_ACTIONS = {
    "check-in": Status.CHECKED_IN,
    "no-show": Status.NO_SHOW,
    "undo-no-show": Status.CONFIRMED,
}


@requires("plan")
async def plan_action(request: Request) -> Response:
    user = await current_staff(request)
    assert user is not None
    target = PLAN_ACTIONS.get(request.path_params["action"])
    form = await request.form()
    back = {"point": str(form.get("point", ""))[:40], "day": str(form.get("day", ""))[:20]}
    if target is None or await visit_in_scope(request, request.path_params["id"]) is None:
        return page(request, "staff/not_found.html", {}, status_code=404)
    try:
        await store.set_status(
            request.app.state.engine, request.path_params["id"], target, now(), actor=user.email
        )
    except BookingError as exc:
        # shown on the plan the clerk came from
        return await _day_page(
            request,
            "staff/plan.html",
            queries.PLAN_STATUSES,
            back,
            problem=refusal(exc),
            status_code=409,
        )
    undone = request.path_params["action"] == "undo-no-show"
    query = urlencode({**back, "done": "no_show_undone" if undone else str(target)})
    return RedirectResponse(f"/staff/plan?{query}", status_code=303)
