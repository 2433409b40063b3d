"""Web Push (RFC 8030 with VAPID, RFC 8292, and aes128gcm payloads, RFC 8291) through
pywebpush: the e-ticket page's "tell me on this phone" without a phone number.

The VAPID key pair is made once per installation and kept in the database (settings), so
every worker signs with the same key the browsers subscribed with.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any, cast

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import Setting

SET = cast(Table, Setting.__table__)
KEY = "vapid_private_pem"


class PushError(Exception):
    """The push service refused or could not be reached."""


class PushGone(PushError):
    """The subscription no longer exists (the visitor unsubscribed or the browser dropped it)."""


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


def valid_subscription(data: Any) -> dict[str, Any] | None:
    """A browser's PushSubscription.toJSON(), checked enough to be sent to; else None."""
    if not isinstance(data, dict):
        return None
    endpoint, keys = data.get("endpoint"), data.get("keys")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        return None
    if len(endpoint) > 1000 or not isinstance(keys, dict):
        return None
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not (isinstance(p256dh, str) and isinstance(auth, str) and len(p256dh) < 200):
        return None
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


@dataclass
class WebPushSender:
    key: Vapid02
    subject: str = "mailto:no-reply@localhost"  # who the push service can contact

    async def send(self, subscription: dict[str, Any], payload: dict[str, Any]) -> None:
        from pywebpush import WebPushException, webpush

        def post() -> None:
            webpush(
                subscription,
                json.dumps(payload, ensure_ascii=False),
                vapid_private_key=self.key,
                vapid_claims={"sub": self.subject},
                ttl=600,
                timeout=10,
            )

        try:
            await asyncio.to_thread(post)
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                raise PushGone(str(exc)) from exc
            raise PushError(str(exc)) from exc
        except OSError as exc:
            raise PushError(str(exc)) from exc
