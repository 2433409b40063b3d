"""The sync API the hubs call (Bearer site token): push queue events, pull reservations."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.contract import sync as contract
from web.apierrors import error, field_errors, invalid, reply, unauthorized
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
    return unauthorized("a valid site token is required")


async def push(request: Request) -> Response:
    site = await _site(request)
    if site is None:
        return _refused()
    body = await request.body()
    if len(body) > MAX_BODY:
        return error(413, "body_too_large")
    try:
        batch = contract.PushRequest.model_validate_json(body)
        if (wrong := _wrong_site(site, batch.site)) is not None:
            return wrong
        acked = await ingest(request.app.state.engine, site, batch)
    except ValidationError as exc:
        return invalid(field_errors(exc), str(exc)[:2000])
    except BadEvent as exc:
        return invalid({"events": str(exc)}, str(exc))
    request.app.state.live.notify(site)
    return reply(contract.PushReply(acked=acked))


def _wrong_site(token_site: str, hub_site: str | None) -> Response | None:
    """A hub configured for one site with another site's token: refused with both names,
    which the hub logs and shows in its status, rather than accepted into the wrong site."""
    if hub_site is None or hub_site == token_site:
        return None
    detail = f"this token belongs to site {token_site!r}, the hub is site {hub_site!r}"
    return error(409, "wrong_site", detail)


async def pull(request: Request) -> Response:
    site = await _site(request)
    if site is None:
        return _refused()
    if (wrong := _wrong_site(site, request.query_params.get("site"))) is not None:
        return wrong
    try:
        after = int(request.query_params.get("after", "0"))
    except ValueError:
        return invalid({"after": "a number"}, "after: a number")
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
