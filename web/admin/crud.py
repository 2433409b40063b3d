"""The list / new / edit / delete pages every catalog thing has, built from a ``Kind`` that
says how to parse, save, delete and show it. Service points add their calendar on top."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web.admin.common import attempt, done, flash, form_data, page
from web.admin.forms import N_, Errors, Form
from web.auth.session import requires
from web.catalog import Catalog, load_catalog

Parse = Callable[[Form, Catalog, bool], tuple[Any | None, Errors]]


@dataclass(frozen=True)
class Kind:
    path: str  # "departments": /admin/departments, /admin/departments/new, …
    template: str  # "admin/department.html" (the form); the list is "admin/<path>.html"
    existing: Callable[[Catalog], Mapping[str, Any]]
    parse: Parse
    to_form: Callable[[Catalog, str], dict[str, str]]
    save: Callable[[AsyncEngine, Any, bool], Awaitable[None]]
    delete: Callable[[AsyncEngine, str], Awaitable[None]]
    # More for the templates: lists to choose from, and for an edited thing its extras.
    extra: Callable[[Request, Catalog, str | None], Awaitable[dict[str, Any]]] | None = None
    # What a new one's form starts with besides "active" (e.g. a service's booking numbers).
    defaults: Mapping[str, str] | None = None


async def _extra(
    kind: Kind, request: Request, catalog: Catalog, ident: str | None
) -> dict[str, Any]:
    return await kind.extra(request, catalog, ident) if kind.extra else {}


def crud_routes(kind: Kind) -> list[BaseRoute]:
    base = f"/admin/{kind.path}"

    @requires("admin")
    async def listing(request: Request) -> Response:
        catalog = await load_catalog(request.app.state.engine)
        return page(
            request,
            f"admin/{kind.path}.html",
            {"catalog": catalog, **await _extra(kind, request, catalog, None)},
        )

    async def _form(
        request: Request,
        catalog: Catalog,
        ident: str | None,
        data: Mapping[str, str],
        errors: Errors,
        status: int = 200,
    ) -> Response:
        context = {"catalog": catalog, "data": data, "errors": errors, "new": ident is None}
        context.update(await _extra(kind, request, catalog, ident))
        return page(request, kind.template, context, status_code=status)

    @requires("admin")
    async def new_form(request: Request) -> Response:
        catalog = await load_catalog(request.app.state.engine)
        data = {"active": "on", "public_holidays": "on", **(kind.defaults or {})}
        return await _form(request, catalog, None, data, {})

    @requires("admin")
    async def create(request: Request) -> Response:
        engine = request.app.state.engine
        data = await form_data(request)
        catalog = await load_catalog(engine)
        values, errors = kind.parse(data, catalog, True)
        if values is None:
            return await _form(request, catalog, None, data, errors, 400)
        if status := await attempt(kind.save(engine, values, True), errors):
            return await _form(request, catalog, None, data, errors, status)
        return done(request, f"{base}/{values.id}")

    def _known(catalog: Catalog, request: Request) -> str:
        ident = str(request.path_params["id"])
        if ident not in kind.existing(catalog):
            raise HTTPException(404)
        return ident

    @requires("admin")
    async def edit_form(request: Request) -> Response:
        catalog = await load_catalog(request.app.state.engine)
        ident = _known(catalog, request)
        return await _form(request, catalog, ident, kind.to_form(catalog, ident), {})

    @requires("admin")
    async def update(request: Request) -> Response:
        engine = request.app.state.engine
        catalog = await load_catalog(engine)
        ident = _known(catalog, request)
        data = {**await form_data(request), "id": ident}
        values, errors = kind.parse(data, catalog, False)
        if values is None:
            return await _form(request, catalog, ident, data, errors, 400)
        if status := await attempt(kind.save(engine, values, False), errors):
            return await _form(request, catalog, ident, data, errors, status)
        return done(request, f"{base}/{ident}")

    @requires("admin")
    async def remove(request: Request) -> Response:
        engine = request.app.state.engine
        catalog = await load_catalog(engine)
        ident = _known(catalog, request)
        errors: Errors = {}
        if await attempt(kind.delete(engine, ident), errors):
            flash(request, errors["_form"].msgid, error=True)
            return RedirectResponse(f"{base}/{ident}", status_code=303)
        return done(request, base, N_("Deleted."))

    return [
        Route(base, listing, methods=["GET"]),
        Route(f"{base}/new", new_form, methods=["GET"]),
        Route(f"{base}/new", create, methods=["POST"]),
        Route(f"{base}/{{id}}", edit_form, methods=["GET"]),
        Route(f"{base}/{{id}}", update, methods=["POST"]),
        Route(f"{base}/{{id}}/delete", remove, methods=["POST"]),
    ]
