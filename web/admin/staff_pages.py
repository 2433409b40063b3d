"""Staff accounts: create one with an initial password, change role, location, service point,
or deactivate it (which signs the person out at once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.admin import forms, store
from web.admin.common import SAVE_FAILED, attempt, done, form_data, log, page
from web.auth.accounts import AccountError, create_staff
from web.auth.roles import Role
from web.auth.session import current_staff, requires
from web.catalog import Catalog, load_catalog


def _choices(catalog: Catalog) -> dict[str, Any]:
    return {
        "catalog": catalog,
        "roles_options": [(str(r), str(r)) for r in Role],
        "visits_options": [
            ("location", forms.N_("only its location's")),
            ("all", forms.N_("all locations'")),
        ],
        "point_options": sorted(
            (
                (p.id, f"{catalog.locations[p.location].name} – {p.name}")
                for p in catalog.points.values()
                if p.location in catalog.locations
            ),
            key=lambda pair: pair[1],
        ),
    }


@requires("admin")
async def listing(request: Request) -> Response:
    engine: AsyncEngine = request.app.state.engine
    catalog = await load_catalog(engine)
    return page(
        request,
        "admin/staff_list.html",
        {"people": await store.staff_list(engine), **_choices(catalog)},
    )


@requires("admin")
async def new_form(request: Request) -> Response:
    catalog = await load_catalog(request.app.state.engine)
    return page(request, "admin/staff_new.html", {"data": {}, **_choices(catalog)})


@requires("admin")
async def create(request: Request) -> Response:
    engine: AsyncEngine = request.app.state.engine
    catalog = await load_catalog(engine)
    data = await form_data(request)
    values, errors = forms.parse_new_staff(
        data,
        emails={p.email for p in await store.staff_list(engine)},
        locations=catalog.locations,
        points={p.id: p.location for p in catalog.points.values()},
    )
    status = 400
    if values is not None:
        try:
            await create_staff(
                engine,
                email=values.email,
                name=values.name,
                role=values.role,
                password=values.password,
                location_id=values.location_id,
                service_point_id=values.service_point_id,
                all_locations=values.all_locations,
            )
        except AccountError as exc:  # a race with another admin on the same e-mail
            errors["email"], status = forms.Problem(str(exc)), 409
        except SQLAlchemyError:
            log.exception("creating a staff account failed")
            errors["_form"], status = forms.Problem(SAVE_FAILED), 503
        else:
            return done(request, "/admin/staff", forms.N_("The account was created."))
    data.pop("password", None)  # never sent back into the page
    return page(
        request,
        "admin/staff_new.html",
        {"data": data, "errors": errors, **_choices(catalog)},
        status_code=status,
    )


async def _person(request: Request) -> store.StaffRow:
    person = await store.staff_one(request.app.state.engine, int(request.path_params["id"]))
    if person is None:
        raise HTTPException(404)
    return person


@requires("admin")
async def edit_form(request: Request) -> Response:
    person = await _person(request)
    catalog = await load_catalog(request.app.state.engine)
    data = {
        "name": person.name,
        "role": person.role,
        "location": person.location_id or "",
        "service_point": person.service_point_id or "",
        "visits": "all" if person.all_locations else "location",
    }
    if person.active:
        data["active"] = "on"
    return page(
        request, "admin/staff_edit.html", {"person": person, "data": data, **_choices(catalog)}
    )


@requires("admin")
async def update(request: Request) -> Response:
    engine: AsyncEngine = request.app.state.engine
    person = await _person(request)
    catalog = await load_catalog(engine)
    data = await form_data(request)
    change, errors = forms.parse_staff_change(
        data,
        locations=catalog.locations,
        points={p.id: p.location for p in catalog.points.values()},
    )
    me = await current_staff(request)
    if change is not None and me is not None and me.id == person.id:
        # Nobody locks themselves out; another administrator can do it if it is meant.
        if not change.active:
            errors["active"] = forms.Problem(forms.N_("You cannot deactivate your own account."))
        elif change.role != Role.ADMINISTRATOR:
            errors["role"] = forms.Problem(
                forms.N_("You cannot take the administrator role from yourself.")
            )
    status = 400
    if change is not None and not errors:
        status = await attempt(store.change_staff(engine, person.id, change), errors)
        if not status:
            return done(request, "/admin/staff")
    return page(
        request,
        "admin/staff_edit.html",
        {"person": person, "data": data, "errors": errors, **_choices(catalog)},
        status_code=status,
    )


routes = [
    Route("/admin/staff", listing, methods=["GET"]),
    Route("/admin/staff/new", new_form, methods=["GET"]),
    Route("/admin/staff/new", create, methods=["POST"]),
    Route("/admin/staff/{id:int}", edit_form, methods=["GET"]),
    Route("/admin/staff/{id:int}", update, methods=["POST"]),
]
