"""The signed-in staff member: the signed cookie holds a server-side session's token
(web/identity/sessions.py: idle limit, 12-hour lifetime, ended by signing out) and the account's
session epoch (the account's: moved on by a password change, in any part).

``@requires("permission")`` guards a staff endpoint: anonymous → the sign-in page (coming back
afterwards), signed in without the permission → 403.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote

from sqlalchemy import Table
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.auth.roles import allowed
from web.db.models import Staff
from web.identity import sessions
from web.identity.accounts import with_account

T = cast(Table, Staff.__table__)  # a person's staff role, under their account
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


KEYS = ("staff_sid", "epoch")


async def sign_in(request: Request, row: object) -> None:
    """The staff share of the one signed-in session (web/identity/signin_page.py starts it
    afresh and ends it for every part at once)."""
    request.session["staff_sid"] = await sessions.start(
        request.app.state.engine,
        sessions.STAFF,
        row.id,  # type: ignore[attr-defined]
    )
    request.session["epoch"] = row.session_epoch  # type: ignore[attr-defined]


async def current_staff(request: Request) -> StaffUser | None:
    """The staff member of this request, or None (and the session forgotten) when signed
    out, idle too long, deactivated or the password changed since."""
    if "staff" in request.scope:
        return cast(StaffUser | None, request.scope["staff"])
    user = None
    session = request.session
    idle = int(getattr(request.app.state, "idle_logout_s", IDLE_S_DEFAULT))
    engine = request.app.state.engine
    live = await sessions.find(engine, sessions.STAFF, session.get("staff_sid"), idle)
    if live is not None:
        async with engine.connect() as conn:
            row = (await conn.execute(with_account(T).where(T.c.id == live.account_id))).first()
        if row is not None and row.active and row.session_epoch == session.get("epoch"):
            user = StaffUser(
                row.id, row.email, row.name, row.role, row.location_id, row.service_point_id
            )
    if user is None and "staff_sid" in session:
        for key in KEYS:
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
                return RedirectResponse(f"/signin?next={target}", status_code=303)
            if not user.can(permission):
                from web.templating import render

                return render(request, "errors/403.html", status_code=403)
            return await endpoint(request)

        return guarded

    return wrap
