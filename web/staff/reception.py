"""Reception (seed 003's "Recepcja"): who may come in. The access code, typed or scanned,
gives the time, the place (location, desk, room), the service, the status and the number.

Looked up by GET so a scanner that "types" the code and Enter works, and the page can be
reloaded; limited per staff account, because a code is the key to a visit."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from web.auth.session import current_staff, requires
from web.catalog import get_catalog
from web.i18n import language_of
from web.reservations import store
from web.reservations.flow import visit_facts
from web.staff.common import limiter, page
from web.staff.filters import normalise_code
from web.staff.scope import scope_of
from web.staff.texts import N_

LOOKUPS_PER_10_MIN = 120


@requires("reception")
async def reception(request: Request) -> Response:
    user = await current_staff(request)
    assert user is not None
    typed = request.query_params.get("code", "")[:40]
    code = normalise_code(typed)
    context: dict[str, object] = {"typed": typed, "code": code}
    status_code = 200
    if code:
        if not await limiter(request, "reception", LOOKUPS_PER_10_MIN, 600).allow(
            f"staff:{user.id}"
        ):
            context["problem"] = N_("Too many look-ups. Wait a few minutes and try again.")
            status_code = 429
        elif (r := await store.get(request.app.state.engine, code=code)) is None or not (
            await scope_of(request)
        ).allows(r.location):
            context["problem"] = N_(
                "No reservation has this access code. Check the code with the visitor."
            )
            status_code = 404
        else:
            catalog = await get_catalog(request.app)
            context["r"] = r
            context["facts"] = visit_facts(catalog, r, language_of(request))
    return page(request, "staff/reception.html", context, status_code=status_code)
