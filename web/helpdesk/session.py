"""The signed-in helpdesk user, kept in the same signed cookie as the booking staff but under
keys of its own (a person may be both): a server-side session's token (web/identity/sessions.py:
the installation's idle limit, ``okienko web --idle-logout``, 60 minutes by default; 12 hours
at most; ended on the server by signing out) and the account's session epoch."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from web.faults import store as fault_store
from web.helpdesk import tables as t
from web.helpdesk.domain import Actor, Role
from web.identity import sessions
from web.identity.accounts import with_account

IDLE_S = 60 * 60
KEYS = ("hd_sid", "hd_epoch", "hd_uid", "faults")


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


async def sign_in(request: Request, row: object) -> None:
    """The helpdesk share of the one signed-in session (web/identity/signin_page.py starts it
    afresh and ends it for every part at once); ``faults`` tells the one navigation that the
    person has a role in the fault reports (their pages check it again)."""
    engine = request.app.state.engine
    request.session["hd_sid"] = await sessions.start(
        engine,
        sessions.HELPDESK,
        row.id,  # type: ignore[attr-defined]
    )
    request.session["hd_epoch"] = row.session_epoch  # type: ignore[attr-defined]
    request.session["hd_uid"] = row.id  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        actor = await fault_store.actor_of(conn, row.id, row.role)  # type: ignore[attr-defined]
    request.session["faults"] = actor is not None


async def sign_out(request: Request) -> None:
    """Ends the session on the server: a copy of the cookie is dead too."""
    await sessions.end(request.app.state.engine, request.session.get("hd_sid"))
    _forget(request)


def _forget(request: Request) -> None:
    for key in (*KEYS, "hd_inactive"):
        request.session.pop(key, None)


async def _deactivated(engine: Any, account: object) -> bool:
    if not isinstance(account, int):
        return False
    async with engine.connect() as conn:
        active = await conn.scalar(select(t.users.c.active).where(t.users.c.id == account))
    return active is False


async def current_user(request: Request) -> HelpdeskUser | None:
    if "hd_user" in request.scope:
        return request.scope["hd_user"]  # type: ignore[no-any-return]
    session, user = request.session, None
    engine = request.app.state.engine
    live = await sessions.find(
        engine, sessions.HELPDESK, session.get("hd_sid"), idle_limit(request)
    )
    if live is not None:
        async with engine.connect() as conn:
            row = (
                await conn.execute(with_account(t.users).where(t.users.c.id == live.account_id))
            ).first()
        if row is not None and row.active and row.session_epoch == session.get("hd_epoch"):
            user = HelpdeskUser(row.id, row.email, row.name, Role(row.role), row.unit_id)
    if user is None and "hd_sid" in session:
        # Not idle but deactivated (its sessions were ended with it): the sign-in page says so.
        deactivated = await _deactivated(engine, session.get("hd_uid"))
        await sign_out(request)
        request.scope["hd_signed_out_deactivated" if deactivated else "hd_signed_out_idle"] = True
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
                return RedirectResponse(f"/signin?next={quote(target)}{why}", status_code=303)
            if admin and not user.is_admin:
                from web.templating import render

                return render(request, "errors/403.html", status_code=403)
            return await endpoint(request)

        return guarded

    return wrap
