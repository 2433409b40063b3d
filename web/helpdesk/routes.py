"""The helpdesk's pages: the request list, filing a request (unit → address → service → form),
a request's page (status, history, chat, participants, files, rating) and rating through the
e-mailed link. Every request is looked up through ``store.load``, which answers "not found"
alike for a missing request and another unit's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.helpdesk import contact, crypto, listing, notices, remote_help, store
from web.helpdesk import tables as t
from web.helpdesk.accounts import field_values, fields_of
from web.helpdesk.admin_routes import routes as admin_routes
from web.helpdesk.domain import (
    STATUS_LABELS,
    Action,
    RatingLink,
    Status,
    WorkflowError,
    actions_for,
    can_rate,
    chat_open,
    check_repeat,
    is_overdue,
    is_red,
    rating_ends,
    rating_link,
    rating_open,
)
from web.helpdesk.session import HelpdeskUser, current_user, signed_in
from web.i18n import _, ngettext
from web.privacy import access
from web.templating import render

TZ = ZoneInfo("Europe/Warsaw")
EVENT_LABELS = {
    "filed": "Filed",
    "published": "Published",
    "accept": "Accepted",
    "reject": "Rejected",
    "complete": "Completed",
    "rated": "Rated",
    "repeated": "Created by repetition",
    "repeat_stopped": "Repetition stopped",
}


def repetition_text(every: int, unit: str) -> str:
    """ "codziennie", "co tydzień", "co 2 tygodnie", "co 5 miesięcy": Polish plural forms."""
    forms = {
        "day": ngettext("every day", "every %(num)s days", every),
        "week": ngettext("every week", "every %(num)s weeks", every),
        "month": ngettext("every month", "every %(num)s months", every),
    }
    return forms[unit] % {"num": every}


def history(events: list[Any]) -> list[tuple[Any, str]]:
    """Each event with what it did: its action, and the status it changed from → to. An event
    named like the status it sets shows the change only ("W realizacji → Zrealizowane", not
    "Zrealizowane → Zrealizowane"); one that changed no status shows no arrow."""
    out: list[tuple[Any, str]] = []
    before: str | None = None
    for e in events:
        label = EVENT_LABELS.get(e.kind, e.kind)
        if not e.status or e.status == before:
            what = _(label)
        else:
            to = STATUS_LABELS[Status(e.status)]
            if before is None:
                what = f"{_(label)} → {_(to)}"
            elif label == to:
                what = f"{_(STATUS_LABELS[Status(before)])} → {_(to)}"
            else:
                what = f"{_(label)}: {_(STATUS_LABELS[Status(before)])} → {_(to)}"
        before = e.status or before
        out.append((e, what))
    return out


def page(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    user = request.scope.get("hd_user")
    return render(
        request,
        template,
        {
            "user": user,
            "labels": STATUS_LABELS,
            "Status": Status,
            "contact": _contact(request),
            **context,
        },
        status_code=status_code,
    )


def me(request: Request) -> HelpdeskUser:
    user = request.scope.get("hd_user")
    assert user is not None  # guarded by @signed_in
    return user  # type: ignore[no-any-return]


def _int(value: object) -> int | None:
    text = str(value or "").strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def _filter(request: Request) -> listing.ListFilter:
    q = request.query_params
    if q.get("f"):  # the form was sent: remember "show inactive too" for the session
        period = _int(q.get("period")) if q.get("inactive") else None
        request.session["hd_inactive"] = period if period in listing.PERIODS else None
    return listing.ListFilter(
        statuses=[s for s in q.getlist("status") if s in set(Status)],
        number=_int(q.get("number")),
        unit_id=_int(q.get("unit")),
        service_id=_int(q.get("service")),
        text=str(q.get("text", ""))[:100],
        created_from=_date(q.get("created_from")),
        created_to=_date(q.get("created_to")),
        due_from=_date(q.get("due_from")),
        due_to=_date(q.get("due_to")),
        flags=[f for f in q.getlist("flag") if f in listing.FLAGS],
        inactive_days=request.session.get("hd_inactive"),
        page=min(_int(q.get("page")) or 0, 1000),
    )


async def _choices(request: Request) -> tuple[list[Any], list[Any]]:
    async with request.app.state.engine.connect() as conn:
        units = list(await conn.execute(select(t.units).order_by(t.units.c.name)))
        services = list(await conn.execute(select(t.services).order_by(t.services.c.name)))
    return units, services


@signed_in()
async def request_list(request: Request) -> Response:
    user, now = me(request), datetime.now(UTC)
    f = _filter(request)
    async with request.app.state.engine.connect() as conn:
        rows = list(await conn.execute(listing.query(user.actor, f, now)))
    units, services = await _choices(request)
    today = now.astimezone(TZ).date()
    shown = [
        {
            "row": r,
            "unread": r.seen_at is None or r.seen_at < r.last_change_at,
            "late": is_red(Status(r.status), r.published_at, now),
            "overdue": is_overdue(Status(r.status), r.due_on, today),
            "new_message": r.last_message_at is not None
            and (r.seen_at is None or r.seen_at < r.last_message_at),
        }
        for r in rows[: listing.PAGE]
    ]
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    base = "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    return page(
        request,
        "helpdesk/list.html",
        {
            "rows": shown,
            "f": f,
            "units": units,
            "services": services,
            "periods": listing.PERIODS,
            "more": len(rows) > listing.PAGE,
            "page_base": base,
        },
    )


@signed_in()
async def go_to_number(request: Request) -> Response:
    number = _int(request.query_params.get("number"))
    if number is None:
        return RedirectResponse("/helpdesk/", status_code=303)
    return RedirectResponse(f"/helpdesk/r/{number}", status_code=303)


# -- filing -------------------------------------------------------------------------------------


async def _filing_choices(request: Request, user: HelpdeskUser) -> dict[str, Any]:
    q = request.query_params
    async with request.app.state.engine.connect() as conn:
        units = list(
            await conn.execute(
                select(t.units).where(t.units.c.id == user.unit_id, t.units.c.active.is_(True))
            )
        )
        unit_id = _int(q.get("unit")) or (units[0].id if len(units) == 1 else None)
        if unit_id not in {u.id for u in units}:
            unit_id = None
        addresses = list(
            await conn.execute(
                select(t.addresses).where(
                    t.addresses.c.unit_id == unit_id, t.addresses.c.active.is_(True)
                )
            )
        )
        address_id = _int(q.get("address")) or (addresses[0].id if len(addresses) == 1 else None)
        if address_id not in {a.id for a in addresses}:
            address_id = None
        assigned = set(
            await conn.scalars(
                select(t.unit_services.c.service_id).where(t.unit_services.c.unit_id == unit_id)
            )
        )
        services = list(
            await conn.execute(
                select(t.services).where(t.services.c.active.is_(True)).order_by(t.services.c.name)
            )
        )
    service_id = _int(q.get("service"))
    service = next((s for s in services if s.id == service_id and s.id in assigned), None)
    return {
        "units": units,
        "unit_id": unit_id,
        "addresses": addresses,
        "address_id": address_id,
        "services": services,
        "assigned": assigned,
        "service": service,
        "fields": fields_of(service.fields) if service else [],
    }


@signed_in()
async def new_page(request: Request) -> Response:
    user = me(request)
    if user.is_staff:
        return page(request, "helpdesk/new.html", {"staff_only": True}, status_code=403)
    return page(request, "helpdesk/new.html", await _filing_choices(request, user))


def _publish_at(form: Any) -> datetime | None:
    if not form.get("publish_later"):
        return None
    # "Publish later" without a day must not publish now (and notify staff): ask for it.
    day, at = _date(form.get("publish_day")), str(form.get("publish_time", "") or "08:00")
    if day is None:
        raise WorkflowError("Enter the publication date and time.")
    try:
        hour, minute = (int(x) for x in at.split(":")[:2])
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)
    except ValueError as exc:
        raise WorkflowError("Enter the publication date and time.") from exc


async def _uploads(form: Any) -> tuple[store.NewFile, ...]:
    """The "files" of a multipart form (filing and messages alike); the limits are the store's."""
    files: list[store.NewFile] = []
    for upload in form.getlist("files"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            files.append(store.NewFile(upload.filename, upload.content_type or "", data))
    return tuple(files)


@signed_in()
async def file_request(request: Request) -> Response:
    user, now = me(request), datetime.now(UTC)
    form = await request.form(max_files=store.MAX_FILES + 1)
    files = await _uploads(form)
    try:
        repeat = (
            check_repeat(_int(form.get("repeat_every")), str(form.get("repeat_unit", "")))
            if form.get("repeat")
            else None
        )
        filing = store.Filing(
            unit_id=_int(form.get("unit")) or 0,
            address_id=_int(form.get("address")) or 0,
            service_id=_int(form.get("service")) or 0,
            text=str(form.get("text", "")),
            fields=field_values(form),
            due_on=_date(form.get("due_on")) if form.get("due_on") else None,
            publish_at=_publish_at(form),
            repeat=repeat,
            files=files,
            encrypt=form.get("encrypt") == "yes",
        )
        filed = await store.file_request(request.app.state.engine, user.actor, filing, now)
    except WorkflowError as exc:
        request.scope["query_string"] = (
            f"unit={form.get('unit')}&address={form.get('address')}&service={form.get('service')}"
        ).encode()
        context = await _filing_choices(Request(request.scope), user)
        return page(
            request,
            "helpdesk/new.html",
            {**context, "error": _(exc.message), "form": form},
            status_code=400,
        )
    await notices.filed(request.app, filed.id, filed.password)
    return RedirectResponse(f"/helpdesk/r/{filed.id}?filed=1", status_code=303)


# -- one request --------------------------------------------------------------------------------


def _request_id(request: Request) -> int:
    return _int(request.path_params["id"]) or 0


@signed_in()
async def request_page(request: Request) -> Response:
    return await _show(request)


async def _show(
    request: Request, *, error: str | None = None, status_code: int = 200, **extra: Any
) -> Response:
    user, now = me(request), datetime.now(UTC)
    try:
        d = await store.detail(request.app.state.engine, user.actor, _request_id(request), now)
    except store.NotFound:
        return page(request, "helpdesk/not_found.html", {}, status_code=404)
    r = d.request
    await access.opened(request, user.email, f"helpdesk request {r.id}")
    status = Status(r.status)
    values = json.loads(r.fields or "{}")
    return page(
        request,
        "helpdesk/request.html",
        {
            "r": r,
            "d": d,
            "status": status,
            "fields": [
                (f.label, values[f.key]) for f in fields_of(r.service_fields) if f.key in values
            ],
            "actions": actions_for(user.actor, status),
            "can_rate": can_rate(user.actor, r.unit_id)
            and rating_open(status, r.completed_at, now),
            # A unit's user is told when the 30 days for rating ended, not left guessing.
            "rating_ended": rating_ends(r.completed_at)
            if can_rate(user.actor, r.unit_id)
            and rating_link(status, r.completed_at, now) is RatingLink.EXPIRED
            else None,
            "chat_open": chat_open(status, r.completed_at, now),
            "late": is_red(status, r.published_at, now),
            "overdue": is_overdue(status, r.due_on, now.astimezone(TZ).date()),
            "history": history(d.events),
            "repetition": repetition_text(r.repeat_every, r.repeat_unit or "day")
            if r.repeat_every
            else "",
            "error": error,
            "filed": request.query_params.get("filed"),
            "can_stop": r.repeat_next_at is not None
            and (user.is_staff or user.unit_id == r.unit_id),
            "contact": _contact(request),
            **extra,
        },
        status_code=status_code,
    )


def _contact(request: Request) -> contact.Contact:
    configured = request.app.state.helpdesk_contact
    if isinstance(configured, contact.Contact):
        return configured
    return contact.default_for(request.app.state.notifier.mailer.settings.sender)


async def _act(request: Request, work: Any) -> Response:
    try:
        await work()
    except store.NotFound:
        return page(request, "helpdesk/not_found.html", {}, status_code=404)
    except WorkflowError as exc:
        return await _show(request, error=_(exc.message), status_code=400)
    return RedirectResponse(f"/helpdesk/r/{_request_id(request)}", status_code=303)


@signed_in()
async def change_status(request: Request) -> Response:
    user, form = me(request), await request.form()
    comment = str(form.get("comment", ""))[:2000]
    try:
        action = Action(str(form.get("action", "")))
    except ValueError:
        return await _show(request, error=_("Choose what to do."), status_code=400)

    async def work() -> None:
        changed = await store.change_status(
            request.app.state.engine,
            user.actor,
            _request_id(request),
            action,
            comment,
            datetime.now(UTC),
        )
        await notices.status_changed(request.app, changed.id, comment, changed.rating_token)

    return await _act(request, work)


@signed_in()
async def post_message(request: Request) -> Response:
    user = me(request)
    form = await request.form(max_files=store.MAX_FILES + 1)
    body, files = str(form.get("body", "")), await _uploads(form)

    async def work() -> None:
        rid = _request_id(request)
        posted = await store.add_message(
            request.app.state.engine,
            user.actor,
            rid,
            body,
            datetime.now(UTC),
            files,
            encrypt=form.get("encrypt") == "yes",
        )
        await notices.new_message(
            request.app, rid, user.id, body.strip(), [f.filename for f in files], posted.password
        )

    return await _act(request, work)


@signed_in()
async def post_rating(request: Request) -> Response:
    user, form = me(request), await request.form()
    stars, text = _int(form.get("stars")) or 0, str(form.get("justification", ""))

    async def work() -> None:
        await store.rate(
            request.app.state.engine,
            user.actor,
            _request_id(request),
            stars,
            text,
            datetime.now(UTC),
        )

    return await _act(request, work)


@signed_in()
async def stop_repeating(request: Request) -> Response:
    user = me(request)

    async def work() -> None:
        await store.stop_repeating(
            request.app.state.engine, user.actor, _request_id(request), datetime.now(UTC)
        )

    return await _act(request, work)


def _download(name: str, mime: str, data: bytes) -> Response:
    return Response(
        data,
        media_type=mime if mime.count("/") == 1 else "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@signed_in()
async def get_file(request: Request) -> Response:
    user = me(request)
    password, hit = None, None
    limit = request.app.state.login_limit
    key = f"hd-file:{user.id}"
    if request.method == "POST":
        password = str((await request.form()).get("password", ""))[:200]
        # Guesses of a file's password are counted; a right password is given back, so staff
        # opening many encrypted files are never slowed down by their own successes.
        hit = await limit.take(key)
        if hit is None:
            return await _show(
                request, error=_("Too many attempts. Try again later."), status_code=429
            )
    try:
        name, mime, data = await store.attachment(
            request.app.state.engine,
            user.actor,
            _request_id(request),
            _int(request.path_params["file"]) or 0,
            password,
        )
    except store.NotFound:
        return page(request, "helpdesk/not_found.html", {}, status_code=404)
    except crypto.WrongPassword:
        return await _show(
            request,
            error=_("The password does not open the file."),
            status_code=400,
        )
    if hit is not None:
        await limit.release(key, hit)
    return _download(name, mime, data)


# -- rating through the e-mailed link ---------------------------------------------------------


def _link_page(request: Request, row: Any, status_code: int = 200, **extra: Any) -> Response:
    """The rating link's page: the form while it is open, else why it is gone (rated on …,
    the 30 days ended on …, not awaiting a rating, or an unknown link)."""
    state = (
        rating_link(Status(row.status), row.completed_at, datetime.now(UTC))
        if row is not None
        else None
    )
    return page(
        request,
        "helpdesk/rate.html",
        {
            "r": row,
            "state": state,
            "ends": rating_ends(row.completed_at) if row is not None else None,
            "contact": _contact(request),
            **extra,
        },
        status_code=status_code,
    )


async def rate_page(request: Request) -> Response:
    await current_user(request)
    row = await store.by_rating_token(request.app.state.engine, request.path_params["token"])
    return _link_page(request, row, status_code=200 if row is not None else 404)


async def rate_by_link(request: Request) -> Response:
    await current_user(request)
    token = request.path_params["token"]
    form = await request.form()
    stars, text = _int(form.get("stars")) or 0, str(form.get("justification", ""))
    try:
        await store.rate_by_token(request.app.state.engine, token, stars, text, datetime.now(UTC))
    except store.NotFound:
        return _link_page(request, None, status_code=404)
    except WorkflowError as exc:
        row = await store.by_rating_token(request.app.state.engine, token)
        return _link_page(request, row, status_code=400, error=_(exc.message))
    return page(request, "helpdesk/rate.html", {"r": None, "thanks": True})


async def help_page(request: Request) -> Response:
    """ "Pomoc zdalna": open without signing in (a computer in trouble may not get that far)."""
    await current_user(request)
    c = _contact(request)
    return page(
        request,
        "helpdesk/help.html",
        {
            "contact": c,
            "remote_name": remote_help.file_name(c.remote_url) if c.remote_url else "",
            "faq": remote_help.render_faq(await remote_help.faq(request.app.state.engine)),
        },
    )


async def home_redirect(request: Request) -> Response:
    return RedirectResponse("/helpdesk/", status_code=307)


routes = [
    *admin_routes,
    Route("/helpdesk", home_redirect, methods=["GET"]),
    Route("/helpdesk/", request_list, methods=["GET"]),
    Route("/helpdesk/go", go_to_number, methods=["GET"]),
    Route("/helpdesk/help", help_page, methods=["GET"]),
    Route("/helpdesk/new", new_page, methods=["GET"]),
    Route("/helpdesk/new", file_request, methods=["POST"]),
    Route("/helpdesk/r/{id}", request_page, methods=["GET"]),
    Route("/helpdesk/r/{id}/status", change_status, methods=["POST"]),
    Route("/helpdesk/r/{id}/messages", post_message, methods=["POST"]),
    Route("/helpdesk/r/{id}/rating", post_rating, methods=["POST"]),
    Route("/helpdesk/r/{id}/stop-repeating", stop_repeating, methods=["POST"]),
    Route("/helpdesk/r/{id}/files/{file}", get_file, methods=["GET", "POST"]),
    Route("/helpdesk/rate/{token}", rate_page, methods=["GET"]),
    Route("/helpdesk/rate/{token}", rate_by_link, methods=["POST"]),
]
