"""The reporter's pages, open 24/7 (Procedura § 4 ust. 2): the report form (subcategory first,
then place, description, photos and — only if a reply is wanted — contact data with consent),
and the status page behind the unguessable link, where consent can be withdrawn."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.faults import dictionary, notices, store
from web.faults.domain import STATUS_LABELS, Channel, FaultError, Status
from web.faults.settings import of as settings_of
from web.i18n import N_, language_of
from web.ratelimit import RateLimit, shared
from web.templating import render

# Per IP: a resident reports a few faults a day; a script hundreds.
FORM_LIMIT = (10, 3600.0)
PUBLIC_STEPS = {  # history kinds the reporter sees (no staff names, no notes)
    "filed": "Registered",
    "forward": "Handed to the responsible unit",
    "forward_coordinator": "Handed to the responsible unit",
    "assign": "Handed to the realizer",
    "take": "Taken up",
    "suspend": "Suspended",
    "resume": "Resumed",
    "contractor": "Ordered from a contractor",
    "reject_work": "Work not accepted; realised again",
    "accept_work": "Resolved",
    "resolve": "Resolved",
    "close_by_operator": "Closed",
    "close": "Closed",
    "reply": "Reply given",
}


def limit_of(request: Request) -> RateLimit:
    return shared(request.app.state, "fault_form", *FORM_LIMIT)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _float(value: object) -> float | None:
    text = str(value or "").strip().replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return float("nan")


async def report_form(request: Request) -> Response:
    d = await dictionary.load(request.app.state.engine)
    sub_id = str(request.query_params.get("sub", ""))
    sub = d.subcategories.get(int(sub_id)) if sub_id.isdigit() else None
    return _form_page(request, d, sub, {}, None)


def _form_page(
    request: Request,
    d: dictionary.Dictionary,
    sub: dictionary.Subcategory | None,
    form: dict[str, Any],
    error: str | None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "faults/report_form.html",
        {"d": d, "sub": sub, "form": form, "error": error, "map": settings_of(request.app).map},
        status_code=status_code,
    )


async def _photos(form: Any) -> list[store.File]:
    found = []
    for item in form.getlist("photos"):
        if isinstance(item, UploadFile) and item.filename:
            data = await item.read(store.MAX_FILE + 1)
            found.append(
                store.File(item.filename, item.content_type or "application/octet-stream", data)
            )
    return found


async def submit_report(request: Request) -> Response:
    engine = request.app.state.engine
    d = await dictionary.load(engine)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    sub_id = values.get("sub", "")
    sub = d.subcategories.get(int(sub_id)) if sub_id.isdigit() else None
    limit, ip = limit_of(request), client_ip(request)
    hit = await limit.take(ip)  # claimed now (atomic), given back if nothing is filed
    if hit is None:
        return _form_page(
            request, d, sub, values, N_("Too many reports from this address; try later."), 429
        )
    try:
        if sub is None:
            raise FaultError("Choose the category and the subcategory.")
        photos = await _photos(form)
        for p in photos:
            store.check_photo(p)
        lat, lon = _float(values.get("lat")), _float(values.get("lon"))
        if (lat is None) != (lon is None) or any(v != v for v in (lat, lon) if v is not None):
            raise FaultError("Give both coordinates as numbers, or neither.")
        wants = values.get("reply") == "yes"
        if wants and values.get("consent") != "yes":
            raise FaultError("To get a reply, agree to the processing of your contact data.")
        report_id, token = await store.file_report(
            engine,
            store.Draft(
                sub.id,
                values.get("description", ""),
                Channel.WEB,
                address=values.get("address", ""),
                lat=lat,
                lon=lon,
                reply_wanted=wants,
                name=values.get("name", "") if wants else "",
                email=values.get("email", "") if wants else "",
                phone=values.get("phone", "") if wants else "",
                attributes={a.code: values.get(f"attr_{a.code}", "") for a in sub.attributes},
                files=photos,
                language=language_of(request),
            ),
            datetime.now(UTC),
            settings_of(request.app),
        )
    except FaultError as exc:
        await limit.release(ip, hit)
        # An English msgid: translated in the page, whose language is known only there.
        return _form_page(request, d, sub, values, exc.message, 400)
    await notices.filed(request.app, report_id, token)
    request.session["fault_new"] = report_id
    return RedirectResponse(f"/usterka/s/{token}", status_code=303)


async def status_page(request: Request) -> Response:
    token = request.path_params["token"]
    row = await store.by_token(request.app.state.engine, token)
    if row is None:
        return render(request, "faults/public_not_found.html", status_code=404)
    d = await dictionary.load(request.app.state.engine)
    steps = [
        (store.aware(e.at), PUBLIC_STEPS[e.kind])
        for e in await store.history(request.app.state.engine, row.id)
        if e.kind in PUBLIC_STEPS
    ]
    just_filed = request.session.pop("fault_new", None) == row.id
    return render(
        request,
        "faults/status.html",
        {
            "row": row,
            "token": token,
            "sub": d.subcategories.get(row.subcategory_id),
            "status_label": STATUS_LABELS[Status(row.status)],
            "steps": steps,
            "just_filed": just_filed,
            "withdrawn": request.query_params.get("withdrawn") == "1",
            "has_personal": bool(row.reporter_email or row.reporter_phone or row.reporter_name),
        },
    )


async def withdraw(request: Request) -> Response:
    token = request.path_params["token"]
    await store.withdraw_consent(request.app.state.engine, token, datetime.now(UTC))
    return RedirectResponse(f"/usterka/s/{token}?withdrawn=1", status_code=303)


routes = [
    Route("/usterka", report_form),
    Route("/usterka", submit_report, methods=["POST"]),
    Route("/usterka/s/{token}", status_page),
    Route("/usterka/s/{token}/withdraw", withdraw, methods=["POST"]),
]
