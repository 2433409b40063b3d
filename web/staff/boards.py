"""The information boards of the account's locations (seed 003's "Tablice informacyjne"):
links to open on the hall screen, the day's visits and the queue side by side."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.auth.session import requires
from web.catalog import get_catalog
from web.eticket.state import site_state
from web.staff.common import page
from web.staff.scope import scope_of


@requires("boards")
async def boards(request: Request) -> Response:
    catalog = await get_catalog(request.app)
    scope = await scope_of(request)
    engine = request.app.state.engine
    locations = [
        (loc, bool((await site_state(engine, loc.id))[0]))  # the queue board needs its state
        for loc in sorted(catalog.locations.values(), key=lambda loc: loc.name)
        if scope.allows(loc.id)
    ]
    return page(request, "staff/boards.html", {"locations": locations})
