"""The fault reports' administration (Instrukcja § 4, the annex): the administrator keeps the
dictionary (departments, coordinator and realizer groups, categories, subcategories with the
coordinator group they go to and their own fields) and gives helpdesk accounts their role in
the reports with the department or group it needs. Nothing reports refer to is deleted: it is
renamed or deactivated. Only the reports' administrator gets here."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.db import models
from web.faults import store
from web.faults import tables as t
from web.faults.domain import ROLE_LABELS, Role
from web.i18n import _
from web.templating import render

Endpoint = Callable[[Request], Awaitable[Response]]
Page = Callable[..., Response]

KINDS = ("department", "coordinator", "realizer", "category", "subcategory")
GROUP_KINDS = ("coordinator", "realizer")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ATTR_CODE = re.compile(r"^[a-z0-9_]+$")
CODE_LENGTH = {"department": 20, "coordinator": 40, "realizer": 40, "category": 40}
users = models.HdUser.__table__


def table_of(kind: str) -> Any:
    return {
        "department": t.departments,
        "coordinator": t.groups,
        "realizer": t.groups,
        "category": t.categories,
        "subcategory": t.subcategories,
    }[kind]


# -- reading -------------------------------------------------------------------------------------


async def everything(engine: AsyncEngine) -> dict[str, list[Any]]:
    """Every entry of the dictionary, active or not, by kind."""
    async with engine.connect() as conn:
        deps = list(await conn.execute(select(t.departments).order_by(t.departments.c.name)))
        groups = list(await conn.execute(select(t.groups).order_by(t.groups.c.name)))
        cats = list(await conn.execute(select(t.categories).order_by(t.categories.c.name)))
        subs = list(await conn.execute(select(t.subcategories).order_by(t.subcategories.c.name)))
    return {
        "department": deps,
        "coordinator": [g for g in groups if g.kind == "coordinator"],
        "realizer": [g for g in groups if g.kind == "realizer"],
        "category": cats,
        "subcategory": subs,
    }


def attributes_text(raw: str) -> str:
    """A subcategory's own fields, one a line: ``code | description | required | number``."""
    lines = []
    for a in json.loads(raw or "[]"):
        parts = [a["code"], a["description"]]
        if a.get("required"):
            parts.append("required")
        if a.get("datatype") == "number":
            parts.append("number")
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_attributes(text: str) -> list[dict[str, Any]] | None:
    """The fields written one a line, or None when a line does not read."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not ATTR_CODE.match(parts[0]) or not parts[1]:
            return None
        flags = {p.lower() for p in parts[2:] if p}
        if not flags <= {"required", "wymagane", "number", "liczba"}:
            return None
        if parts[0] in {a["code"] for a in found}:
            return None
        item: dict[str, Any] = {"code": parts[0], "description": parts[1][:200]}
        item["datatype"] = "number" if flags & {"number", "liczba"} else "string"
        if flags & {"required", "wymagane"}:
            item["required"] = True
        found.append(item)
    return found


# -- checking and saving the dictionary ------------------------------------------------------------


async def _row(conn: AsyncConnection, table: Any, row_id: int | None) -> Any:
    if row_id is None:
        return None
    return (await conn.execute(select(table).where(table.c.id == row_id))).first()


def _id(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


async def check_entry(
    conn: AsyncConnection, kind: str, v: dict[str, str], *, new: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The values to save and the problems, field by field (translated)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    table = table_of(kind)
    name = v.get("name", "").strip()
    if not name:
        errors["name"] = _("Enter the name of the entry.")
    elif len(name) > 200:
        errors["name"] = _("The name may have at most 200 characters.")
    values["name"] = name
    if new:
        code = v.get("code", "").strip()
        if not code:
            errors["code"] = _("Enter the code.")
        elif not CODE.match(code) or len(code) > CODE_LENGTH.get(kind, 40):
            errors["code"] = _(
                "Use letters, digits, dots, hyphens and underscores, at most 40 characters "
                "(a department's code at most 20)."
            )
        elif await conn.scalar(select(func.count()).where(table.c.code == code)):
            errors["code"] = _("This code is already used.")
        values["code"] = code
    if kind in GROUP_KINDS and new:
        dep = await _row(conn, t.departments, _id(v.get("department")))
        if dep is None or not dep.active:
            errors["department"] = _("Choose the department the group belongs to.")
        else:
            values["department_id"] = dep.id
            values["kind"] = kind
    if kind == "subcategory":
        cat = await _row(conn, t.categories, _id(v.get("category")))
        if cat is None or not cat.active:
            errors["category"] = _("Choose the category.")
        else:
            values["category_id"] = cat.id
        group_id = _id(v.get("group"))
        if group_id is None:
            values["coordinator_group_id"] = None
        else:
            g = await _row(conn, t.groups, group_id)
            if g is None or not g.active:
                errors["group"] = _("Choose an active coordinator group.")
            elif g.kind != "coordinator":
                errors["group"] = _(
                    "A subcategory goes to a coordinator group, not to a realizer group."
                )
            else:
                values["coordinator_group_id"] = g.id
        attrs = parse_attributes(v.get("attributes", ""))
        if attrs is None:
            errors["attributes"] = _(
                "Write each field on its own line as: code | description, optionally followed "
                "by | required and | number; codes in small letters, digits and underscores, "
                "each once."
            )
        else:
            values["attributes"] = json.dumps(attrs, ensure_ascii=False)
    if not new:
        values["active"] = v.get("active") == "yes"
    return values, errors


async def add_entry(engine: AsyncEngine, kind: str, v: dict[str, str]) -> dict[str, str]:
    async with engine.begin() as conn:
        values, errors = await check_entry(conn, kind, v, new=True)
        if not errors:
            await conn.execute(insert(table_of(kind)).values(active=True, **values))
    return errors


async def edit_entry(
    engine: AsyncEngine, kind: str, row_id: int, v: dict[str, str]
) -> dict[str, str]:
    async with engine.begin() as conn:
        values, errors = await check_entry(conn, kind, v, new=False)
        if not errors:
            table = table_of(kind)
            await conn.execute(update(table).where(table.c.id == row_id).values(**values))
    return errors


async def entry(engine: AsyncEngine, kind: str, row_id: int | None) -> Any:
    async with engine.connect() as conn:
        row = await _row(conn, table_of(kind), row_id)
    if row is None or (kind in GROUP_KINDS and row.kind != kind):
        return None
    return row


# -- people --------------------------------------------------------------------------------------


async def people(engine: AsyncEngine) -> list[Any]:
    """The helpdesk accounts with their role in the reports (if any)."""
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(
                    users.c.id,
                    users.c.name,
                    users.c.email,
                    users.c.role.label("hd_role"),
                    users.c.active,
                    t.members.c.role,
                    t.members.c.department_id,
                    t.members.c.group_id,
                )
                .select_from(users.outerjoin(t.members, t.members.c.user_id == users.c.id))
                .order_by(users.c.name, users.c.id)
            )
        )


async def person(engine: AsyncEngine, user_id: int | None) -> Any:
    return next((p for p in await people(engine) if p.id == user_id), None)


async def set_role(
    engine: AsyncEngine, admin_id: int, user_id: int, v: dict[str, str]
) -> dict[str, str]:
    """Gives or takes away the account's role; the problems field by field (translated)."""
    if user_id == admin_id:
        return {"role": _("You cannot change your own role.")}
    raw = v.get("role", "")
    if raw == "":
        async with engine.begin() as conn:
            await conn.execute(delete(t.members).where(t.members.c.user_id == user_id))
        return {}
    if raw not in set(Role):
        return {"role": _("Choose the role.")}
    role = Role(raw)
    errors: dict[str, str] = {}
    async with engine.connect() as conn:
        dep = await _row(conn, t.departments, _id(v.get("department")))
        group = await _row(conn, t.groups, _id(v.get("group")))
    kind = {Role.COORDINATOR: "coordinator", Role.REALIZER: "realizer"}.get(role)
    if role == Role.SUPERVISOR and (dep is None or not dep.active):
        errors["department"] = _("A supervisor needs the department whose reports they read.")
    if kind == "coordinator" and (group is None or not group.active):
        errors["group"] = _("A coordinator needs a coordinator group.")
    elif kind == "realizer" and (group is None or not group.active):
        errors["group"] = _("A realizer needs a realizer group.")
    elif kind == "coordinator" and group.kind != kind:
        errors["group"] = _("This is a realizer group; a coordinator needs a coordinator group.")
    elif kind == "realizer" and group.kind != kind:
        errors["group"] = _("This is a coordinator group; a realizer needs a realizer group.")
    if errors:
        return errors
    await store.set_member(
        engine,
        user_id,
        role,
        department_id=dep.id if dep is not None else None,
        group_id=group.id if group is not None else None,
    )
    return {}


# -- pages ---------------------------------------------------------------------------------------


def _form(form: Any) -> dict[str, str]:
    return {k: str(x) for k, x in form.items() if isinstance(x, str)}


def routes(guard: Callable[[Endpoint], Endpoint], page: Page) -> list[Route]:
    """The pages, behind the fault pages' sign-in ``guard`` and drawn with their ``page``."""

    def admin_only(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def inner(request: Request) -> Response:
            if request.scope["fault_actor"].role != Role.ADMIN:
                return render(request, "errors/403.html", status_code=403)
            return await endpoint(request)

        return guard(inner)

    async def overview(
        request: Request,
        errors: dict[str, dict[str, str]] | None = None,
        forms: dict[str, dict[str, str]] | None = None,
        status_code: int = 200,
    ) -> Response:
        return page(
            request,
            "faults/admin.html",
            {
                "all": await everything(request.app.state.engine),
                "errors": errors or {},
                "forms": forms or {},
                "done": request.query_params.get("done", ""),
            },
            status_code=status_code,
        )

    @admin_only
    async def dictionary_page(request: Request) -> Response:
        return await overview(request)

    @admin_only
    async def add(request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return page(request, "faults/not_found.html", {}, status_code=404)
        v = _form(await request.form())
        errors = await add_entry(request.app.state.engine, kind, v)
        if errors:
            return await overview(request, {kind: errors}, {kind: v}, 400)
        return RedirectResponse(f"/usterki/admin?done=added#{kind}", status_code=303)

    async def _edit_page(
        request: Request, row: Any, form: dict[str, str], errors: dict[str, str], code: int = 200
    ) -> Response:
        return page(
            request,
            "faults/admin_edit.html",
            {
                "kind": request.path_params["kind"],
                "row": row,
                "form": form,
                "errors": errors,
                "all": await everything(request.app.state.engine),
            },
            status_code=code,
        )

    @admin_only
    async def edit(request: Request) -> Response:
        kind = request.path_params["kind"]
        row = await entry(request.app.state.engine, kind, _id(request.path_params["id"]))
        if kind not in KINDS or row is None:
            return page(request, "faults/not_found.html", {}, status_code=404)
        if request.method == "POST":
            v = _form(await request.form())
            errors = await edit_entry(request.app.state.engine, kind, row.id, v)
            if errors:
                return await _edit_page(request, row, v, errors, 400)
            return RedirectResponse(f"/usterki/admin?done=saved#{kind}", status_code=303)
        form = {
            "name": row.name,
            "active": "yes" if row.active else "",
            "category": str(getattr(row, "category_id", "") or ""),
            "group": str(getattr(row, "coordinator_group_id", "") or ""),
            "attributes": attributes_text(row.attributes) if kind == "subcategory" else "",
        }
        return await _edit_page(request, row, form, {})

    async def _people_page(request: Request) -> dict[str, Any]:
        engine = request.app.state.engine
        return {
            "people": await people(engine),
            "all": await everything(engine),
            "role_labels": ROLE_LABELS,
        }

    @admin_only
    async def people_page(request: Request) -> Response:
        ctx = await _people_page(request)
        ctx["done"] = request.query_params.get("done") == "1"
        return page(request, "faults/admin_people.html", ctx)

    @admin_only
    async def person_page(request: Request) -> Response:
        engine = request.app.state.engine
        who = await person(engine, _id(request.path_params["id"]))
        if who is None:
            return page(request, "faults/not_found.html", {}, status_code=404)
        errors: dict[str, str] = {}
        if request.method == "POST":
            v = _form(await request.form())
            errors = await set_role(engine, request.scope["fault_actor"].id, who.id, v)
            if not errors:
                return RedirectResponse("/usterki/admin/people?done=1", status_code=303)
        else:
            v = {
                "role": who.role or "",
                "department": str(who.department_id or ""),
                "group": str(who.group_id or ""),
            }
        ctx = await _people_page(request)
        ctx.update({"who": who, "form": v, "errors": errors})
        return page(request, "faults/admin_person.html", ctx, status_code=400 if errors else 200)

    return [
        Route("/usterki/admin", dictionary_page),
        Route("/usterki/admin/people", people_page),
        Route("/usterki/admin/people/{id}", person_page, methods=["GET", "POST"]),
        Route("/usterki/admin/add/{kind}", add, methods=["POST"]),
        Route("/usterki/admin/{kind}/{id}", edit, methods=["GET", "POST"]),
    ]
