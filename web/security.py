"""CSRF protection for every form (the security headers: web/headers.py).

A per-session random token goes into each form (``{{ csrf_token() }}``); the middleware refuses
any POST/PUT/PATCH/DELETE outside ``/api/`` whose form field ``csrf_token`` (or header
``X-CSRF-Token``) does not match the session's. The JSON API under ``/api/`` uses no cookies,
so a forged request there carries no authority.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT_PREFIXES = ("/api/", "/open311/")
FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    session: dict[str, Any] = request.scope.setdefault("session", {})
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


class CsrfMiddleware:
    """Sits inside SessionMiddleware. A session without a token is refused at once; a token
    in the header lets the body stream; a form's token means reading the body once and
    replaying it to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in UNSAFE
            or scope["path"].startswith(EXEMPT_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get("csrf")
        if not expected:  # no form of ours was ever shown to this session: the body is not read
            await _refuse(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-csrf-token")
        if given is not None:  # the header says it all: the body streams on to the app
            if not hmac.compare_digest(str(expected), given):
                await _refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # A form's token is in its body: read once (BodyLimit caps it) and replayed to the app.
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(scope, replay).form()
            value = form.get(FIELD)
            given = value if isinstance(value, str) else None
        except Exception:  # a body that is no form is no token either
            given = None
        if not given or not hmac.compare_digest(str(expected), given):
            await _refuse(scope, replay, send)
            return
        await self.app(scope, replay, send)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    from web.templating import render

    request = Request(scope, receive)
    try:
        response = render(request, "errors/csrf.html", status_code=403)
    except Exception:
        response = HTMLResponse("Formularz wygasł. Wróć i wyślij go ponownie.", status_code=403)
    await response(scope, receive, send)
