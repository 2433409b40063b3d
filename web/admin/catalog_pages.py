"""Departments, locations and services: their lists and forms."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from web.admin import forms, store
from web.admin.crud import Kind, crud_routes
from web.catalog import Catalog, ServiceInfo


def _department_form(catalog: Catalog, ident: str) -> dict[str, str]:
    d = catalog.departments[ident]
    return {"id": d.id, "name": d.name}


def _location_form(catalog: Catalog, ident: str) -> dict[str, str]:
    loc = catalog.locations[ident]
    limit = "" if loc.building_limit is None else str(loc.building_limit)
    return {"id": loc.id, "name": loc.name, "address": loc.address, "building_limit": limit}


def _service_form(catalog: Catalog, ident: str) -> dict[str, str]:
    s = catalog.services[ident]
    data = {
        "id": s.id,
        "department": s.department or "",
        "name": s.name,
        "name_en": s.name_en or "",
        "name_uk": s.name_uk or "",
        "description": s.description,
        "duration_min": str(s.duration_min),
        "horizon_days": str(s.horizon_days),
        "notice_min": str(s.notice_min),
        "hold_min": str(s.hold_min),
        "keywords": s.keywords,
    }
    if s.active:
        data["active"] = "on"
    return data


async def _service_extra(request: Request, catalog: Catalog, ident: str | None) -> dict[str, Any]:
    engine: AsyncEngine = request.app.state.engine
    return {"reserved": await store.reservation_counts(engine, "service")}


DEPARTMENTS = Kind(
    path="departments",
    template="admin/department.html",
    existing=lambda c: c.departments,
    parse=lambda form, c, new: forms.parse_department(form, existing=c.departments, new=new),
    to_form=_department_form,
    save=lambda engine, v, new: store.save_department(engine, v, new=new),
    delete=store.delete_department,
)

LOCATIONS = Kind(
    path="locations",
    template="admin/location.html",
    existing=lambda c: c.locations,
    parse=lambda form, c, new: forms.parse_location(form, existing=c.locations, new=new),
    to_form=_location_form,
    save=lambda engine, v, new: store.save_location(engine, v, new=new),
    delete=store.delete_location,
)

SERVICES = Kind(
    path="services",
    template="admin/service.html",
    existing=lambda c: c.services,
    parse=lambda form, c, new: forms.parse_service(
        form, existing=c.services, departments=c.departments, new=new
    ),
    to_form=_service_form,
    save=lambda engine, v, new: store.save_service(engine, v, new=new),
    delete=store.delete_service,
    extra=_service_extra,
    # The model's own defaults, so a new service can be saved as it comes (a 15-minute visit,
    # 30 days ahead, an hour's notice, 15 minutes to confirm).
    defaults={
        name: str(ServiceInfo.__dataclass_fields__[name].default)
        for name in ("duration_min", "horizon_days", "notice_min", "hold_min")
    },
)

routes = [*crud_routes(DEPARTMENTS), *crud_routes(LOCATIONS), *crud_routes(SERVICES)]
