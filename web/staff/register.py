"""The reservation register (seed 003's "Rejestr rezerwacji"): search, a reservation's page
with its history, and the clerk's actions on it (confirm, cancel, note, checked in, not kept).

Every action is a POST with the CSRF token; success redirects back with a fixed message,
a refusal shows the page again with the reason and what was typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.session import current_staff, requires
from web.catalog import get_catalog
from web.i18n import language_of
from web.privacy import access
from web.reservations import notices, store
from web.reservations.booking import BookingError, Status, may_change
from web.reservations.fit import off_schedule
from web.reservations.flow import manage_url, send_confirmation, visit_facts
from web.staff import queries
from web.staff.common import base_url, now, page, today
from web.staff.filters import parse_filter
from web.staff.scope import points_in_scope, scope_of, visit_in_scope
from web.staff.texts import DONE, N_, refusal

NOTE_MAX = 1000


@requires("register.view")
async def register(request: Request) -> Response:
    user = await current_staff(request)
    assert user is not None
    catalog = await get_catalog(request.app)
    f = parse_filter(request.query_params, today())
    scope = await scope_of(request)
    result = None
    if not f.errors:
        result = await queries.search(
            request.app.state.engine, f, location=scope.location, catalog=catalog
        )
    language = language_of(request)
    return page(
        request,
        "staff/register.html",
        {
            "f": f,
            "result": result,
            "services": sorted(catalog.services.values(), key=lambda s: s.label(language)),
            "points": points_in_scope(catalog, scope),
            "catalog": catalog,
            "scope": scope,
            "scope_location": catalog.locations.get(scope.location or ""),
            "language": language,
            "off_schedule": off_schedule(catalog),
        },
        status_code=400 if f.errors else 200,
    )


# Which actions a status allows; the store's state machine decides again on POST.
ACTIONS: dict[str, tuple[Status, ...]] = {
    "confirm": (Status.PENDING,),
    "cancel": (Status.PENDING, Status.CONFIRMED),
    "check-in": (Status.CONFIRMED,),
    "no-show": (Status.CONFIRMED,),
    "undo-no-show": (Status.NO_SHOW,),
    "reschedule": (Status.PENDING, Status.CONFIRMED),
}
TARGET = {
    "confirm": Status.CONFIRMED,
    "cancel": Status.CANCELLED,
    "check-in": Status.CHECKED_IN,
    "no-show": Status.NO_SHOW,
    "undo-no-show": Status.CONFIRMED,
}


def offered(status: Status, start: datetime, at: datetime) -> set[str]:
    """The actions the page shows now: by status, and by time for "arrived", "not kept" and
    its undoing (booking.check_timing)."""
    return {
        name
        for name, states in ACTIONS.items()
        if status in states and (name not in TARGET or may_change(status, TARGET[name], start, at))
    }


async def detail_page(
    request: Request,
    reservation_id: str,
    *,
    problem: str | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    engine = request.app.state.engine
    r = await visit_in_scope(request, reservation_id)
    if r is None:
        return page(request, "staff/not_found.html", {}, status_code=404)
    user = await current_staff(request)
    assert user is not None
    await access.opened(request, user.email, f"reservation {r.id}")
    catalog = await get_catalog(request.app)
    language = language_of(request)
    done = request.query_params.get("done", "")
    status = Status(r.status)
    context: dict[str, Any] = {
        "r": r,
        "facts": visit_facts(catalog, r, language),
        "history": await store.history(engine, r.id),
        "link": manage_url(base_url(request), r) if r.manage_token else None,
        "can_edit": user.can("register.edit"),
        "allowed": offered(status, r.start, now()),
        "done": DONE.get(done) if not problem else None,
        "done_warning": done.endswith("_unsent"),
        "problem": problem,
        "typed": typed or {},
        "off_schedule": off_schedule(catalog)(r),
    }
    return page(request, "staff/reservation.html", context, status_code=status_code)


@requires("register.view")
async def detail(request: Request) -> Response:
    return await detail_page(request, request.path_params["id"])


@requires("register.edit")
async def act(request: Request) -> Response:
    """confirm, cancel (with a reason), check-in, no-show and note."""
    reservation_id = request.path_params["id"]
    action = request.path_params["action"]
    user = await current_staff(request)
    assert user is not None
    form = await request.form()
    engine = request.app.state.engine
    if await visit_in_scope(request, reservation_id) is None:
        return page(request, "staff/not_found.html", {}, status_code=404)
    if action == "note":
        text = str(form.get("note", "")).strip()[:NOTE_MAX]
        if not text:
            return await detail_page(
                request,
                reservation_id,
                problem=N_("Write the note first."),
                typed={"note": text},
                status_code=400,
            )
        try:
            await store.annotate(engine, reservation_id, text, now(), actor=user.email)
        except BookingError as exc:
            return await detail_page(request, reservation_id, problem=refusal(exc), status_code=404)
        return _back(reservation_id, "note")
    target = TARGET.get(action)
    if target is None:
        return page(request, "staff/not_found.html", {}, status_code=404)
    reason = str(form.get("reason", "")).strip()[:NOTE_MAX]
    try:
        await store.set_status(
            engine, reservation_id, target, now(), actor=user.email, detail=reason
        )
    except BookingError as exc:
        return await detail_page(
            request,
            reservation_id,
            problem=refusal(exc),
            typed={"reason": reason},
            status_code=409,
        )
    done = "no_show_undone" if action == "undo-no-show" else str(target)
    if target in (Status.CONFIRMED, Status.CANCELLED) and action != "undo-no-show":
        if not await _tell_visitor(request, reservation_id, target, reason):
            done += "_unsent"
    return _back(reservation_id, done)


async def _tell_visitor(request: Request, reservation_id: str, target: Status, reason: str) -> bool:
    """The confirmation with the access code, or the cancellation with its reason, in the
    language the visitor booked in; False when a message could not be sent."""
    r = await store.get(request.app.state.engine, reservation_id=reservation_id)
    if r is None:
        return False
    catalog = await get_catalog(request.app)
    if target is Status.CONFIRMED:
        return await send_confirmation(
            request.app, catalog, r, base_url(request), r.language or "pl"
        )
    return await notices.tell_cancelled(request.app, catalog, r, by_office=True, reason=reason)


def _back(reservation_id: str, done: str) -> Response:
    return RedirectResponse(f"/staff/register/{reservation_id}?done={done}", status_code=303)
