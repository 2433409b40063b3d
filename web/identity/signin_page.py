"""The one sign-in page and the one sign-out of every part.

``/signin`` asks every part for the e-mail's account (web/identity/signin.py) and signs in to
all the password opens, in one session: the signed cookie is cleared first (nothing from before
the sign-in carries over) and each part adds its server-side session (web/identity/sessions.py).
``next`` keeps the page the user came from; when the password opens no account of that part,
the user lands on the home of a part it does open. ``/signout`` ends every part's session.

The parts' old addresses stay: ``/staff/login`` and ``/helpdesk/login`` go to ``/signin``
with the part's home as ``next``; their sign-outs are this one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.i18n import _
from web.identity import audit, parts, redirect, sessions, signin
from web.templating import render

PAGE = "identity/signin.html"
SESSION_KEYS = {"staff": "staff_sid", "helpdesk": "hd_sid"}


def _next(target: str | None) -> str:
    return redirect.safe_next(target, "")


def landing(target: str, realms: list[str]) -> str:
    """``target`` when the sign-in opened its part, else the home of the first part opened."""
    part = parts.part_of(target)
    if part is not None and part.realm in realms:
        return target
    return parts.every()[realms[0]].home


async def begin(request: Request, rows: dict[str, Any]) -> None:
    """One fresh session holding every part's share (``rows``: each part's account row)."""
    session, every = request.session, parts.every()
    csrf = session.get("csrf")
    for key in SESSION_KEYS.values():  # they end on the server too, not only here
        await _end(request, session.get(key))
    session.clear()
    if csrf:
        session["csrf"] = csrf
    for realm, row in rows.items():
        await every[realm].sign_in(request, row)
    session["parts"] = list(rows)


async def _end(request: Request, token: Any) -> None:
    await sessions.end(request.app.state.engine, token)


def page(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    target = context.get("next", "")
    part = parts.part_of(target)
    query = request.query_params
    return render(
        request,
        PAGE,
        {
            "oidc_part": part.realm if part else "staff",
            "idle": request.scope.get("signed_out_idle")
            or request.scope.get("hd_signed_out_idle")
            or query.get("idle") == "1",
            "deactivated": request.scope.get("hd_signed_out_deactivated")
            or query.get("deactivated") == "1",
            "notice": query.get("done") == "password",
            **context,
        },
        status_code=status_code,
    )


async def signin_page(request: Request) -> Response:
    target = _next(request.query_params.get("next"))
    for part in parts.every().values():
        here = not target or target.startswith(part.prefixes)
        if await part.current(request) is not None and here:
            return RedirectResponse(target or part.home, status_code=303)
    return page(request, {"next": target})


async def signin_post(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:200]
    password = str(form.get("password", ""))[:500]
    target = _next(str(form.get("next", "")))
    came_from = parts.part_of(target)
    realm = came_from.realm if came_from else "signin"
    answer = await signin.check(request, email, password, realm)
    if not answer.accounts:
        wait = {"Retry-After": str(answer.retry_after)} if answer.retry_after else None
        context = {"next": target, "email": email, "error": _(answer.error)}
        response = page(request, context, answer.status)
        response.headers.update(wait or {})
        return response
    await begin(request, answer.accounts)
    return RedirectResponse(landing(target, list(answer.accounts)), status_code=303)


async def signout(request: Request) -> Response:
    for part in parts.every().values():
        user = await part.current(request)
        if user is not None:
            await audit.record(request, part.realm, audit.Outcome.SIGNED_OUT, user.email, user.id)
    for key in SESSION_KEYS.values():
        await _end(request, request.session.get(key))
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


def _old_page(home: str):  # type: ignore[no-untyped-def]
    async def moved(request: Request) -> Response:
        query = dict(request.query_params)
        query["next"] = _next(query.get("next")) or home
        return RedirectResponse(f"/signin?{urlencode(query, safe='/')}", status_code=303)

    return moved


routes = [
    Route("/signin", signin_page, methods=["GET"]),
    Route("/signin", signin_post, methods=["POST"]),
    Route("/signout", signout, methods=["POST"]),
    Route("/staff/login", _old_page("/staff/"), methods=["GET"]),
    Route("/staff/logout", signout, methods=["POST"]),
    Route("/helpdesk/login", _old_page("/helpdesk/"), methods=["GET"]),
    Route("/helpdesk/logout", signout, methods=["POST"]),
]
