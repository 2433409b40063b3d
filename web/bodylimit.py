"""A cap on every request body, counted while it streams in: 1 MiB unless the path is an
upload route with its own cap (``UPLOAD_CAPS``). A body declared larger is answered 413 before
a byte of it is read; one that grows past the cap while streaming is cut off there, 413 too.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.faults import store as faults_store
from web.helpdesk import store as helpdesk_store
from web.i18n import N_, language_of, translations

DEFAULT_CAP = 1024 * 1024
FORM_SLACK = 1024 * 1024  # the form's other fields and the multipart framing

# Upload routes: their files' own limits (the stores check each file again), plus the form.
UPLOAD_CAPS: tuple[tuple[re.Pattern[str], int], ...] = (
    # Helpdesk filing and chat messages: 10 files of 10 MiB.
    (
        re.compile(r"/helpdesk/(new|r/\d+/messages)"),
        helpdesk_store.MAX_FILES * helpdesk_store.MAX_FILE + FORM_SLACK,
    ),
    # A hub's sync push: 500 events and the day's snapshot.
    (re.compile(r"/api/v1/sync/events"), 4 * DEFAULT_CAP),
    # Fault reports, public form and staff filing: 5 photos of 5 MiB.
    (
        re.compile(r"/usterka|/usterki/new"),
        faults_store.MAX_FILES * faults_store.MAX_FILE + FORM_SLACK,
    ),
)


def cap_for(path: str) -> int:
    for pattern, cap in UPLOAD_CAPS:
        if pattern.fullmatch(path):
            return cap
    return DEFAULT_CAP


TOO_LARGE = N_("The request is too large. Send smaller files, or fewer at a time.")


class BodyTooLarge(Exception):
    """The body went past its cap while being read."""


def too_large(scope: Scope) -> Response:
    if scope["path"].startswith("/api/"):
        return JSONResponse({"error": "body_too_large"}, status_code=413)
    text = translations(language_of(Request(scope))).gettext(TOO_LARGE)
    return PlainTextResponse(text, status_code=413)


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = cap_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await too_large(scope)(scope, receive, send)
            return
        seen = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await too_large(scope)(scope, receive, send)
