"""Whose visits a staff account sees and changes: every location's, or only its own
location's (an account without a location then sees none). Set per account by the
administrator; by default managers and administrators see all (web/auth/roles.py).

Every staff page that reads or changes a visit asks here: the register's search, a visit's
page and its actions, moving it, the plan and the docket, reception's look-up, booking for a
caller. A visit outside the scope is answered as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select
from starlette.requests import Request

from web.auth.session import current_staff
from web.catalog import Catalog, PointInfo
from web.db.models import Reservation, Staff
from web.reservations import store
from web.staff.common import points_for_staff

T = cast(Table, Staff.__table__)


@dataclass(frozen=True)
class VisitScope:
    location: str | None  # None: every location; "": none (no location set)

    @property
    def everywhere(self) -> bool:
        return self.location is None

    def allows(self, location: str) -> bool:
        return self.location is None or (bool(self.location) and location == self.location)


async def scope_of(request: Request) -> VisitScope:
    """The signed-in account's scope (read once per request)."""
    if "visit_scope" in request.scope:
        return cast(VisitScope, request.scope["visit_scope"])
    user = await current_staff(request)
    found = VisitScope("")
    if user is not None:
        async with request.app.state.engine.connect() as conn:
            everywhere = await conn.scalar(select(T.c.all_locations).where(T.c.id == user.id))
        found = VisitScope(None if everywhere else (user.location_id or ""))
    request.scope["visit_scope"] = found
    return found


async def visit_in_scope(request: Request, reservation_id: str) -> Reservation | None:
    """The reservation when the account may see it, else None (as if there were none)."""
    r = await store.get(request.app.state.engine, reservation_id=reservation_id)
    if r is None or not (await scope_of(request)).allows(r.location):
        return None
    return r


def points_in_scope(
    catalog: Catalog, scope: VisitScope, prefer: str | None = None
) -> list[PointInfo]:
    """The desks whose visits the account may see (``prefer``: its location's first choice,
    as ``points_for_staff``)."""
    return [p for p in points_for_staff(catalog, prefer) if scope.allows(p.location)]
