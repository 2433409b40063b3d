"""The e-ticket page (/e/{token}: the QR on the paper ticket), its live stream, alerts by SMS
or e-mail, and the public information boards of a site: the queue (/board/{site}) and the
day's visits (/board/{site}/visits, seed 003's "Tablica informacyjna")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from web.catalog import get_catalog
from web.db.models import TicketAlert
from web.eticket.state import site_known, site_state, ticket_view
from web.eticket.streams import Bounded
from web.eticket.visits import LABEL as VISIT_LABEL
from web.eticket.visits import board_rows, places_of, visits_today
from web.i18n import _, language_of
from web.notify.push import (
    application_server_key,
    public_endpoint,
    valid_subscription,
    vapid_key,
)
from web.notify.sms import SmsError, normalise_phone
from web.sync.alerts import save_push
from web.templating import render, render_fragment

AL = cast(Table, TicketAlert.__table__)
STATIC = Path(__file__).resolve().parents[1] / "static"
HEARTBEAT_S = 15.0
STREAM_MAX_S = 600.0  # browsers reconnect by themselves; no stream lives for ever
EMAIL_CHARS = set("@.")
DEFAULT_AHEAD = 3
MAX_AHEAD = 30
# What fits a 1920×1080 hall screen in the board's type size; the rest is counted below.
VISITS_SHOWN = 12


async def ticket_page(request: Request) -> Response:
    view = await ticket_view(
        request.app.state.engine, request.path_params["token"], language_of(request)
    )
    if view is None:
        return render(request, "errors/404.html", status_code=404)
    return render(
        request,
        "eticket/ticket.html",
        {
            "t": view,
            "notice": request.query_params.get("notice"),
            "push_key": application_server_key(await vapid_key(request.app.state.engine)),
        },
        headers={"Cache-Control": "no-store"},
    )


def _event(html: str) -> str:
    return f"data: {json.dumps({'html': html})}\n\n"


async def ticket_stream(request: Request) -> Response:
    token = request.path_params["token"]
    engine = request.app.state.engine
    first = await ticket_view(engine, token)
    if first is None:
        return Response(status_code=404)
    live = request.app.state.live
    language = language_of(request)

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        end = loop.time() + STREAM_MAX_S
        last = None
        while loop.time() < end:
            seen = live.generation(first.site)  # before the query: a change during it counts
            view = await ticket_view(engine, token, language)
            if view is None:
                return
            html = render_fragment(request, "eticket/_status.html", {"t": view})
            if html != last:
                yield _event(html)
                last = html
            if view.finished:
                yield "event: end\ndata: {}\n\n"
                return
            if not await live.wait(view.site, HEARTBEAT_S, seen):
                yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def ticket_alert(request: Request) -> Response:
    token = request.path_params["token"]
    engine = request.app.state.engine
    view = await ticket_view(engine, token)
    if view is None:
        return render(request, "errors/404.html", status_code=404)
    form = await request.form()
    contact = str(form.get("contact", "")).strip()[:120]
    ahead_text = str(form.get("ahead", DEFAULT_AHEAD)).strip()
    errors: dict[str, str] = {}
    if "@" in contact:
        if not (EMAIL_CHARS <= set(contact) and " " not in contact and len(contact) >= 5):
            errors["contact"] = _("Enter a mobile number or an e-mail address.")
    else:
        try:
            normalise_phone(contact)
        except SmsError:
            errors["contact"] = _("Enter a mobile number or an e-mail address.")
    if _ahead(ahead_text) is None:
        errors["ahead"] = _("Choose a number from 1 to 30.")
    client = request.client.host if request.client else "?"
    if not errors and not await request.app.state.booking_limit.allow(f"alert:{client}"):
        errors["contact"] = _("Too many attempts. Try again later.")
    if errors:
        return render(
            request,
            "eticket/ticket.html",
            {
                "t": view,
                "errors": errors,
                "form": {"contact": contact, "ahead": ahead_text},
                "push_key": application_server_key(await vapid_key(engine)),
            },
            status_code=400,
        )
    async with engine.begin() as conn:
        await conn.execute(
            AL.insert().values(
                token=token,
                contact=contact,
                ahead=int(ahead_text),
                created_at=datetime.now(UTC),
                language=language_of(request),
            )
        )
    return RedirectResponse(f"/e/{token}?notice=alert", status_code=303)


def _ahead(value: object) -> int | None:
    """The visitor's N for "N people ahead", or None when it is not 1 to 30."""
    text = str(value).strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_AHEAD else None


async def ticket_push(request: Request) -> Response:
    """The page's script sends the browser's PushSubscription here (JSON, CSRF header), with
    the N the visitor chose: ``{"subscription": {...}, "ahead": 2}`` (a bare subscription,
    from a page loaded before N could be chosen, means 3)."""
    token = request.path_params["token"]
    engine = request.app.state.engine
    view = await ticket_view(engine, token)
    if view is None or view.finished:
        return JSONResponse({"error": "not_found"}, status_code=404)
    client = request.client.host if request.client else "?"
    if not await request.app.state.booking_limit.allow(f"alert:{client}"):
        return JSONResponse({"error": "too_many_requests"}, status_code=429)
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        body = None
    trusted: frozenset[str] = getattr(request.app.state, "push_trusted", frozenset())
    if isinstance(body, dict) and "subscription" in body:
        subscription = valid_subscription(body["subscription"], trusted)
        ahead = _ahead(body.get("ahead", DEFAULT_AHEAD))
    else:
        subscription, ahead = valid_subscription(body, trusted), DEFAULT_AHEAD
    # The endpoint is the visitor's to choose: never one that leads into our own network.
    if subscription is None or not await public_endpoint(subscription["endpoint"], trusted):
        return JSONResponse({"error": "invalid subscription"}, status_code=422)
    if ahead is None:
        return JSONResponse({"error": "invalid", "detail": "ahead: 1 to 30"}, status_code=422)
    if not await save_push(
        engine, token, subscription, ahead, datetime.now(UTC), language_of(request)
    ):
        return JSONResponse({"error": "too_many_subscriptions"}, status_code=429)
    return JSONResponse({"ok": True}, status_code=201)


async def service_worker(request: Request) -> Response:
    # Served from the root so its scope covers the e-ticket pages.
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


async def board_page(request: Request) -> Response:
    site = request.path_params["site"]
    snapshot, offline, name = await site_state(request.app.state.engine, site)
    if not snapshot:
        return render(request, "errors/404.html", status_code=404)
    return render(
        request,
        "eticket/board.html",
        {"q": snapshot, "offline": offline, "site": site, "site_name": name},
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors *"},
    )


async def _board_events(
    request: Request, site: str, fragment: Callable[[], Awaitable[str]]
) -> Response:
    """A board's live stream: the fragment again after each change at the site (and at least
    every heartbeat, for what changes without the hub: bookings, the clock)."""
    live = request.app.state.live

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        end = loop.time() + STREAM_MAX_S
        last = None
        while loop.time() < end:
            seen = live.generation(site)  # before the query: a change during it counts
            html = await fragment()
            if html != last:
                yield _event(html)
                last = html
            if not await live.wait(site, HEARTBEAT_S, seen):
                yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def board_stream(request: Request) -> Response:
    site = request.path_params["site"]
    engine = request.app.state.engine
    if not await site_known(engine, site):  # no stream, and nothing kept, for a stranger
        return Response(status_code=404)

    async def fragment() -> str:
        snapshot, offline, _name = await site_state(engine, site)
        return render_fragment(request, "eticket/_board.html", {"q": snapshot, "offline": offline})

    return await _board_events(request, site, fragment)


async def _visits_context(request: Request, site: str) -> dict[str, Any] | None:
    catalog = await get_catalog(request.app)
    location = catalog.locations.get(site)
    if location is None:
        return None
    engine = request.app.state.engine
    now = datetime.now(UTC)
    snapshot, _offline, _name = await site_state(engine, site)
    visit_list, tickets = await visits_today(engine, catalog, site, now)
    rows = board_rows(visit_list, tickets, places_of(catalog, site, snapshot), now)
    return {
        "rows": rows[:VISITS_SHOWN],
        "more": max(0, len(rows) - VISITS_SHOWN),
        "label": VISIT_LABEL,
        "site": site,
        "site_name": location.name,
        "queue_board": bool(snapshot),
    }


async def visits_page(request: Request) -> Response:
    """Seed 003's board: the day's visits by code, hour, status and place."""
    context = await _visits_context(request, request.path_params["site"])
    if context is None:
        return render(request, "errors/404.html", status_code=404)
    return render(
        request,
        "eticket/visits.html",
        context,
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "frame-ancestors *"},
    )


async def visits_stream(request: Request) -> Response:
    site = request.path_params["site"]
    if site not in (await get_catalog(request.app)).locations:
        return Response(status_code=404)

    async def fragment() -> str:
        context = await _visits_context(request, site)
        return render_fragment(request, "eticket/_visits.html", context or {"rows": []})

    return await _board_events(request, site, fragment)


routes = [
    Route("/e/{token}", ticket_page, methods=["GET"]),
    Route("/e/{token}/live", Bounded(ticket_stream), methods=["GET"]),
    Route("/e/{token}/alert", ticket_alert, methods=["POST"]),
    Route("/e/{token}/push", ticket_push, methods=["POST"]),
    Route("/sw.js", service_worker, methods=["GET"]),
    Route("/board/{site}", board_page, methods=["GET"]),
    Route("/board/{site}/live", Bounded(board_stream), methods=["GET"]),
    Route("/board/{site}/visits", visits_page, methods=["GET"]),
    Route("/board/{site}/visits/live", Bounded(visits_stream), methods=["GET"]),
]
