"""Routes of the administration pages (permission "admin"): the overview, and the pages of
each part of the catalog and of staff accounts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web.admin import (
    account_pages,
    catalog_pages,
    point_pages,
    privacy_pages,
    staff_pages,
    store,
    token_pages,
)
from web.admin.common import page
from web.admin.forms import N_
from web.auth.session import requires
from web.catalog import load_catalog
from web.identity import audit


@requires("admin")
async def overview(request: Request) -> Response:
    engine = request.app.state.engine
    catalog = await load_catalog(engine)
    people = await store.staff_list(engine)
    return page(
        request,
        "admin/index.html",
        {
            "catalog": catalog,
            "staff_count": sum(p.active for p in people),
            "conflicts": len(await account_pages.open_conflicts(engine)),
        },
    )


@requires("admin")
async def signins_csv(request: Request) -> Response:
    return await audit.csv_response(request)


@requires("admin")
async def signins(request: Request) -> Response:
    """The sign-in audit on screen: who signed in and out, the failures, and where from."""
    engine = request.app.state.engine
    return page(
        request,
        "admin/signins.html",
        {
            "events": await audit.latest(engine),
            "days": int(getattr(request.app.state, "signin_audit_days", audit.KEEP_DAYS_DEFAULT)),
            "limit": audit.PAGE,
            "outcomes": OUTCOMES,
        },
    )


OUTCOMES = {
    audit.Outcome.SIGNED_IN: N_("signed in"),
    audit.Outcome.FAILED: N_("sign-in failed"),
    audit.Outcome.LIMITED: N_("refused: too many tries"),
    audit.Outcome.SIGNED_OUT: N_("signed out"),
}


async def to_overview(request: Request) -> Response:
    return RedirectResponse("/admin/", status_code=307)


routes: list[BaseRoute] = [
    Route("/admin/", overview, methods=["GET"]),
    Route("/admin", to_overview, methods=["GET"]),
    Route("/admin/signins", signins, methods=["GET"]),
    Route("/admin/signins.csv", signins_csv, methods=["GET"]),
    *catalog_pages.routes,
    *point_pages.routes,
    *staff_pages.routes,
    *token_pages.routes,
    *privacy_pages.routes,
    *account_pages.routes,
]
