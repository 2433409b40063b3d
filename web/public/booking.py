"""The five booking steps (seed 004): matter, place, day and hour, details, the code.

Steps 1–4 are GET pages whose query holds the choices so far; the details form is the one
POST that holds a place and sends the code; the code form confirms it. A handler reads the
request, calls the pure checks (steps.py, forms.py) and the booking flow, and renders."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web import search
from web.catalog import Catalog, get_catalog
from web.i18n import language_of
from web.public import forms
from web.public.qr import access_qr
from web.public.steps import N_, STEPS, Choice, after_service, grouped, parse_choice
from web.reservations import flow, store
from web.reservations.booking import TZ, BookingError, SlotFull, Status
from web.reservations.slots import free_hours
from web.templating import render

NO_STORE = {"Cache-Control": "no-store"}
BOOKED_KEY = "booked"  # reservation ids this browser confirmed: it may see their "done" page


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def base_url(request: Request) -> str:
    return str(request.app.state.public_url or request.base_url)


def _page(
    request: Request, template: str, context: dict[str, Any], *, step: int, status: int = 200
) -> Response:
    return render(
        request,
        template,
        {"step": step, "steps": STEPS, **context},
        status_code=status,
        headers=NO_STORE,
    )


# -- step 1: the matter ----------------------------------------------------------------------


async def home(request: Request) -> Response:
    catalog = await get_catalog(request.app)
    language = language_of(request)
    q = request.query_params.get("q", "").strip()[:100]
    if q:  # in a thread: matching every service's words is CPU work (web/search.py)
        services = await asyncio.to_thread(catalog.search, q, language)
    else:  # a visitor who opens the page is about to search: its table is read meanwhile
        search.warm()
        services = catalog.bookable_services()
    groups = grouped(catalog, services, language)
    links = {s.id: after_service(catalog, s) for s in services}
    return _page(request, "public/matter.html", {"q": q, "groups": groups, "links": links}, step=1)


async def _choice_or_back(request: Request, needs: str) -> tuple[Catalog, Choice] | Response:
    """The choices so far, or a redirect to the first step that is still to be done."""
    catalog = await get_catalog(request.app)
    choice = parse_choice(request.query_params, catalog)
    if choice.service is None:
        return RedirectResponse("/", status_code=303)
    if needs in ("location", "day", "time") and choice.location is None:
        return RedirectResponse(choice.url("/book/place"), status_code=303)
    if needs in ("day", "time") and choice.day is None:
        return RedirectResponse(choice.url("/book/day"), status_code=303)
    if needs == "time" and choice.time is None:
        return RedirectResponse(choice.url("/book/hour"), status_code=303)
    return catalog, choice


# -- step 2: the place -----------------------------------------------------------------------


async def place(request: Request) -> Response:
    got = await _choice_or_back(request, "service")
    if isinstance(got, Response):
        return got
    catalog, choice = got
    assert choice.service is not None
    locations = catalog.locations_for(choice.service.id)
    if len(locations) == 1:  # nothing to choose: straight on to the day
        return RedirectResponse(choice.url("/book/day"), status_code=303)
    options = [(loc, Choice(choice.service, loc).url("/book/day")) for loc in locations]
    return _page(request, "public/place.html", {"choice": choice, "options": options}, step=2)


# -- step 3: the day, then the hour ----------------------------------------------------------


async def _free_days(request: Request, catalog: Catalog, choice: Choice) -> list[tuple[date, int]]:
    assert choice.service is not None and choice.location is not None
    now = datetime.now(UTC)
    today = now.astimezone(TZ).date()
    days = []
    for i in range(choice.service.horizon_days + 1):
        day = today + timedelta(days=i)
        hours = await free_hours(
            request.app.state.engine, catalog, choice.service.id, choice.location.id, day, now
        )
        if hours:
            days.append((day, len(hours)))
    return days


async def day(request: Request) -> Response:
    got = await _choice_or_back(request, "location")
    if isinstance(got, Response):
        return got
    catalog, choice = got
    assert choice.service is not None
    days = await _free_days(request, catalog, choice.without("day", "time"))
    options = [
        (d, n, Choice(choice.service, choice.location, d).url("/book/hour")) for d, n in days
    ]
    # Back goes to the place step, or to the matters when the place step was skipped.
    several = len(catalog.locations_for(choice.service.id)) > 1
    back = Choice(choice.service).url("/book/place") if several else "/"
    return _page(
        request, "public/day.html", {"choice": choice, "options": options, "back": back}, step=3
    )


async def hour(request: Request) -> Response:
    got = await _choice_or_back(request, "day")
    if isinstance(got, Response):
        return got
    catalog, choice = got
    assert choice.service is not None and choice.location is not None and choice.day is not None
    hours = await free_hours(
        request.app.state.engine,
        catalog,
        choice.service.id,
        choice.location.id,
        choice.day,
        datetime.now(UTC),
    )
    return _page(
        request,
        "public/hour.html",
        {
            "choice": choice,
            "hours": [start for start, _free in hours],
            "back": choice.without("day", "time").url("/book/day"),
        },
        step=3,
    )


# -- step 4: the details ---------------------------------------------------------------------


def _details_page(
    request: Request,
    choice: Choice,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    return _page(
        request,
        "public/details.html",
        {
            "choice": choice,
            "form": form or {},
            "errors": errors or {},
            "problem": problem,
            "hours_url": choice.without("time").url("/book/hour"),
        },
        step=4,
        status=status,
    )


async def details(request: Request) -> Response:
    got = await _choice_or_back(request, "time")
    if isinstance(got, Response):
        return got
    _catalog, choice = got
    return _details_page(request, choice)


async def submit_details(request: Request) -> Response:
    raw = await request.form()
    values = {k: v for k, v in raw.items() if isinstance(v, str)}
    catalog = await get_catalog(request.app)
    choice = parse_choice(values, catalog)
    if choice.start is None:  # a form from another catalog version: begin again
        return RedirectResponse(choice.url("/"), status_code=303)
    form = {k: values.get(k, "") for k in ("name", "contact", "contact_extra", "terms", "privacy")}
    if not await request.app.state.booking_limit.allow(f"ip:{client_ip(request)}"):
        return _details_page(
            request,
            choice,
            form=form,
            problem=N_("Too many bookings from this address. Please try again in a few minutes."),
            status=429,
        )
    checked, errors = forms.check_details(values)
    if checked is None:
        return _details_page(request, choice, form=form, errors=errors, status=422)
    assert choice.service is not None and choice.location is not None
    try:
        reservation = await flow.hold_with_code(
            request.app,
            catalog,
            service=choice.service.id,
            location=choice.location.id,
            start=choice.start,
            name=checked.name,
            contact=checked.contact,
            contact_extra=checked.contact_extra,
            now=datetime.now(UTC),
            language=language_of(request),
        )
    except flow.ContactLimited:
        errors = {"contact": N_("Too many codes were sent to this contact. Try again in an hour.")}
        return _details_page(request, choice, form=form, errors=errors, status=429)
    except flow.CodeNotSent:
        errors = {"contact": N_("We could not send the code there. Check it and try again.")}
        return _details_page(request, choice, form=form, errors=errors, status=422)
    except SlotFull:
        problem = N_("Someone has just taken this hour. Please choose another one.")
        return _details_page(request, choice, form=form, problem=problem, status=409)
    except BookingError:
        problem = N_("This hour can no longer be booked. Please choose another one.")
        return _details_page(request, choice, form=form, problem=problem, status=409)
    return RedirectResponse(f"/book/code/{reservation.id}", status_code=303)


# -- step 5: the code ------------------------------------------------------------------------


def _ended(request: Request, why: str, status: int) -> Response:
    """The booking cannot go on (hold expired, too many wrong codes, …): say so, offer a new one."""
    return _page(request, "public/ended.html", {"why": why}, step=5, status=status)


def _code_page(
    request: Request,
    catalog: Catalog,
    r: Any,
    *,
    code: str = "",
    error: str | None = None,
    attempts_left: int | None = None,
    status: int = 200,
) -> Response:
    service = catalog.services.get(r.service)
    return _page(
        request,
        "public/code.html",
        {
            "r": r,
            "facts": flow.visit_facts(catalog, r, language_of(request)),
            "sent_to": forms.masked(r.contact),
            "hold_min": service.hold_min if service else None,
            "code": code,
            "error": error,
            "attempts_left": attempts_left,
        },
        step=5,
        status=status,
    )


def _booked_here(request: Request, rid: str) -> bool:
    return rid in request.session.get(BOOKED_KEY, [])


async def code(request: Request) -> Response:
    rid = request.path_params["id"]
    r = await store.get(request.app.state.engine, reservation_id=rid)
    if r is None or r.kind != "online":
        return render(request, "errors/404.html", status_code=404)
    if r.status == Status.CONFIRMED and _booked_here(request, rid):
        return RedirectResponse(f"/book/done/{rid}", status_code=303)
    if r.status == Status.EXPIRED or (
        r.status == Status.PENDING and (r.hold_until is None or r.hold_until <= datetime.now(UTC))
    ):
        return _ended(request, "expired", 410)
    if r.status != Status.PENDING:
        return _ended(request, "closed", 409)
    return _code_page(request, await get_catalog(request.app), r)


async def submit_code(request: Request) -> Response:
    rid = request.path_params["id"]
    engine = request.app.state.engine
    r = await store.get(engine, reservation_id=rid)
    if r is None or r.kind != "online":
        return render(request, "errors/404.html", status_code=404)
    catalog = await get_catalog(request.app)
    typed = str((await request.form()).get("code", ""))[:20]
    limited = await flow.confirm_limited(request.app, client_ip(request), r.contact)
    if limited is not None:
        error = (
            N_("Too many tries from this address. Please wait a few minutes.")
            if limited == "address"
            else N_("Too many tries for this phone number or e-mail. Please wait a few minutes.")
        )
        return _code_page(request, catalog, r, code=typed, error=error, status=429)
    digits = forms.check_code(typed)
    if digits is None:
        error = N_("Enter the 6 digits of the code we sent you.")
        return _code_page(request, catalog, r, code=typed, error=error, status=422)
    try:
        confirmed = await store.confirm_with_code(engine, rid, digits, datetime.now(UTC))
    except store.WrongCode as exc:
        if exc.attempts_left <= 0:
            return _ended(request, "attempts", 429)
        error = N_("This is not the code we sent.")
        return _code_page(
            request,
            catalog,
            r,
            code=typed,
            error=error,
            attempts_left=exc.attempts_left,
            status=422,
        )
    except store.TooManyAttempts:
        return _ended(request, "attempts", 429)
    except store.HoldExpired:
        return _ended(request, "expired", 410)
    except BookingError:
        if _booked_here(request, rid):
            return RedirectResponse(f"/book/done/{rid}", status_code=303)
        return _ended(request, "closed", 409)
    booked = [*request.session.get(BOOKED_KEY, [])[-4:], rid]
    request.session[BOOKED_KEY] = booked
    await flow.send_confirmation(
        request.app, catalog, confirmed, base_url(request), language_of(request)
    )
    return RedirectResponse(f"/book/done/{rid}", status_code=303)


async def done(request: Request) -> Response:
    rid = request.path_params["id"]
    r = await store.get(request.app.state.engine, reservation_id=rid)
    # Only the browser that confirmed sees this page: it shows the manage link.
    if r is None or not _booked_here(request, rid):
        return render(request, "errors/404.html", status_code=404)
    if r.status != Status.CONFIRMED:  # cancelled since, or checked in: the visit page says so
        return RedirectResponse(f"/visit/{r.manage_token}", status_code=303)
    catalog = await get_catalog(request.app)
    return _page(
        request,
        "public/done.html",
        {
            "r": r,
            "facts": flow.visit_facts(catalog, r, language_of(request)),
            "number": store.ticket_label(r.number),
            "qr": access_qr(r.access_code, language_of(request)),
            "manage": flow.manage_url(base_url(request), r),
        },
        step=5,
    )
