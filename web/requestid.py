"""A request id on every answer (X-Request-Id) and on every log line written while the request
is handled: the proxy's id when it sends a sane one (nginx's $request_id), else a new one, so
one request's lines can be found together in journald or ELK and matched to the proxy's log."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-Id"
CURRENT: ContextVar[str | None] = ContextVar("request_id", default=None)
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # never a line break or a quote into the logs


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(HEADER, "")
        rid = given if _SANE.fullmatch(given) else uuid.uuid4().hex

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        token = CURRENT.set(rid)
        try:
            await self.app(scope, receive, with_id)
        finally:
            CURRENT.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (None outside a request) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = CURRENT.get()
        return True
