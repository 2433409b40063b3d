"""How many live streams (server-sent events) one client address may hold open at once.

Each open stream costs a connection and a database read on every change of its site, so one
address cannot open them by the thousand; a visitor's phone needs one, an office hall behind one
address some dozens. The count is per worker process (a stream lives in one) and forgets an
address when its last stream ends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import request_response
from starlette.types import ASGIApp, Receive, Scope, Send

PER_CLIENT_DEFAULT = 40
Endpoint = Callable[[Request], Awaitable[Response]]


class OpenStreams:
    def __init__(self, per_client: int = PER_CLIENT_DEFAULT) -> None:
        self.per_client = per_client
        self.open: dict[str, int] = {}

    def take(self, client: str) -> bool:
        held = self.open.get(client, 0)
        if held >= self.per_client:
            return False
        self.open[client] = held + 1
        return True

    def give_back(self, client: str) -> None:
        held = self.open.get(client, 0) - 1
        if held > 0:
            self.open[client] = held
        else:
            self.open.pop(client, None)


class Bounded:
    """An endpoint whose responses count as open streams of the client for as long as they
    run: the slot is taken before the endpoint and given back when the response has ended,
    however it ends (finished, disconnected, cancelled)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.app: ASGIApp = request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streams: OpenStreams = scope["app"].state.open_streams
        client = Request(scope).client
        address = client.host if client else "?"
        if not streams.take(address):
            refused = JSONResponse(
                {"error": "too_many_streams"}, status_code=429, headers={"Retry-After": "60"}
            )
            await refused(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            streams.give_back(address)
