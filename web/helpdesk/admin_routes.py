"""The helpdesk administrator's pages: services (with their own fields and options), units
(addresses, assigned services) and accounts, each with a page that maintains one of them
(a service's fields, a unit's services and addresses, a person's name, phone and e-mail,
deactivation after a confirmation, reactivation). Only an administrator creates accounts and
changes an e-mail address; a new account gets the "Rejestracja użytkownika" e-mail with a link
to set its password."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.helpdesk import accounts, notices, remote_help
from web.helpdesk import tables as t
from web.helpdesk.domain import MAX_UNIT_USERS, Role, WorkflowError
from web.helpdesk.session import signed_in
from web.i18n import _
from web.identity import audit
from web.identity.accounts import with_account
from web.templating import render


async def _page(request: Request, *, error: str | None = None, done: str | None = None) -> Response:
    async with request.app.state.engine.connect() as conn:
        units = list(await conn.execute(select(t.units).order_by(t.units.c.name)))
        services = list(await conn.execute(select(t.services).order_by(t.services.c.name)))
        users = list(await conn.execute(with_account(t.users).order_by(t.users.c.name)))
        addresses = list(await conn.execute(select(t.addresses).order_by(t.addresses.c.id)))
        assigned = list(await conn.execute(select(t.unit_services)))
    unit_names = {u.id: u.name for u in units}
    service_names = {s.id: s.name for s in services}
    context: dict[str, Any] = {
        "user": request.scope.get("hd_user"),
        "units": units,
        "services": services,
        "users": users,
        "unit_names": unit_names,
        "addresses": {u.id: [a.label for a in addresses if a.unit_id == u.id] for u in units},
        "unit_services": {
            u.id: [service_names[a.service_id] for a in assigned if a.unit_id == u.id]
            for u in units
        },
        "max_users": MAX_UNIT_USERS,
        "roles": [r.value for r in Role],
        "error": error,
        "done": done or request.query_params.get("done"),
    }
    return render(request, "helpdesk/admin.html", context, status_code=400 if error else 200)


@signed_in(admin=True)
async def admin_page(request: Request) -> Response:
    return await _page(request)


async def _run(request: Request, work: Any, done: str) -> Response:
    try:
        await work()
    except (accounts.AccountError, WorkflowError) as exc:
        message = exc.message if isinstance(exc, WorkflowError) else str(exc)
        return await _page(request, error=_(message))
    return RedirectResponse(f"/helpdesk/admin?done={done}", status_code=303)


@signed_in(admin=True)
async def add_service(request: Request) -> Response:
    form = await request.form()

    async def work() -> None:
        await accounts.create_service(
            request.app.state.engine,
            str(form.get("name", ""))[:200],
            fields=accounts.parse_fields(str(form.get("fields", ""))[:2000]),
            allow_due=bool(form.get("allow_due")),
            allow_schedule=bool(form.get("allow_schedule")),
            allow_repeat=bool(form.get("allow_repeat")),
        )

    return await _run(request, work, "service")


def _ids(values: list[Any]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@signed_in(admin=True)
async def add_unit(request: Request) -> Response:
    form = await request.form()

    async def work() -> None:
        await accounts.create_unit(
            request.app.state.engine,
            str(form.get("name", ""))[:200],
            str(form.get("addresses", ""))[:4000].splitlines(),
            _ids(form.getlist("services")),
            datetime.now(UTC),
        )

    return await _run(request, work, "unit")


@signed_in(admin=True)
async def add_user(request: Request) -> Response:
    form = await request.form()
    role = str(form.get("role", ""))
    unit = str(form.get("unit", ""))

    async def work() -> None:
        if role not in set(Role):
            raise accounts.AccountError("Choose a role.")
        email = str(form.get("email", ""))[:200]
        _id, token = await accounts.create_user(
            request.app.state.engine,
            email=email,
            name=str(form.get("name", ""))[:120],
            phone=str(form.get("phone", ""))[:40],
            role=Role(role),
            unit_id=int(unit) if role == Role.UNIT and unit.isdigit() else None,
            now=datetime.now(UTC),
        )
        await notices.account_link(request.app, email.strip().lower(), token, new=True)

    return await _run(request, work, "user")


@signed_in(admin=True)
async def change_user(request: Request) -> Response:
    form = await request.form()
    user_id = int(request.path_params["id"])

    async def work() -> None:
        engine = request.app.state.engine
        if form.get("deactivate"):
            await accounts.deactivate_user(engine, user_id)
        elif form.get("reactivate"):
            await accounts.reactivate_user(engine, user_id)
        else:
            if "name" in form:
                await accounts.change_profile(
                    engine, user_id, str(form.get("name", "")), str(form.get("phone", ""))
                )
            await accounts.change_email(engine, user_id, str(form.get("email", ""))[:200])

    if form.get("from") == "user":
        return await _on_page(request, "user", _user_ctx, work, f"/helpdesk/admin/users/{user_id}")
    return await _run(request, work, "user")


# -- the pages that edit one account, unit or service ---------------------------------------------


async def _one(request: Request, table: Any) -> Any:
    async with request.app.state.engine.connect() as conn:
        return (
            await conn.execute(select(table).where(table.c.id == request.path_params["id"]))
        ).first()


def _edit(request: Request, kind: str, ctx: dict[str, Any], error: str | None = None) -> Response:
    return render(
        request,
        "helpdesk/admin_edit.html",
        {"user": request.scope.get("hd_user"), "kind": kind, "error": error, **ctx},
        status_code=400 if error else 200,
    )


async def _user_ctx(request: Request) -> dict[str, Any] | None:
    person = await _one(request, t.users)
    if person is None:
        return None
    async with request.app.state.engine.connect() as conn:
        unit = await conn.scalar(select(t.units.c.name).where(t.units.c.id == person.unit_id))
    return {"person": person, "unit_name": unit or ""}


@signed_in(admin=True)
async def user_page(request: Request) -> Response:
    ctx = await _user_ctx(request)
    if ctx is None:
        return render(request, "helpdesk/not_found.html", status_code=404)
    return _edit(request, "user", ctx)


@signed_in(admin=True)
async def deactivate_page(request: Request) -> Response:
    """Asked first: the person is signed out at once and a unit's place is freed."""
    ctx = await _user_ctx(request)
    if ctx is None:
        return render(request, "helpdesk/not_found.html", status_code=404)
    return _edit(request, "deactivate", ctx)


async def _unit_ctx(request: Request) -> dict[str, Any] | None:
    unit = await _one(request, t.units)
    if unit is None:
        return None
    async with request.app.state.engine.connect() as conn:
        services = list(await conn.execute(select(t.services).order_by(t.services.c.name)))
        chosen = set(
            await conn.scalars(
                select(t.unit_services.c.service_id).where(t.unit_services.c.unit_id == unit.id)
            )
        )
        addresses = list(
            await conn.scalars(
                select(t.addresses.c.label)
                .where(t.addresses.c.unit_id == unit.id)
                .order_by(t.addresses.c.id)
            )
        )
    return {"unit": unit, "services": services, "chosen": chosen, "addresses": addresses}


@signed_in(admin=True)
async def unit_page(request: Request) -> Response:
    ctx = await _unit_ctx(request)
    if ctx is None:
        return render(request, "helpdesk/not_found.html", status_code=404)
    return _edit(request, "unit", ctx)


async def _on_page(request: Request, kind: str, ctx: Any, work: Any, back: str) -> Response:
    """Saved → back to the edit page with a notice; refused → the page with the reason."""
    try:
        await work()
    except (accounts.AccountError, WorkflowError) as exc:
        message = exc.message if isinstance(exc, WorkflowError) else str(exc)
        found = await ctx(request)
        return _edit(request, kind, found or {}, _(message))
    return RedirectResponse(f"{back}?done=1", status_code=303)


@signed_in(admin=True)
async def unit_services(request: Request) -> Response:
    form = await request.form()
    unit_id = int(request.path_params["id"])

    async def work() -> None:
        await accounts.set_unit_services(
            request.app.state.engine, unit_id, _ids(form.getlist("services"))
        )

    if form.get("from") == "unit":
        return await _on_page(request, "unit", _unit_ctx, work, f"/helpdesk/admin/units/{unit_id}")
    return await _run(request, work, "unit")


@signed_in(admin=True)
async def unit_address(request: Request) -> Response:
    form = await request.form()
    unit_id = int(request.path_params["id"])

    async def work() -> None:
        await accounts.add_unit_address(
            request.app.state.engine, unit_id, str(form.get("address", ""))
        )

    return await _on_page(request, "unit", _unit_ctx, work, f"/helpdesk/admin/units/{unit_id}")


async def _service_ctx(request: Request) -> dict[str, Any] | None:
    service = await _one(request, t.services)
    if service is None:
        return None
    spec = accounts.fields_spec(accounts.fields_of(service.fields))
    return {"service": service, "spec": spec}


@signed_in(admin=True)
async def service_page(request: Request) -> Response:
    ctx = await _service_ctx(request)
    if ctx is None:
        return render(request, "helpdesk/not_found.html", status_code=404)
    return _edit(request, "service", ctx)


@signed_in(admin=True)
async def change_service(request: Request) -> Response:
    form = await request.form()
    service_id = int(request.path_params["id"])

    async def work() -> None:
        await accounts.update_service(
            request.app.state.engine,
            service_id,
            fields_spec=str(form.get("fields", ""))[:2000],
            allow_due=bool(form.get("allow_due")),
            allow_schedule=bool(form.get("allow_schedule")),
            allow_repeat=bool(form.get("allow_repeat")),
        )

    return await _on_page(
        request, "service", _service_ctx, work, f"/helpdesk/admin/services/{service_id}"
    )


def _help_form(request: Request, body: str, **extra: Any) -> Response:
    return render(
        request,
        "helpdesk/admin_help.html",
        {
            "user": request.scope.get("hd_user"),
            "body": body,
            "max_faq": remote_help.MAX_FAQ,
            "done": request.query_params.get("done"),
            **extra,
        },
        status_code=400 if extra.get("error") else 200,
    )


@signed_in(admin=True)
async def help_edit_page(request: Request) -> Response:
    return _help_form(request, await remote_help.faq(request.app.state.engine))


@signed_in(admin=True)
async def help_save(request: Request) -> Response:
    body = str((await request.form()).get("body", ""))
    user = request.scope["hd_user"]
    try:
        await remote_help.save_faq(request.app.state.engine, body, user.id, datetime.now(UTC))
    except remote_help.HelpError as exc:
        return _help_form(request, body[: remote_help.MAX_FAQ + 100], error=_(str(exc)))
    return RedirectResponse("/helpdesk/admin/help?done=1", status_code=303)


@signed_in(admin=True)
async def signins_csv(request: Request) -> Response:
    return await audit.csv_response(request)


routes = [
    Route("/helpdesk/admin", admin_page, methods=["GET"]),
    Route("/helpdesk/admin/signins.csv", signins_csv, methods=["GET"]),
    Route("/helpdesk/admin/help", help_edit_page, methods=["GET"]),
    Route("/helpdesk/admin/help", help_save, methods=["POST"]),
    Route("/helpdesk/admin/services", add_service, methods=["POST"]),
    Route("/helpdesk/admin/services/{id:int}", service_page, methods=["GET"]),
    Route("/helpdesk/admin/services/{id:int}", change_service, methods=["POST"]),
    Route("/helpdesk/admin/units", add_unit, methods=["POST"]),
    Route("/helpdesk/admin/units/{id:int}", unit_page, methods=["GET"]),
    Route("/helpdesk/admin/units/{id:int}/services", unit_services, methods=["POST"]),
    Route("/helpdesk/admin/units/{id:int}/addresses", unit_address, methods=["POST"]),
    Route("/helpdesk/admin/users", add_user, methods=["POST"]),
    Route("/helpdesk/admin/users/{id:int}", user_page, methods=["GET"]),
    Route("/helpdesk/admin/users/{id:int}", change_user, methods=["POST"]),
    Route("/helpdesk/admin/users/{id:int}/deactivate", deactivate_page, methods=["GET"]),
]
