"""The sites page for staff (/staff/sites): each site's hub, when it last synced, how many
events wait to reach the cloud, its software, and whether it is online."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth.session import requires
from web.db.models import Location, SiteSync
from web.eticket.state import OFFLINE_AFTER
from web.sync import fleet
from web.templating import render

SS = cast(Table, SiteSync.__table__)
LOC = cast(Table, Location.__table__)


async def site_rows(engine: Any) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    async with engine.connect() as conn:
        syncs = {r.location_id: r for r in await conn.execute(select(SS))}
        locations = list(await conn.execute(select(LOC).order_by(LOC.c.name)))
    out = []
    for loc in locations:
        s = syncs.get(loc.id)
        seen = s.last_seen_at if s is not None else None
        if seen is not None and seen.tzinfo is None:
            seen = seen.replace(tzinfo=UTC)
        out.append(
            {
                "id": loc.id,
                "name": loc.name,
                "last_seen": seen,
                "online": seen is not None and now - seen <= OFFLINE_AFTER,
                "backlog": s.backlog if s is not None else None,
                "software": s.hub_version if s is not None else "",
                "events": s.last_hub_seq if s is not None else 0,
            }
        )
    return out


@requires("sites")
async def sites(request: Request) -> Response:
    return render(request, "sync/sites.html", {"sites": await site_rows(request.app.state.engine)})


@requires("sites")
async def site_page(request: Request) -> Response:
    site = request.path_params["site"]
    engine = request.app.state.engine
    rows = [r for r in await site_rows(engine) if r["id"] == site]
    if not rows:
        return render(request, "errors/404.html", status_code=404)
    return render(
        request,
        "sync/site.html",
        {
            "s": rows[0],
            "devices": await fleet.devices_of(engine, site),
            "history": await fleet.history_of(engine, site),
        },
    )


routes = [
    Route("/staff/sites", sites, methods=["GET"]),
    Route("/staff/sites/{site}", site_page, methods=["GET"]),
]
