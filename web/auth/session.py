"""The signed-in staff member: a signed session cookie holds the account id, the account's
session epoch and the last activity; idle for longer than the idle limit means signed out.

``@requires("permission")`` guards a staff endpoint: anonymous → the sign-in page (coming back
afterwards), signed in without the permission → 403.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote

from sqlalchemy import Table, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.roles import allowed
from web.db.models import Staff

T = cast(Table, Staff.__table__)
IDLE_S_DEFAULT = 60 * 60


@dataclass(frozen=True)
class StaffUser:
    id: int
    email: str
    name: str
    role: str
    location_id: str | None
    service_point_id: str | None

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)


def sign_in(request: Request, row: object) -> None:
    session = request.session
    csrf = session.get("csrf")
    session.clear()  # a fresh session: nothing from before the sign-in carries over
    if csrf:
        session["csrf"] = csrf
    session["staff"] = row.id  # type: ignore[attr-defined]
    session["epoch"] = row.session_epoch  # type: ignore[attr-defined]
    session["seen"] = int(time.time())


def sign_out(request: Request) -> None:
    request.session.clear()


async def current_staff(request: Request) -> StaffUser | None:
    """The staff member of this request, or None (and the session forgotten) when signed
    out, idle too long, deactivated or the password changed since."""
    if "staff" in request.scope:
        return cast(StaffUser | None, request.scope["staff"])
    user = None
    session = request.session
    idle = int(getattr(request.app.state, "idle_logout_s", IDLE_S_DEFAULT))
    now = int(time.time())
    if "staff" in session and now - int(session.get("seen", 0)) <= idle:
        async with request.app.state.engine.connect() as conn:
            row = (await conn.execute(select(T).where(T.c.id == session["staff"]))).first()
        if row is not None and row.active and row.session_epoch == session.get("epoch"):
            user = StaffUser(
                row.id, row.email, row.name, row.role, row.location_id, row.service_point_id
            )
            session["seen"] = now
    if user is None and "staff" in session:
        for key in ("staff", "epoch", "seen"):
            session.pop(key, None)
        request.scope["signed_out_idle"] = True
    request.scope["staff"] = user
    return user


Endpoint = Callable[[Request], Awaitable[Response]]


def requires(permission: str) -> Callable[[Endpoint], Endpoint]:
    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = await current_staff(request)
            if user is None:
                target = quote(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/staff/login?next={target}", status_code=303)
            if not user.can(permission):
                from web.templating import render

                return render(request, "errors/403.html", status_code=403)
            return await endpoint(request)

        return guarded

    return wrap
