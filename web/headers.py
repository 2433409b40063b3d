"""Headers every response carries: no sniffing, no framing, a same-origin referrer, a
Content-Security-Policy that lets a page load only from this host (and from the tile server the
office configured for the fault form's map, RODO: no visitor's browser talks to a third party
the office did not choose), and ``Cache-Control: no-store`` on everything that is not a static
file, so no signed-in page, form or personal data stays in a browser's or a proxy's cache.

A response that sets a header itself keeps it (the information board allows framing, the service
worker is ``no-cache``); a CSP of its own gets the directives it does not name from ours.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.faults.settings import of as fault_settings

STATIC_PREFIX = "/static/"
FIXED = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


def tile_source(template: str) -> str:
    """The CSP source of an XYZ tile URL template: its origin, ``{s}`` subdomains as ``*``."""
    parts = urlsplit(template.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}"


def policy(tiles: str | None) -> str:
    images = "'self'" + (f" {tile_source(tiles)}" if tiles else "")
    return "; ".join(
        (
            "default-src 'self'",
            f"img-src {images}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def merged(own: str, ours: str) -> str:
    """The response's own CSP, completed with our directives it does not name."""
    named = {d.strip().split(" ", 1)[0].lower() for d in own.split(";") if d.strip()}
    extra = [d for d in ours.split("; ") if d.split(" ", 1)[0] not in named]
    return "; ".join([own.strip().rstrip(";"), *extra])


HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts  # only when the cloud is served over https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = fault_settings(scope["app"]) if "app" in scope else None
        tiles = settings.map.tiles if settings is not None and settings.map else None
        ours = policy(tiles)
        static = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in FIXED:
                    headers.setdefault(key.decode(), value.decode())
                own = headers.get("content-security-policy")
                headers["content-security-policy"] = merged(own, ours) if own else ours
                # A page that sets its own frame-ancestors (the information board, meant for
                # the office's website too) is not denied framing by the older header either.
                if not (own and "frame-ancestors" in own):
                    headers.setdefault("x-frame-options", "DENY")
                if not static:
                    headers.setdefault("cache-control", "no-store")
                if self.hsts:
                    headers.setdefault("strict-transport-security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
