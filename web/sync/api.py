"""The sync API the hubs call (Bearer site token): push queue events, pull reservations."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.contract import sync as contract
from web.reservations import store
from web.sync import tokens
from web.sync.ingest import BadEvent, ingest

log = logging.getLogger("okienko.web.sync")
MAX_BODY = 8 * 1024 * 1024


async def _site(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return await tokens.site_of(request.app.state.engine, token.strip())


def _refused() -> JSONResponse:
    return JSONResponse(
        {"error": "unauthorized", "detail": "a valid site token is required"},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def push(request: Request) -> Response:
    site = await _site(request)
    if site is None:
        return _refused()
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "too_large"}, status_code=413)
    try:
        batch = contract.PushRequest.model_validate_json(body)
        if (wrong := _wrong_site(site, batch.site)) is not None:
            return wrong
        acked = await ingest(request.app.state.engine, site, batch)
    except ValidationError as exc:
        return JSONResponse({"error": "invalid", "detail": str(exc)[:2000]}, status_code=422)
    except BadEvent as exc:
        return JSONResponse({"error": "invalid", "detail": str(exc)}, status_code=422)
    request.app.state.live.notify(site)
    return JSONResponse(contract.PushReply(acked=acked).model_dump())


def _wrong_site(token_site: str, hub_site: str | None) -> Response | None:
    """A hub configured for one site with another site's token: refused with both names,
    which the hub logs and shows in its status, rather than accepted into the wrong site."""
    if hub_site is None or hub_site == token_site:
        return None
    return JSONResponse(
        {
            "error": "wrong_site",
            "detail": f"this token belongs to site {token_site!r}, the hub is site {hub_site!r}",
        },
        status_code=409,
    )


async def pull(request: Request) -> Response:
    site = await _site(request)
    if site is None:
        return _refused()
    if (wrong := _wrong_site(site, request.query_params.get("site"))) is not None:
        return wrong
    try:
        after = int(request.query_params.get("after", "0"))
    except ValueError:
        return JSONResponse({"error": "invalid", "detail": "after: a number"}, status_code=422)
    items = await store.changed_since(request.app.state.engine, site, after)
    reply = contract.PullReply(
        items=[
            contract.ReservationItem(
                code=r.access_code,
                service=r.service,
                start=r.start,
                status=r.status,
                seq=r.sync_seq or 0,
                number=store.ticket_label(r.number) or None,
            )
            for r in items
        ],
        cursor=max([after, *(r.sync_seq or 0 for r in items)]),
    )
    return Response(reply.model_dump_json(), media_type="application/json")


routes = [
    Route(contract.PUSH_PATH, push, methods=["POST"]),
    Route(contract.PULL_PATH, pull, methods=["GET"]),
]
