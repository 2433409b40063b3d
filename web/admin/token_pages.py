"""Staff API tokens on /admin/api-tokens: an administrator gives an integration (an EZD system)
read access to the register, for one location or all, and revokes it. The token is shown once,
on the page that created it; the list shows who holds one, never a token."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.admin.common import SAVE_FAILED, done, form_data, log, options, page
from web.admin.forms import N_, Errors, Problem
from web.auth.session import requires
from web.catalog import load_catalog
from web.staff import api_tokens

NAME_MAX = 120


async def _page(
    request: Request,
    *,
    data: dict[str, str] | None = None,
    errors: Errors | None = None,
    token: str | None = None,
    status_code: int = 200,
) -> Response:
    engine = request.app.state.engine
    catalog = await load_catalog(engine)
    return page(
        request,
        "admin/api_tokens.html",
        {
            "tokens": await api_tokens.listing(engine),
            "catalog": catalog,
            "location_options": options(catalog.locations),
            "data": data or {},
            "errors": errors or {},
            "token": token,
        },
        status_code=status_code,
    )


@requires("admin")
async def listing(request: Request) -> Response:
    return await _page(request)


@requires("admin")
async def create(request: Request) -> Response:
    data = await form_data(request)
    name = data.get("name", "").strip()
    location = data.get("location", "") or None
    errors: Errors = {}
    if not name:
        errors["name"] = Problem(N_("Enter whom the token is for."))
    elif len(name) > NAME_MAX:
        errors["name"] = Problem(N_("At most %(n)s characters."), {"n": NAME_MAX})
    catalog = await load_catalog(request.app.state.engine)
    if location is not None and location not in catalog.locations:
        errors["location"] = Problem(N_("Choose from the list."))
    if errors:
        return await _page(request, data=data, errors=errors, status_code=400)
    try:
        token = await api_tokens.create(request.app.state.engine, name, location)
    except (SQLAlchemyError, api_tokens.UnknownLocation):
        log.exception("staff API token not created")
        errors["_form"] = Problem(SAVE_FAILED)
        return await _page(request, data=data, errors=errors, status_code=503)
    # Shown once, here: only its digest is kept.
    return await _page(request, data={"name": name}, token=token, status_code=201)


@requires("admin")
async def revoke(request: Request) -> Response:
    name = (await form_data(request)).get("name", "")
    await api_tokens.revoke(request.app.state.engine, name)
    return done(request, "/admin/api-tokens", N_("Revoked."))


routes = [
    Route("/admin/api-tokens", listing, methods=["GET"]),
    Route("/admin/api-tokens", create, methods=["POST"]),
    Route("/admin/api-tokens/revoke", revoke, methods=["POST"]),
]
