"""The e-ticket's alerts reach the visitor: by Web Push (a browser-made subscription, a local
push service that checks the VAPID signature and decrypts the message) and by e-mail (real
SMTP), when N people are ahead and when the ticket is called."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

import http_ece
import httpx

from hub.contract import sync as contract
from tests.support.sitefile import write_site_file
from tests.support.webproc import Smtp, WebProcess, body_text, site_token
from tests.web.test_push import PushService, browser_subscription, verify_vapid


def event(seq: int, body: dict[str, object]) -> dict[str, object]:
    return {"seq": seq, "body": {"at": datetime.now(UTC).isoformat(), **body}}


def site_auth(web: WebProcess) -> dict[str, str]:
    token = site_token(web.database_url, "urzad")
    return {"Authorization": f"Bearer {token}"}


def issue_ticket(web: WebProcess, auth: dict[str, str], token: str, seq: int = 1) -> None:
    issued = {
        "type": "ticket_issued",
        "ticket_id": f"t{seq}",
        "token": token,
        "service": "dowody",
        "seq": seq,
        "number": "A007",
        "kind": "walk_in",
    }
    r = httpx.post(
        f"{web.url}{contract.PUSH_PATH}", json={"events": [event(seq, issued)]}, headers=auth
    )
    assert r.status_code == 200, r.text


def test_a_push_sign_up_into_our_own_network_is_refused(tmp_path: Path):
    """The SSRF as an attacker tries it: endpoints on loopback, by address and by name, over
    https and http, and public hosts that are no browser's push service (the cloud would
    post to them for the attacker). Every one is refused at sign-up (nothing is ever sent),
    and a ticket takes three sign-ups at most."""
    smtp = Smtp.start()
    # Trusted: one loopback origin nobody listens on, so the cap can be reached.
    web = WebProcess.start(
        tmp_path,
        smtp_port=smtp.port,
        site=write_site_file(tmp_path, "urzad"),
        extra=["--push-allow", "http://127.0.0.1:9"],
    )
    try:
        issue_ticket(web, site_auth(web), "tok-ssrf-1234567")
        with httpx.Client(base_url=web.url) as client:
            page = client.get("/e/tok-ssrf-1234567").text
            csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for endpoint in (
                f"http://127.0.0.1:{smtp.port}/",
                f"https://127.0.0.1:{smtp.port}/",
                "https://127.0.0.2/push",
                "https://localhost/push",
                "https://[::1]:443/push",
                "https://[::ffff:127.0.0.1]/push",
                "http://127.0.0.1:9.evil/push",
                "https://8.8.8.8/push",  # public, but nobody's push service
                "https://93.184.216.34/fcm.googleapis.com/x",
            ):
                subscription, _private, _secret = browser_subscription(endpoint)
                r = client.post(
                    "/e/tok-ssrf-1234567/push", json=subscription, headers={"X-CSRF-Token": csrf}
                )
                assert r.status_code == 422, (endpoint, r.status_code)
            answers = []
            for n in range(4):
                subscription, _private, _secret = browser_subscription(
                    f"http://127.0.0.1:9/push/{n}"
                )
                answers.append(
                    client.post(
                        "/e/tok-ssrf-1234567/push",
                        json=subscription,
                        headers={"X-CSRF-Token": csrf},
                    ).status_code
                )
            assert answers == [201, 201, 201, 429]
    finally:
        web.stop()
        smtp.stop()


def test_a_visitor_is_told_by_push_and_by_mail(tmp_path: Path):
    PushService.received = []
    service = ThreadingHTTPServer(("127.0.0.1", 0), PushService)
    threading.Thread(target=service.serve_forever, daemon=True).start()
    smtp = Smtp.start()
    web = WebProcess.start(
        tmp_path,
        smtp_port=smtp.port,
        site=write_site_file(tmp_path, "urzad"),
        extra=["--push-allow", f"http://127.0.0.1:{service.server_port}"],
    )
    try:
        auth = site_auth(web)
        issue_ticket(web, auth, "tok-push-123456")
        with httpx.Client(base_url=web.url) as client:
            page = client.get("/e/tok-push-123456").text
            key = re.search(r'data-key="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            subscription, private, secret = browser_subscription(
                f"http://127.0.0.1:{service.server_port}/push/visitor-1"
            )
            refused = client.post("/e/tok-push-123456/push", json=subscription)
            assert refused.status_code == 403  # no CSRF token, no subscription
            ok = client.post(
                "/e/tok-push-123456/push", json=subscription, headers={"X-CSRF-Token": csrf}
            )
            assert ok.status_code == 201
            form = client.post(
                "/e/tok-push-123456/alert",
                data={"contact": "ola@example.org", "ahead": "2", "csrf_token": csrf},
            )
            assert form.status_code == 303
        # Two people ahead: the mail says so.
        snapshot_queue = {
            "v": 1,
            "site": "urzad",
            "site_name": "Urząd",
            "at": datetime.now(UTC).isoformat(),
            "day": "2026-11-25",
            "services": [],
            "recent_calls": [],
            "counters": [
                {
                    "id": "s3",
                    "name": "Stanowisko 3",
                    "number": "3",
                    "status": "open",
                    "services": ["dowody"],
                }
            ],
            "building": {"inside": 0, "limit": None, "full": False},
            "voice": True,
        }
        snap = {
            "queue": snapshot_queue,
            "tickets": [{"token": "tok-push-123456", "ahead": 2, "wait_s": 300}],
        }
        r = httpx.post(
            f"{web.url}{contract.PUSH_PATH}", json={"events": [], "snapshot": snap}, headers=auth
        )
        assert r.status_code == 200, r.text
        (near,) = smtp.inbox.wait_for("ola@example.org", timeout=15)
        assert "A007" in body_text(near) and "2" in body_text(near)
        called = {"type": "ticket_called", "ticket_id": "t1", "counter": "s3", "call_no": 1}
        httpx.post(
            f"{web.url}{contract.PUSH_PATH}",
            json={"events": [event(2, called)], "snapshot": snap},
            headers=auth,
        )
        deadline = time.monotonic() + 15
        messages = []
        while time.monotonic() < deadline:
            messages = [
                json.loads(
                    http_ece.decrypt(
                        body, private_key=private, auth_secret=secret, version="aes128gcm"
                    )
                )
                for headers, body in PushService.received
            ]
            if any("stanowiska 3" in m["body"] for m in messages):
                break
            time.sleep(0.1)
        assert any(
            "Zapraszamy do stanowiska 3" in m["body"] or "zapraszamy do stanowiska 3" in m["body"]
            for m in messages
        ), messages
        verify_vapid(PushService.received[-1][0]["authorization"], key)
        assert messages[-1]["url"] == "/e/tok-push-123456"
        assert len(smtp.inbox.wait_for("ola@example.org", count=2)) == 2  # called, by mail too
    finally:
        web.stop()
        smtp.stop()
        service.shutdown()
