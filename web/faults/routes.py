"""The staff pages of citizen fault reports: the list within one's scope (the monitoring view,
with SLA flags), a report's page (data, history, replies, files, the other reports of the same
events, the steps one may take), registering a report by hand (phone, e-mail, EZD; after an
outage with its real time) and the statistics. People sign in with their helpdesk account;
their role comes from ``store.actor_of``. Anything out of scope is "not found"."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.faults import admin, dictionary, export, history, listing, notices, store
from web.faults import tables as t
from web.faults.domain import (
    ACTION_LABELS,
    CHANNEL_LABELS,
    CLOSURE_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    Action,
    Actor,
    Channel,
    Closure,
    FaultError,
    Part,
    Role,
    Status,
    Step,
    actions_for,
    can_delete,
    can_edit,
    holds,
)
from web.faults.open311 import routes as open311_routes
from web.faults.public_routes import _float, _photos
from web.faults.public_routes import routes as public_routes
from web.faults.settings import of as settings_of
from web.faults.store import place_of
from web.helpdesk.session import current_user, signed_in
from web.i18n import _
from web.privacy import access
from web.templating import render

TZ = ZoneInfo("Europe/Warsaw")
Endpoint = Callable[[Request], Awaitable[Response]]


def faults_staff(endpoint: Endpoint) -> Endpoint:
    """Signed in (the helpdesk's sign-in and idle logout) and holding a role in the reports."""

    @signed_in()
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        user = await current_user(request)
        assert user is not None
        async with request.app.state.engine.connect() as conn:
            actor = await store.actor_of(conn, user.id, user.role.value)
        if actor is None:
            return render(request, "errors/403.html", status_code=403)
        request.scope["fault_actor"] = actor
        return await endpoint(request)

    return guarded


def actor_of(request: Request) -> Actor:
    return request.scope["fault_actor"]  # type: ignore[no-any-return]


def page(request: Request, template: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    return render(
        request,
        template,
        {
            "user": request.scope.get("hd_user"),
            "actor": actor_of(request),
            "status_labels": STATUS_LABELS,
            "role_labels": ROLE_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "Role": Role,
            **ctx,
        },
        status_code=status_code,
    )


def _int(value: object) -> int | None:
    text = str(value or "").strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def _moment(value: object) -> datetime | None:
    """A datetime-local field, read in Warsaw time."""
    try:
        return datetime.fromisoformat(str(value or "")).replace(tzinfo=TZ)
    except ValueError:
        return None


# -- list ----------------------------------------------------------------------------------------


@faults_staff
async def report_list(request: Request) -> Response:
    q = request.query_params
    actor, now = actor_of(request), datetime.now(UTC)
    f = listing.Filters(
        status=str(q.get("status", "")),
        category_id=_int(q.get("category")),
        overdue=q.get("overdue") == "1",
        number=_int(q.get("number")),
    )
    asked = _int(q["page"]) if q.get("page") else 1
    result = await listing.monitor(
        request.app.state.engine, actor, f, asked or 1, now, settings_of(request.app)
    )
    # Told, not refused: a page that is not a number shows the first, an old link past the
    # last page (reports finished since) the last.
    notice = None
    if asked is None or asked < 1:
        notice = "not_a_number"
    elif asked != result.number:
        notice = "past_the_end"
    d = await dictionary.load(request.app.state.engine)
    return page(
        request,
        "faults/list.html",
        {
            "result": result,
            "f": f,
            "d": d,
            "statuses": list(Status),
            "page_notice": notice,
            "asked": asked,
            "page_size": listing.PAGE,
        },
    )


# -- a report ------------------------------------------------------------------------------------


async def _visible(request: Request) -> Any:
    report_id = _int(request.path_params["id"])
    if report_id is None:
        return None
    return await store.load(request.app.state.engine, actor_of(request), report_id)


def _not_found(request: Request) -> Response:
    return page(request, "faults/not_found.html", {}, status_code=404)


async def _show(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    engine, actor = request.app.state.engine, actor_of(request)
    who = request.scope.get("hd_user")
    await access.opened(request, who.email if who else f"#{actor.id}", f"fault report {row.id}")
    d = await dictionary.load(engine)
    now = datetime.now(UTC)
    sub = d.subcategories.get(row.subcategory_id)
    given = json.loads(row.attributes or "{}")
    attrs = [
        (a.description, given[a.code]) for a in (sub.attributes if sub else []) if a.code in given
    ]
    return page(
        request,
        "faults/report.html",
        {
            "row": row,
            "d": d,
            "sub": sub,
            "attrs": attrs,
            "sla": listing.sla_of(row, now, settings_of(request.app)),
            "history": await store.history(engine, row.id),
            "replies": await store.replies(engine, row.id),
            "files": await store.files(engine, row.id),
            "family": await store.family(engine, actor, row),
            "handler": await store.person_name(engine, row.handler_id),
            "actions": actions_for(actor, place_of(row)),
            "action_labels": ACTION_LABELS,
            "closure_labels": CLOSURE_LABELS,
            "editable": can_edit(actor, place_of(row)),
            # Handed on by the person's coordinator group: shown, read only, and said so.
            "handed_on": actor.role == Role.COORDINATOR and not holds(actor, place_of(row)),
            "details": store.details_for(actor) if can_edit(actor, place_of(row)) else (),
            "deletable": can_delete(actor),
            "map": settings_of(request.app).map,
            "note_of": functools.partial(history.note_text, d=d),
            "error": error,
            "done": request.query_params.get("done") == "1",
            "Action": Action,
            "Status": Status,
        },
        status_code=status_code,
    )


report_page = faults_staff(_show)


async def _then(
    request: Request, report_id: int, work: Callable[[], Awaitable[object]]
) -> Response:
    try:
        await work()
    except FaultError as exc:
        return await _show(request, _(exc.message), 400)
    row = await _visible(request)
    if row is None or not holds(actor_of(request), place_of(row)):
        # The step passed the report out of this person's scope (a return to the operator or
        # the coordinator): its page would say "not found", as if the step had failed, or (a
        # coordinator group's, kept in "Przekazane") show it read only. Back to the list.
        return RedirectResponse(f"/usterki/?passed={report_id}", status_code=303)
    return RedirectResponse(f"/usterki/r/{report_id}?done=1", status_code=303)


@faults_staff
async def act(request: Request) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    form = await request.form()
    v = {k: str(x) for k, x in form.items() if isinstance(x, str)}
    try:
        action = Action(v.get("action", ""))
    except ValueError:
        return _not_found(request)
    closure = v.get("closure", "")
    step = Step(
        action,
        group_id=_int(v.get("group")),
        reason=v.get("reason", ""),
        until=_date(v.get("until")),
        firm=v.get("firm", ""),
        ordered_on=_date(v.get("ordered_on")),
        done_on=_date(v.get("done_on")),
        closure=Closure(closure) if closure in set(Closure) else None,
        rpw_id=v.get("rpw_id", ""),
    )
    at = _moment(v.get("at"))

    async def work() -> None:
        await store.act(
            request.app.state.engine,
            actor_of(request),
            row.id,
            step,
            datetime.now(UTC),
            at=at,
            settings=settings_of(request.app),
        )
        if step.closure in notices.ELSEWHERE:
            await notices.closed_elsewhere(request.app, row.id)

    return await _then(request, row.id, work)


@faults_staff
async def part_elsewhere(request: Request) -> Response:
    """§ 19 ust. 4 pkt 2: the coordinator tells the operator a part belongs elsewhere."""
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    form = await request.form()
    part, how = str(form.get("part", "")), str(form.get("form", ""))
    told = _moment(form.get("told_at")) if form.get("told_at") else None
    if form.get("told_at") and told is None:
        return await _show(request, _("Give the time of the notice as a date and time."), 400)
    actor = actor_of(request)

    async def work() -> None:
        await store.part_elsewhere(
            request.app.state.engine, actor, row.id, part, how, told, datetime.now(UTC)
        )
        if how == "email":
            user = request.scope.get("hd_user")
            await notices.part_elsewhere(request.app, row.id, part, user.name if user else "")

    return await _then(request, row.id, work)


@faults_staff
async def add_note(request: Request) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    form = await request.form()
    text, at = str(form.get("note", "")), _moment(form.get("at"))
    return await _then(
        request,
        row.id,
        lambda: store.add_note(
            request.app.state.engine, actor_of(request), row.id, text, datetime.now(UTC), at=at
        ),
    )


@faults_staff
async def set_delay(request: Request) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    form = await request.form()
    reason, planned = str(form.get("delay_reason", "")), _date(form.get("planned_on"))
    return await _then(
        request,
        row.id,
        lambda: store.set_delay(
            request.app.state.engine, actor_of(request), row.id, reason, planned, datetime.now(UTC)
        ),
    )


@faults_staff
async def record_reply(request: Request) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    form = await request.form()
    on, how, note = (
        _date(form.get("replied_on")),
        str(form.get("how", "")),
        str(form.get("text", "")),
    )
    return await _then(
        request,
        row.id,
        lambda: store.record_reply(
            request.app.state.engine, actor_of(request), row.id, on, how, note, datetime.now(UTC)
        ),
    )


async def _files(form: Any) -> list[store.File]:
    found = []
    for item in form.getlist("files"):
        if isinstance(item, UploadFile) and item.filename:
            data = await item.read(store.MAX_FILE + 1)
            found.append(
                store.File(item.filename, item.content_type or "application/octet-stream", data)
            )
    return found


@faults_staff
async def update_details(request: Request) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    form = await request.form()
    changes: dict[str, Any] = {
        k: str(form.get(k, ""))
        for k in ("rpw_id", "precinct", "parcel", "title", "address")
        if k in form
    }
    if "lat" in form and "lon" in form:
        changes["lat"], changes["lon"] = _float(form.get("lat")), _float(form.get("lon"))
    if str(form.get("channel", "")) in set(Channel):
        changes["channel"] = str(form.get("channel"))
    if sub := _int(form.get("subcategory")):
        changes["subcategory_id"] = sub
    files = await _files(form)
    return await _then(
        request,
        row.id,
        lambda: store.update_details(
            request.app.state.engine,
            actor_of(request),
            row.id,
            changes,
            datetime.now(UTC),
            files,
        ),
    )


@faults_staff
async def duplicate(request: Request) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    form = await request.form()
    scopes = [str(x) for x in form.getlist("scope")]
    subs = [_int(x) for x in form.getlist("part_sub")]
    parts = [Part(s, subs[i] if i < len(subs) else None) for i, s in enumerate(scopes)]
    return await _then(
        request,
        row.id,
        lambda: store.duplicate(
            request.app.state.engine, actor_of(request), row.id, parts, datetime.now(UTC)
        ),
    )


@faults_staff
async def delete(request: Request) -> Response:
    row = await _visible(request)
    if row is None:
        return _not_found(request)
    try:
        await store.delete_report(request.app.state.engine, actor_of(request), row.id)
    except FaultError as exc:
        return await _show(request, _(exc.message), 403)
    return RedirectResponse("/usterki/?deleted=1", status_code=303)


@faults_staff
async def attachment(request: Request) -> Response:
    row = await _visible(request)
    file_id = _int(request.path_params["file"])
    if row is None or file_id is None:
        return _not_found(request)
    async with request.app.state.engine.connect() as conn:
        f = (
            await conn.execute(
                select(t.attachments).where(
                    t.attachments.c.id == file_id, t.attachments.c.report_id == row.id
                )
            )
        ).first()
    if f is None:
        return _not_found(request)
    safe = "".join(ch for ch in f.filename if ch.isalnum() or ch in "._-") or "file"
    return Response(
        f.content,
        media_type=f.mime if f.mime in store.PHOTO_TYPES else "application/octet-stream",
        headers={"Content-Disposition": f'inline; filename="{safe}"'},
    )


# -- registering by hand -------------------------------------------------------------------------


@faults_staff
async def new_form(request: Request) -> Response:
    if not actor_of(request).sees_all:
        return render(request, "errors/403.html", status_code=403)
    d = await dictionary.load(request.app.state.engine)
    return page(request, "faults/new.html", {"d": d, "form": {}, "error": None})


@faults_staff
async def new_submit(request: Request) -> Response:
    actor = actor_of(request)
    if not actor.sees_all:
        return render(request, "errors/403.html", status_code=403)
    engine = request.app.state.engine
    d = await dictionary.load(engine)
    form = await request.form()
    v = {k: x for k, x in form.items() if isinstance(x, str)}
    try:
        sub = d.subcategories.get(_int(v.get("sub")) or 0)
        if sub is None:
            raise FaultError("Choose the category and the subcategory.")
        channel = v.get("channel", "")
        if channel not in set(Channel):
            raise FaultError("Choose the channel.")
        received = _moment(v.get("received_at")) if v.get("received_at") else None
        if v.get("received_at") and received is None:
            raise FaultError("Give the time of receipt as a date and time.")
        photos = await _photos(form)
        wants = v.get("reply") == "yes"
        lat, lon = _float(v.get("lat")), _float(v.get("lon"))
        report_id, _token = await store.file_report(
            engine,
            store.Draft(
                sub.id,
                v.get("description", ""),
                Channel(channel),
                address=v.get("address", ""),
                lat=lat if lat == lat else None,
                lon=lon if lon == lon else None,
                title=v.get("title", ""),
                reply_wanted=wants,
                name=v.get("name", ""),
                email=v.get("email", ""),
                phone=v.get("phone", ""),
                received_at=received,
                created_by=actor.id,
                rpw_id=v.get("rpw_id", ""),
                precinct=v.get("precinct", ""),
                parcel=v.get("parcel", ""),
                source_message=v.get("source_message", ""),
                attributes={a.code: v.get(f"attr_{a.code}", "") for a in sub.attributes},
                files=photos,
            ),
            datetime.now(UTC),
            settings_of(request.app),
        )
    except FaultError as exc:
        return page(request, "faults/new.html", {"d": d, "form": v, "error": _(exc.message)}, 400)
    return RedirectResponse(f"/usterki/r/{report_id}?done=1", status_code=303)


# -- statistics ----------------------------------------------------------------------------------


def _period(request: Request) -> tuple[listing.Period, str | None]:
    """From/to dates of receipt; a date that is not one, or an upside-down period, is said."""
    q = request.query_params
    since, until = _date(q.get("from")), _date(q.get("to"))
    error = None
    if (q.get("from") and since is None) or (q.get("to") and until is None):
        error = _("Enter the dates as day, month and year.")
    elif since and until and since > until:
        error = _("The period's start is after its end.")
        since, until = until, since
    return listing.Period(since, until), error


async def _stats(request: Request) -> tuple[dict[str, list[listing.Line]], listing.Period]:
    period, _error = _period(request)
    stats = await listing.statistics(
        request.app.state.engine, actor_of(request), period, settings_of(request.app)
    )
    return stats, period


def _stats_name(period: listing.Period, ext: str) -> str:
    ends = [d.isoformat() for d in (period.since, period.until) if d is not None]
    return f"usterki-statystyki{''.join('-' + e for e in ends)}.{ext}"


@faults_staff
async def statistics(request: Request) -> Response:
    stats, period = await _stats(request)
    error = _period(request)[1]
    query = urlencode(
        {k: v for k, v in (("from", period.since), ("to", period.until)) if v is not None}
    )
    return page(
        request,
        "faults/stats.html",
        {"stats": stats, "period": period, "error": error, "query": query},
        status_code=400 if error else 200,
    )


@faults_staff
async def statistics_csv(request: Request) -> Response:
    stats, period = await _stats(request)
    return Response(
        export.to_csv(stats),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_stats_name(period, "csv")}"'},
    )


@faults_staff
async def statistics_xlsx(request: Request) -> Response:
    stats, period = await _stats(request)
    ends = f"{period.since or ''}..{period.until or ''}"
    return Response(
        export.to_xlsx(stats, ends),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_stats_name(period, "xlsx")}"'},
    )


routes = [
    *public_routes,
    *open311_routes,
    Route("/usterki/", report_list),
    Route("/usterki/new", new_form),
    Route("/usterki/new", new_submit, methods=["POST"]),
    Route("/usterki/stats", statistics),
    Route("/usterki/stats.csv", statistics_csv),
    Route("/usterki/stats.xlsx", statistics_xlsx),
    Route("/usterki/r/{id}", report_page),
    Route("/usterki/r/{id}/act", act, methods=["POST"]),
    Route("/usterki/r/{id}/note", add_note, methods=["POST"]),
    Route("/usterki/r/{id}/delay", set_delay, methods=["POST"]),
    Route("/usterki/r/{id}/reply", record_reply, methods=["POST"]),
    Route("/usterki/r/{id}/details", update_details, methods=["POST"]),
    Route("/usterki/r/{id}/duplicate", duplicate, methods=["POST"]),
    Route("/usterki/r/{id}/part-elsewhere", part_elsewhere, methods=["POST"]),
    Route("/usterki/r/{id}/delete", delete, methods=["POST"]),
    Route("/usterki/r/{id}/f/{file}", attachment),
    *admin.routes(faults_staff, page),
]
