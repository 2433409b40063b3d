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
        acked = await ingest(request.app.state.engine, site, batch)
    except ValidationError as exc:
        return JSONResponse({"error": "invalid", "detail": str(exc)[:2000]}, status_code=422)
    except BadEvent as exc:
        return JSONResponse({"error": "invalid", "detail": str(exc)}, status_code=422)
    request.app.state.live.notify(site)
    return JSONResponse(contract.PushReply(acked=acked).model_dump())


async def pull(request: Request) -> Response:
    site = await _site(request)
    if site is None:
        return _refused()
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
