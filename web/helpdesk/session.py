"""The signed-in helpdesk user, kept in the same signed cookie as the booking staff but under
keys of its own (a person may be both): account id, session epoch and last activity. Idle for
longer than the installation's limit (``okienko web --idle-logout``, 60 minutes by default)
means signed out."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.helpdesk import tables as t
from web.helpdesk.domain import Actor, Role

IDLE_S = 60 * 60
KEYS = ("hd_user", "hd_epoch", "hd_seen")


@dataclass(frozen=True)
class HelpdeskUser:
    id: int
    email: str
    name: str
    role: Role
    unit_id: int | None

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role, self.unit_id)

    @property
    def is_staff(self) -> bool:
        return self.actor.is_staff

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def idle_limit(request: Request) -> int:
    """Seconds of inactivity before signing out: the one limit the installation sets for all
    its staff (create_app's ``idle_logout_s``), so the helpdesk cannot drift from it."""
    return int(getattr(request.app.state, "idle_logout_s", IDLE_S))


def sign_in(request: Request, row: object) -> None:
    for key in KEYS:
        request.session.pop(key, None)
    request.session["hd_user"] = row.id  # type: ignore[attr-defined]
    request.session["hd_epoch"] = row.session_epoch  # type: ignore[attr-defined]
    request.session["hd_seen"] = int(time.time())


def sign_out(request: Request) -> None:
    for key in (*KEYS, "hd_inactive"):
        request.session.pop(key, None)


async def current_user(request: Request) -> HelpdeskUser | None:
    if "hd_user" in request.scope:
        return request.scope["hd_user"]  # type: ignore[no-any-return]
    session, user = request.session, None
    idle = idle_limit(request)
    now = int(time.time())
    if "hd_user" in session and now - int(session.get("hd_seen", 0)) <= idle:
        async with request.app.state.engine.connect() as conn:
            row = (
                await conn.execute(select(t.users).where(t.users.c.id == session["hd_user"]))
            ).first()
        if row is not None and row.active and row.session_epoch == session.get("hd_epoch"):
            user = HelpdeskUser(row.id, row.email, row.name, Role(row.role), row.unit_id)
            session["hd_seen"] = now
        elif row is None or not row.active:
            # Not idle: the administrator deactivated the account (the sign-in page says so).
            request.scope["hd_signed_out_deactivated"] = True
    if user is None and "hd_user" in session:
        sign_out(request)
        if not request.scope.get("hd_signed_out_deactivated"):
            request.scope["hd_signed_out_idle"] = True
    request.scope["hd_user"] = user
    return user


Endpoint = Callable[[Request], Awaitable[Response]]


def signed_in(*, admin: bool = False) -> Callable[[Endpoint], Endpoint]:
    """Anonymous → the sign-in page (coming back afterwards); not an admin → 403."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                # The sign-in page says why: this request is the one that found the session idle.
                why = ""
                if request.scope.get("hd_signed_out_deactivated"):
                    why = "&deactivated=1"
                elif request.scope.get("hd_signed_out_idle"):
                    why = "&idle=1"
                return RedirectResponse(
                    f"/helpdesk/login?next={quote(target)}{why}", status_code=303
                )
            if admin and not user.is_admin:
                from web.templating import render

                return render(request, "errors/403.html", status_code=403)
            return await endpoint(request)

        return guarded

    return wrap
