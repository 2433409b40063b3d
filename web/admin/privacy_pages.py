"""Data-subject requests on /admin/privacy (administrators): find a person by e-mail address or
phone number in every part, export it as JSON or as a readable page, and erase it after the
administrator types the contact again. Everything goes by POST, so a contact never stands in a
URL (and so in no server log or browser history); each search, export and erase is written to
the access log, shown on /admin/access-log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.admin.common import form_data, page
from web.admin.forms import N_, Errors, Problem
from web.auth.session import current_staff, requires
from web.privacy import access, store
from web.privacy.contact import Contact, NotAContact, parse

PARTS = {
    "reservations": N_("Reservations (with their history)"),
    "reservation_notes": N_("Notes on other reservations"),
    "ticket_alerts": N_("E-ticket alerts"),
    "helpdesk_accounts": N_("Helpdesk accounts"),
    "helpdesk_requests": N_("Helpdesk requests"),
    "helpdesk_messages": N_("Helpdesk messages"),
    "fault_reports": N_("Fault reports (reporter or text)"),
    "signins": N_("Sign-in audit"),
}


async def _who(request: Request) -> str:
    user = await current_staff(request)
    assert user is not None  # guarded by @requires
    return user.email


def _contact(typed: str, errors: Errors, name: str = "contact") -> Contact | None:
    try:
        return parse(typed)
    except NotAContact:
        errors[name] = Problem(N_("Enter an e-mail address or a phone number."))
        return None


async def _search_page(
    request: Request,
    typed: str = "",
    *,
    errors: Errors | None = None,
    erased: int | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors if errors is not None else {}
    context: dict[str, Any] = {
        "data": {"contact": typed},
        "errors": errors,
        "parts": PARTS,
        "erased": erased,
    }
    contact = _contact(typed, {}) if typed and "contact" not in errors else None
    if contact is not None:
        found = await store.find(request.app.state.engine, contact)
        context["found"] = found
        context["counts"] = {k: len(v) for k, v in found.parts().items()}
    return page(request, "admin/privacy.html", context, status_code=status_code)


@requires("admin")
async def search_form(request: Request) -> Response:
    return await _search_page(request)


@requires("admin")
async def search(request: Request) -> Response:
    typed = (await form_data(request)).get("contact", "").strip()[:200]
    errors: Errors = {}
    contact = _contact(typed, errors)
    if contact is None:
        return await _search_page(request, typed, errors=errors, status_code=400)
    await access.record(
        request.app.state.engine,
        await _who(request),
        access.Action.SEARCHED,
        f"contact {contact.masked()}",
    )
    return await _search_page(request, typed)


async def _export(request: Request) -> tuple[Contact, dict[str, Any]] | Response:
    typed = (await form_data(request)).get("contact", "").strip()[:200]
    errors: Errors = {}
    contact = _contact(typed, errors)
    if contact is None:
        return await _search_page(request, typed, errors=errors, status_code=400)
    engine = request.app.state.engine
    found = await store.find(engine, contact)
    await access.record(
        engine, await _who(request), access.Action.EXPORTED, f"contact {contact.masked()}"
    )
    return contact, found.export(datetime.now(UTC))


@requires("admin")
async def export_json(request: Request) -> Response:
    done = await _export(request)
    if isinstance(done, Response):
        return done
    _, document = done
    return Response(
        store.dumps(document),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="okienko-dane-osobowe.json"',
            "Cache-Control": "no-store",
        },
    )


@requires("admin")
async def export_html(request: Request) -> Response:
    done = await _export(request)
    if isinstance(done, Response):
        return done
    contact, document = done
    response = page(
        request,
        "admin/privacy_export.html",
        {"doc": document, "parts": PARTS, "contact": contact},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@requires("admin")
async def erase(request: Request) -> Response:
    data = await form_data(request)
    typed = data.get("contact", "").strip()[:200]
    errors: Errors = {}
    contact = _contact(typed, errors)
    if contact is None:
        return await _search_page(request, typed, errors=errors, status_code=400)
    again = data.get("confirm", "").strip()[:200]
    try:
        same = parse(again) == contact
    except NotAContact:
        same = False
    if not same:
        errors["confirm"] = Problem(N_("Type the same e-mail address or phone number again."))
        return await _search_page(request, typed, errors=errors, status_code=400)
    engine = request.app.state.engine
    found = await store.erase(engine, contact, datetime.now(UTC))
    await access.record(
        engine, await _who(request), access.Action.ERASED, f"contact {contact.masked()}"
    )
    return await _search_page(request, typed, erased=found.total)


@requires("admin")
async def access_log(request: Request) -> Response:
    engine = request.app.state.engine
    return page(
        request,
        "admin/access_log.html",
        {
            "entries": await access.latest(engine),
            "days": int(getattr(request.app.state, "access_log_days", access.KEEP_DAYS_DEFAULT)),
            "actions": ACTIONS,
        },
    )


ACTIONS = {
    access.Action.OPENED: N_("opened"),
    access.Action.LOOKED_UP: N_("looked up by code"),
    access.Action.SEARCHED: N_("searched"),
    access.Action.EXPORTED: N_("exported"),
    access.Action.ERASED: N_("erased"),
}

routes = [
    Route("/admin/privacy", search_form, methods=["GET"]),
    Route("/admin/privacy", search, methods=["POST"]),
    Route("/admin/privacy/export.json", export_json, methods=["POST"]),
    Route("/admin/privacy/export", export_html, methods=["POST"]),
    Route("/admin/privacy/erase", erase, methods=["POST"]),
    Route("/admin/access-log", access_log, methods=["GET"]),
]
