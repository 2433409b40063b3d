"""Web Push (RFC 8030 with VAPID, RFC 8292, and aes128gcm payloads, RFC 8291): the e-ticket
page's "tell me on this phone" without a phone number. pywebpush encrypts; the POST is ours.

The VAPID key pair is made once per installation and kept in the database (settings), so
every worker signs with the same key the browsers subscribed with.

An endpoint comes from the visitor's browser, so it is untrusted: only https, only to the
browsers' own push services (KNOWN_SERVICES: Chrome's, Firefox's, Safari's, Edge's; a page
cannot make the cloud post to any other host on the internet), only to hosts whose every
address is public unicast (checked at sign-up and again at each send, on the very
address connected to, so DNS rebinding gains nothing), and no redirect is followed. An
installation may name exact origins it trusts anyway (``okienko web --push-allow``: a
development push service on this machine).
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import httpcore
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Setting

SET = cast(Table, Setting.__table__)
KEY = "vapid_private_pem"
MAX_ENDPOINT = 1000
# The push services browsers subscribe with, by host (the host itself or a subdomain):
# Chrome and other Chromium browsers, Firefox, Safari, Edge (Windows Push Notification).
KNOWN_SERVICES = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)


def known_service(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in KNOWN_SERVICES)


class PushError(Exception):
    """The push service refused or could not be reached."""


class PushGone(PushError):
    """The subscription no longer exists (the visitor unsubscribed or the browser dropped it)."""


class PushRefused(PushError):
    """The endpoint is not one this installation sends to (not https, not a public address)."""


async def vapid_key(engine: AsyncEngine) -> Vapid02:
    """The installation's VAPID key, created on first use (the first writer wins)."""
    async with engine.connect() as conn:
        pem = await conn.scalar(select(SET.c.value).where(SET.c.key == KEY))
    if pem is None:
        fresh = Vapid02()
        fresh.generate_keys()
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        async with engine.begin() as conn:
            await conn.execute(
                insert(SET)
                .values(key=KEY, value=fresh.private_pem().decode())
                .on_conflict_do_nothing()
            )
        async with engine.connect() as conn:
            pem = await conn.scalar(select(SET.c.value).where(SET.c.key == KEY))
    return Vapid02.from_pem(str(pem).encode())


def application_server_key(key: Vapid02) -> str:
    """The public key as browsers want it for PushManager.subscribe (base64url, no padding)."""
    raw = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def origin(url: str) -> str | None:
    """``scheme://host:port`` of ``url`` (lower case, port always written), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}".lower()


def is_public(address: str) -> bool:
    """Whether an IP address is public unicast: not loopback, private, link-local, shared
    (CGNAT), multicast, reserved or unspecified, nor one of those inside an IPv6 wrapper."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None and not is_public(str(inner)):
            return False
    return (
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_unspecified
    )


def valid_subscription(data: Any, trusted: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """A browser's PushSubscription.toJSON(), checked enough to be kept: an https endpoint
    of a known push service (or one of the ``trusted`` origins) with the two keys; else None.
    Where the host leads is checked by ``public_endpoint``."""
    if not isinstance(data, dict):
        return None
    endpoint, keys = data.get("endpoint"), data.get("keys")
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT:
        return None
    found = origin(endpoint)
    if found is None:
        return None
    if found not in trusted:
        host = urlsplit(endpoint).hostname or ""
        if not found.startswith("https://") or not known_service(host):
            return None
    if not isinstance(keys, dict):
        return None
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(p256dh, str) and isinstance(auth, str) and len(p256dh) < 200):
        return None
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


async def public_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, when all of them are public; else PushRefused
    (one private answer is enough to refuse: the connection could go to any of them)."""
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise PushRefused(f"push host does not resolve: {type(exc).__name__}") from None
    addresses = [str(info[4][0]) for info in found]
    if not addresses or not all(is_public(a) for a in addresses):
        raise PushRefused("push host is not a public address")
    return addresses


async def public_endpoint(url: str, trusted: frozenset[str] = frozenset()) -> bool:
    """Whether a sign-up's endpoint may be kept: a trusted origin, or https to a host whose
    every address is public. The send checks again (the answer may change)."""
    found = origin(url)
    if found is None:
        return False
    if found in trusted:
        return True
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname is None:
        return False
    try:
        await public_addresses(parts.hostname, parts.port or 443)
    except PushRefused:
        return False
    return True


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer, connecting only to the address it has just checked: the
    name is resolved here, every answer must be public, and the socket goes to that address
    (TLS still checks the certificate against the name). Trusted origins pass as they are."""

    def __init__(self, trusted: frozenset[tuple[str, int]] = frozenset()) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._trusted = trusted

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        if (host.lower(), port) in self._trusted:
            addresses = [host]
        else:
            addresses = await public_addresses(host, port)
        failure: Exception = PushError("no address")
        for address in addresses:  # e.g. IPv6 first, then IPv4: every one of them checked
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        raise PushRefused("no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@dataclass
class WebPushSender:
    key: Vapid02
    subject: str = "mailto:no-reply@localhost"  # who the push service can contact
    trusted: frozenset[str] = field(default_factory=frozenset)  # origins, see the module
    timeout_s: float = 10.0

    def _trusted_hosts(self) -> frozenset[tuple[str, int]]:
        hosts = set()
        for o in self.trusted:
            parts = urlsplit(o)
            if parts.hostname and parts.port:
                hosts.add((parts.hostname.lower(), parts.port))
        return frozenset(hosts)

    async def send(self, subscription: dict[str, Any], payload: dict[str, Any]) -> None:
        from pywebpush import WebPusher, WebPushException

        endpoint = str(subscription.get("endpoint", ""))
        if valid_subscription(subscription, self.trusted) is None:
            raise PushRefused("not an https endpoint")
        parts = urlsplit(endpoint)
        aud = f"{parts.scheme}://{parts.netloc}"
        try:
            body = WebPusher(subscription).encode(
                json.dumps(payload, ensure_ascii=False).encode(), "aes128gcm"
            )["body"]
        except WebPushException as exc:
            raise PushError(str(exc)) from exc
        claims = {"sub": self.subject, "aud": aud, "exp": int(time.time()) + 12 * 3600}
        headers = {
            **self.key.sign(claims),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": "600",
        }
        extensions = {
            "timeout": dict.fromkeys(("connect", "read", "write", "pool"), self.timeout_s)
        }
        # httpcore follows no redirects: a 3xx is an answer like any other, and refused below.
        async with httpcore.AsyncConnectionPool(
            network_backend=PublicOnlyBackend(self._trusted_hosts())
        ) as pool:
            try:
                response = await pool.request(
                    "POST", endpoint, headers=headers, content=body, extensions=extensions
                )
            except PushRefused:
                raise
            except (
                httpcore.TimeoutException,
                httpcore.NetworkError,
                httpcore.ProtocolError,
                httpcore.UnsupportedProtocol,
                OSError,
            ) as exc:
                raise PushError(type(exc).__name__) from exc
        if response.status in (404, 410):
            raise PushGone(f"push service answered {response.status}")
        if not 200 <= response.status <= 202:
            raise PushError(f"push service answered {response.status}")
