"""Accounts the upgrade to one account table could not merge (/admin/accounts/conflicts): the
administrator sees each e-mail's accounts side by side (their parts, whether each has a
password or comes from the directory) and keeps one; web/identity/accounts.py does the rest."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.admin.common import done, flash, form_data, log, page
from web.admin.forms import N_
from web.auth.session import requires
from web.identity import accounts

PATH = "/admin/accounts/conflicts"


async def open_conflicts(engine: AsyncEngine) -> list[accounts.Conflict]:
    async with engine.connect() as conn:
        return await accounts.open_conflicts(conn)


@requires("admin")
async def listing(request: Request) -> Response:
    conflicts = await open_conflicts(request.app.state.engine)
    return page(request, "admin/account_conflicts.html", {"conflicts": conflicts})


@requires("admin")
async def keep(request: Request) -> Response:
    conflict_id = request.path_params["conflict_id"]
    chosen = (await form_data(request)).get("account", "")
    try:
        async with request.app.state.engine.begin() as conn:
            await accounts.keep(conn, conflict_id, int(chosen), datetime.now(UTC))
    except (ValueError, accounts.NotInConflict):
        flash(request, N_("Choose one of this e-mail's accounts."), error=True)
        return RedirectResponse(PATH, status_code=303)
    log.info("account conflict %s resolved: account %s kept", conflict_id, chosen)
    return done(request, PATH, N_("Resolved: the e-mail now has one account."))


routes = [
    Route(PATH, listing, methods=["GET"]),
    Route(PATH + "/{conflict_id:int}/keep", keep, methods=["POST"]),
]
