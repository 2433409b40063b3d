"""Service points: their form (location, services with capacity, weekly hours and breaks,
public holidays), the dated exceptions of their calendar, and the next 14 days as visitors
will see them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.admin import closing, forms, store
from web.admin.common import attempt, done, form_data, page
from web.admin.crud import Kind, crud_routes
from web.admin.preview import next_days
from web.auth.session import current_staff, requires
from web.catalog import Catalog, load_catalog
from web.reservations.booking import TZ
from web.reservations.calendar import WEEKDAYS
from web.reservations.store import ticket_label
from web.staff.common import base_url
from web.staff.texts import STATUS


def _today() -> Any:
    return datetime.now(TZ).date()


def _point_form(catalog: Catalog, ident: str) -> dict[str, str]:
    p = catalog.points[ident]
    return forms.point_form(
        id=p.id,
        location_id=p.location,
        name=p.name,
        room=p.room,
        hours=p.calendar.weekly,
        breaks=p.calendar.breaks,
        public_holidays=p.calendar.public_holidays,
        active=p.active,
        capacity={svc: cap for (pid, svc), cap in catalog.capacity.items() if pid == ident},
    )


def _parse_point(form: forms.Form, catalog: Catalog, new: bool) -> Any:
    return forms.parse_point(
        form,
        existing=catalog.points,
        locations=catalog.locations,
        durations={s.id: s.duration_min for s in catalog.services.values()},
        new=new,
    )


async def _point_extra(request: Request, catalog: Catalog, ident: str | None) -> dict[str, Any]:
    engine: AsyncEngine = request.app.state.engine
    extra: dict[str, Any] = {
        "weekdays": [(d, forms.WEEKDAY_NAMES[d]) for d in WEEKDAYS],
        "reserved": await store.reservation_counts(engine, "service_point"),
        "hours_text": forms.hours_text,
    }
    if ident is not None:
        today = _today()
        extra.update(
            preview=next_days(catalog.points[ident].calendar, today),
            exceptions=await store.exceptions(engine, ident, today),
            exc_data={"kind": "closed"},
            exc_errors={},
            closing_outcome=request.session.pop(CLOSING_OUTCOME, None),
            off_schedule=await closing.upcoming_off_schedule(
                engine, catalog, ident, datetime.now(UTC)
            ),
        )
    return extra


POINTS = Kind(
    path="points",
    template="admin/point.html",
    existing=lambda c: c.points,
    parse=_parse_point,
    to_form=_point_form,
    save=lambda engine, v, new: store.save_point(engine, v, new=new),
    delete=store.delete_point,
    extra=_point_extra,
)


async def _known_point(request: Request) -> tuple[Catalog, str]:
    catalog = await load_catalog(request.app.state.engine)
    ident = str(request.path_params["id"])
    if ident not in catalog.points:
        raise HTTPException(404)
    return catalog, ident


CLOSING_OUTCOME = "admin_closing_outcome"


async def _settle(
    request: Request, affected: list[Any], how: str, values: forms.ExceptionValues
) -> None:
    """Move or cancel the visits the saved exception left out; what happened is shown once on
    the point's page."""
    user = await current_staff(request)
    assert user is not None
    outcome = await closing.settle(
        request.app,
        await load_catalog(request.app.state.engine),  # with the exception
        affected,
        how,
        actor=user.email,
        reason=values.reason,
        base_url=base_url(request),
        now=datetime.now(UTC),
    )
    request.session[CLOSING_OUTCOME] = {**outcome.as_dict(), "day": values.day.isoformat()}


@requires("admin")
async def add_exception(request: Request) -> Response:
    """Add a dated exception. When it leaves visits outside the point's hours, they are listed
    first, with what to do about them; the exception is saved once that is chosen."""
    engine: AsyncEngine = request.app.state.engine
    catalog, ident = await _known_point(request)
    data = await form_data(request)
    values, errors = forms.parse_exception(
        data, taken_days=await store.exception_days(engine, ident), today=_today()
    )
    status = 400
    if values is not None:
        affected = await closing.affected_visits(engine, catalog, ident, values)
        seen = set(data.get("affected", "").split(","))
        how = data.get("how", "")
        if affected and (how not in closing.HOW or not {r.id for r in affected} <= seen):
            return page(
                request,
                "admin/closing.html",
                {
                    "catalog": catalog,
                    "point": catalog.points[ident],
                    "values": values,
                    "exc_data": data,
                    "visits": affected,
                    "changed": bool(how),  # confirmed, but more visits came meanwhile
                    "STATUS": STATUS,
                    "ticket_label": ticket_label,
                    "hours_text": forms.hours_text,
                },
            )
        status = await attempt(store.add_exception(engine, ident, values), errors, id_field="day")
        if not status:
            if affected:
                await _settle(request, affected, how, values)
            return done(request, f"/admin/points/{ident}#calendar", forms.N_("Exception added."))
    context = {
        "catalog": catalog,
        "data": _point_form(catalog, ident),
        "new": False,
        **await _point_extra(request, catalog, ident),
        "exc_data": data,
        "exc_errors": errors,
    }
    return page(request, "admin/point.html", context, status_code=status)


@requires("admin")
async def remove_exception(request: Request) -> Response:
    engine: AsyncEngine = request.app.state.engine
    _catalog, ident = await _known_point(request)
    try:
        exception_id = int(request.path_params["exception"])
    except ValueError:
        raise HTTPException(404) from None
    errors: forms.Errors = {}
    if await attempt(store.delete_exception(engine, ident, exception_id), errors):
        return RedirectResponse(f"/admin/points/{ident}#calendar", status_code=303)
    return done(request, f"/admin/points/{ident}#calendar", forms.N_("Exception deleted."))


routes = [
    *crud_routes(POINTS),
    Route("/admin/points/{id}/exceptions", add_exception, methods=["POST"]),
    Route("/admin/points/{id}/exceptions/{exception}/delete", remove_exception, methods=["POST"]),
]
