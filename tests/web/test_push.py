"""Web Push as the protocol has it: a subscription made of a real P-256 key pair and auth
secret (what a browser makes), a local push service that checks the VAPID signature and
decrypts the aes128gcm payload with the subscriber's private key, and the real sender."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from web.db.engine import make_engine
from web.db.migrate import upgrade
from web.notify.push import (
    PushError,
    PushGone,
    PushRefused,
    WebPushSender,
    application_server_key,
    is_public,
    origin,
    public_endpoint,
    valid_subscription,
    vapid_key,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    gone: ClassVar[set[str]] = set()

    moved: ClassVar[dict[str, str]] = {}

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if self.path in self.moved:
            self.send_response(307)
            self.send_header("Location", self.moved[self.path])
        else:
            self.send_response(410 if self.path in self.gone else 201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    PushService.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PushService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def browser_subscription(
    endpoint: str,
) -> tuple[dict[str, object], ec.EllipticCurvePrivateKey, bytes]:
    """What a browser's PushManager.subscribe() makes: a key pair and an auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    return {"endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(auth)}}, private, auth


def verify_vapid(header: str, server_key: str) -> dict[str, object]:
    """RFC 8292: "vapid t=JWT, k=KEY"; the JWT is ES256-signed by the key given."""
    parts = dict(p.strip().split("=", 1) for p in header.removeprefix("vapid ").split(","))
    assert parts["k"] == server_key
    head, claims, signature = parts["t"].split(".")
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(parts["k"]))
    public.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{head}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    return dict(json.loads(unb64(claims)))


async def test_a_push_reaches_the_subscriber_signed_and_encrypted(service: str, tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}")
    await upgrade(engine)
    key = await vapid_key(engine)
    assert application_server_key(await vapid_key(engine)) == application_server_key(key)
    subscription, private, auth = browser_subscription(f"{service}/push/abc")
    assert valid_subscription(subscription) is None  # plain http: only when trusted
    checked = valid_subscription(subscription, frozenset({str(origin(service))}))
    assert checked is not None
    sender = WebPushSender(
        key, subject="mailto:no-reply@um.example", trusted=frozenset({str(origin(service))})
    )
    await sender.send(checked, {"title": "Bilet A012", "body": "Zapraszamy do stanowiska 3"})
    (headers, body) = PushService.received[-1]
    claims = verify_vapid(headers["authorization"], application_server_key(key))
    assert claims["sub"] == "mailto:no-reply@um.example" and str(claims["aud"]) == service
    assert headers["content-encoding"] == "aes128gcm"
    plain = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
    assert json.loads(plain)["body"] == "Zapraszamy do stanowiska 3"
    PushService.gone.add("/push/abc")
    with pytest.raises(PushGone):
        await sender.send(checked, {"title": "x", "body": "y"})
    await engine.dispose()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud's metadata service
        "100.64.0.1",  # shared (CGNAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "2001:db8::1",
        "not an address",
    ],
)
def test_a_private_link_local_or_reserved_address_is_not_public(address: str):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "142.250.74.110", "2001:4860:4860::8888"])
def test_a_public_unicast_address_is_public(address: str):
    assert is_public(address)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1/push",
        "https://10.0.0.1/push",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:8443/push",
        "https://[fe80::1]/push",
        "https://localhost/push",
        "http://8.8.8.8/push",  # public, but not https
    ],
)
async def test_a_sign_up_into_a_private_network_is_refused(endpoint: str):
    # Literal addresses and /etc/hosts only: nothing is resolved through the network.
    assert not await public_endpoint(endpoint)
    assert await public_endpoint("https://8.8.8.8/push")


def test_only_a_well_formed_subscription_of_a_browsers_push_service_is_kept():
    keys = {"p256dh": "a", "auth": "b"}
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QabC",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
    ):
        good = {"endpoint": endpoint, "keys": keys}
        assert valid_subscription(good) == good, endpoint
    for endpoint in (
        "https://push.example/x",  # any other host on the internet
        "https://fcm.googleapis.com.evil.example/x",
        "https://evilfcm.googleapis.com.example/x",
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "javascript:alert(1)",
    ):
        assert valid_subscription({"endpoint": endpoint, "keys": keys}) is None, endpoint
    trusted = frozenset({"http://127.0.0.1:9"})
    local = {"endpoint": "http://127.0.0.1:9/push/1", "keys": keys}
    assert valid_subscription(local, trusted) == local  # --push-allow
    assert valid_subscription({"endpoint": "https://x"}) is None
    assert valid_subscription("nonsense") is None


async def test_a_send_to_a_private_address_is_refused_without_connecting(
    service: str, tmp_path: Path
):
    """DNS rebinding: the sign-up's check passed, the name now leads to loopback. The send
    resolves again and refuses before any connection (the service hears nothing)."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}")
    await upgrade(engine)
    sender = WebPushSender(await vapid_key(engine))
    port = service.rsplit(":", 1)[1]
    for endpoint in (f"https://127.0.0.1:{port}/push/x", f"https://localhost:{port}/push/x"):
        subscription, _private, _auth = browser_subscription(endpoint)
        with pytest.raises(PushRefused):
            await sender.send(subscription, {"title": "x", "body": "y"})
    plain, _private, _auth = browser_subscription(f"{service}/push/x")
    with pytest.raises(PushRefused):  # plain http, not trusted
        await sender.send(plain, {"title": "x", "body": "y"})
    assert PushService.received == []
    await engine.dispose()


async def test_a_redirect_from_the_push_service_is_not_followed(service: str, tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}")
    await upgrade(engine)
    trusted = frozenset({str(origin(service))})
    sender = WebPushSender(await vapid_key(engine), trusted=trusted)
    PushService.moved = {"/push/away": f"{service}/push/elsewhere"}
    try:
        subscription, _private, _auth = browser_subscription(f"{service}/push/away")
        with pytest.raises(PushError):
            await sender.send(subscription, {"title": "x", "body": "y"})
    finally:
        PushService.moved = {}
    assert [h.get("host") for h, _b in PushService.received] == [service.split("//")[1]]
    await engine.dispose()
