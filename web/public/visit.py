"""The visitor's own visit page behind the manage link (/visit/{token}): what, when, where,
the access code, the .ics file, and cancelling (a confirmation step, then the cancelled page).

The token is 256 random bits looked up through the database's unique index; lookups are
limited per IP all the same, so nobody can walk through tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.catalog import get_catalog
from web.db.models import Reservation
from web.i18n import language_of
from web.public.booking import NO_STORE, base_url, client_ip
from web.public.qr import access_qr
from web.public.steps import N_
from web.ratelimit import RateLimit, shared
from web.reservations import flow, notices, store
from web.reservations.booking import BookingError, Status
from web.reservations.fit import off_schedule
from web.templating import render

STATUS_TEXT = {
    Status.PENDING: N_("Waiting for the confirmation code"),
    Status.CONFIRMED: N_("Booked"),
    Status.CANCELLED: N_("Cancelled"),
    Status.EXPIRED: N_("Not confirmed in time"),
    Status.CHECKED_IN: N_("Checked in"),
    Status.NO_SHOW: N_("Not attended"),
}


def _limit(request: Request) -> RateLimit:
    return shared(request.app.state, "visit", 120, 600)


async def _visit(request: Request) -> Reservation | Response:
    if not await _limit(request).allow(f"visit:{client_ip(request)}"):
        return render(
            request,
            "public/slow_down.html",
            status_code=429,
            headers={"Retry-After": "60", **NO_STORE},
        )
    token = request.path_params["token"]
    r = await store.get(request.app.state.engine, token=token) if len(token) <= 64 else None
    # A pending hold's token is never shown: the link works only after the code confirmed it.
    if r is None or r.status in (Status.PENDING, Status.EXPIRED):
        return render(request, "errors/404.html", status_code=404, headers=NO_STORE)
    return r


def _cancellable(r: Reservation) -> bool:
    return r.status == Status.CONFIRMED and r.start > datetime.now(UTC)


async def visit(request: Request) -> Response:
    r = await _visit(request)
    if isinstance(r, Response):
        return r
    catalog = await get_catalog(request.app)
    return render(
        request,
        "public/visit.html",
        {
            "r": r,
            "facts": flow.visit_facts(catalog, r, language_of(request)),
            "number": store.ticket_label(r.number),
            "qr": access_qr(r.access_code, language_of(request)),
            "status": STATUS_TEXT.get(Status(r.status), r.status),
            "cancellable": _cancellable(r),
            "off_schedule": off_schedule(catalog)(r),
        },
        headers=NO_STORE,
    )


async def visit_ics(request: Request) -> Response:
    r = await _visit(request)
    if isinstance(r, Response):
        return r
    catalog = await get_catalog(request.app)
    language = language_of(request)
    facts = flow.visit_facts(catalog, r, language)
    body = flow.ics_of(facts, flow.manage_url(base_url(request), r), language)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="wizyta.ics"', **NO_STORE},
    )


async def cancel_form(request: Request) -> Response:
    r = await _visit(request)
    if isinstance(r, Response):
        return r
    if r.status == Status.CANCELLED:
        return RedirectResponse(f"/visit/{r.manage_token}/cancelled", status_code=303)
    if not _cancellable(r):
        return RedirectResponse(f"/visit/{r.manage_token}", status_code=303)
    catalog = await get_catalog(request.app)
    return render(
        request,
        "public/cancel.html",
        {"r": r, "facts": flow.visit_facts(catalog, r, language_of(request))},
        headers=NO_STORE,
    )


async def cancel(request: Request) -> Response:
    r = await _visit(request)
    if isinstance(r, Response):
        return r
    if _cancellable(r):
        try:
            await store.cancel(request.app.state.engine, r.access_code, datetime.now(UTC))
        except BookingError:
            pass  # cancelled (or changed) meanwhile, e.g. a second click: the page below says
        else:  # told once, by the request that cancelled it; the page says the same
            catalog = await get_catalog(request.app)
            await notices.tell_cancelled(request.app, catalog, r, by_office=False)
    return RedirectResponse(f"/visit/{r.manage_token}/cancelled", status_code=303)


async def cancelled(request: Request) -> Response:
    r = await _visit(request)
    if isinstance(r, Response):
        return r
    if r.status != Status.CANCELLED:
        return RedirectResponse(f"/visit/{r.manage_token}", status_code=303)
    catalog = await get_catalog(request.app)
    return render(
        request,
        "public/cancelled.html",
        {"r": r, "facts": flow.visit_facts(catalog, r, language_of(request))},
        headers=NO_STORE,
    )
