"""docs/openapi.json is generated from the handlers' models, stays in step with them, and is
true to the server: a real `okienko web` is driven over HTTP through every documented
operation and every status it documents (refusals included), and each answer's body and
headers are checked against the document with jsonschema (OpenAPI 3.1 = JSON Schema 2020-12).
"""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.sitefile import write_site_file
from tests.support.webproc import Smtp, WebProcess, okienko, site_token, six_digit_code
from web.openapi import DOC, render
from web.reservations.booking import TZ

SITE = "test-site"
CONSENT = {"terms": True, "privacy": True}


def _doc() -> dict[str, Any]:
    return json.loads(DOC.read_text(encoding="utf-8"))


def test_committed_document_matches_the_code():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/openapi.json is stale: run `python -m web.openapi`"
    )


def test_the_drift_check_fails_on_a_stale_document(tmp_path: Path):
    assert okienko("openapi", "--check").returncode == 0
    stale = tmp_path / "openapi.json"
    stale.write_text(render().replace('"summary": "Hold an hour', '"summary": "Book an hour'))
    done = okienko("openapi", "--check", "--out", str(stale), check=False)
    assert done.returncode == 1 and "out of date" in done.stderr
    okienko("openapi", "--out", str(stale))
    assert stale.read_text(encoding="utf-8") == render()


def test_the_document_is_valid_openapi_3_1_with_both_bearer_schemes():
    doc = _doc()
    validate_openapi(doc)  # the OpenAPI 3.1 meta-schema, refs resolved
    assert doc["openapi"] == "3.1.0"
    schemes = doc["components"]["securitySchemes"]
    assert schemes["siteToken"] == schemes["siteToken"] | {"type": "http", "scheme": "bearer"}
    assert schemes["staffApiToken"]["scheme"] == "bearer"
    ops = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}
    assert ops["pushEvents"]["security"] == [{"siteToken": []}]
    assert ops["registerVisits"]["security"] == [{"staffApiToken": []}]
    # Open311 is referenced, not redescribed.
    assert not any(path.startswith("/open311") for path in doc["paths"])
    assert any(t["name"] == "open311" and "externalDocs" in t for t in doc["tags"])


# -- true to the server ---------------------------------------------------------------------


@dataclass
class Checker:
    """Sends requests, finds each one's operation in the document and checks its answer."""

    web: WebProcess
    doc: dict[str, Any]
    seen: set[tuple[str, int]] = field(default_factory=set)
    addresses: Iterator[int] = field(default_factory=lambda: iter(range(2, 250)))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        for template, item in self.doc["paths"].items():
            parts, asked = template.strip("/").split("/"), path.strip("/").split("/")
            if len(parts) == len(asked) and all(
                p == a or p.startswith("{") for p, a in zip(parts, asked, strict=True)
            ):
                if method in item:
                    return item[method]["operationId"], item[method]
        raise AssertionError(f"{method.upper()} {path} is not in the document")

    def client(self, *, fresh: bool = False) -> httpx.Client:
        """A client; ``fresh``: on its own loopback address, a new budget of per-IP limits."""
        transport = (
            httpx.HTTPTransport(local_address=f"127.0.0.{next(self.addresses)}") if fresh else None
        )
        return httpx.Client(base_url=self.web.url, transport=transport, timeout=30)

    def check(self, method: str, url: str, status: int, headers: httpx.Headers, body: bytes) -> Any:
        op_id, op = self.operation(method, urlsplit(url).path)
        answers = op["responses"]
        assert str(status) in answers, f"{op_id} answered {status}, undocumented: {body[:300]!r}"
        answer = answers[str(status)]
        assert headers["content-type"].startswith("application/json"), (op_id, status)
        data = json.loads(body)
        schema = {**answer["content"]["application/json"]["schema"], **self.doc}
        jsonschema.Draft202012Validator(schema).validate(data)
        for name, spec in answer.get("headers", {}).items():
            assert name in headers, (op_id, status, name)
            jsonschema.Draft202012Validator(spec["schema"]).validate(
                int(headers[name]) if spec["schema"]["type"] == "integer" else headers[name]
            )
        self.seen.add((op_id, status))
        return data

    def send(
        self,
        method: str,
        path: str,
        expect: int,
        *,
        client: httpx.Client | None = None,
        **kwargs: Any,
    ) -> Any:
        c = client or self.client()
        try:
            r = c.request(method.upper(), path, **kwargs)
        finally:
            if client is None:
                c.close()
        assert r.status_code == expect, (method, path, r.status_code, r.text[:500])
        return self.check(method, str(r.url), r.status_code, r.headers, r.content)

    def declared_too_large(self, path: str, size: int) -> Any:
        """A POST that declares ``size`` bytes and sends ten: refused (413) before it is read.
        Over a plain socket: an HTTP client would send the whole body first."""
        host, port = urlsplit(self.web.url).hostname, urlsplit(self.web.url).port
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {size}\r\nConnection: close\r\n\r\n0123456789".encode()
            )
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = httpx.Headers([tuple(line.split(": ", 1)) for line in lines[1:]])
        assert status == 413, raw[:300]
        return self.check("post", path, status, headers, body)


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    server = Smtp.start()
    yield server
    if server.controller.loop.is_running():  # the test stops it to see a code not sent
        server.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    tmp = tmp_path_factory.mktemp("openapi")
    site = write_site_file(tmp, SITE)
    proc = WebProcess.start(tmp, smtp_port=smtp.port, site=site)
    yield proc
    proc.stop()


def at(hour: int, days: int) -> str:
    day = datetime.now(TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ).isoformat()


def hold(checker: Checker, email: str, start: str, name: str = "Anna Nowak") -> str:
    body = {"service": "dowody", "start": start, "name": name, "contact": email, **CONSENT}
    return str(checker.send("post", "/api/v1/reservations", 201, json=body)["id"])


def book(
    checker: Checker, smtp: Smtp, email: str, start: str, name: str = "Anna Nowak"
) -> dict[str, Any]:
    rid = hold(checker, email, start, name)
    code = six_digit_code(smtp.inbox.wait_for(email)[-1])
    path = f"/api/v1/reservations/{rid}/confirm"
    return dict(checker.send("post", path, 200, json={"code": code}))


def test_staff_api_tokens_are_kept_as_digests_and_only_for_known_locations(web: WebProcess):
    refused = okienko(
        "staff-api-token",
        "create",
        "--name",
        "EZD",
        "--location",
        "nowhere",
        "--database-url",
        web.database_url,
        check=False,
    )
    assert refused.returncode == 2 and "no location 'nowhere'" in refused.stderr
    token = okienko(
        "staff-api-token", "create", "--name", "EZD-digest", "--database-url", web.database_url
    ).stdout.strip()
    assert token.startswith("okr_") and len(token) > 40

    async def rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
        async with engine.connect() as conn:
            found = await conn.execute(text("SELECT * FROM staff_api_tokens"))
            return [tuple(r) for r in found]

    stored = web.db(rows)
    assert not any(token in str(value) for row in stored for value in row)
    assert any(hashlib.sha256(token.encode()).hexdigest() in row for row in stored)


def test_every_documented_answer_comes_from_the_server_as_documented(web: WebProcess, smtp: Smtp):
    served = httpx.get(f"{web.url}/openapi.json")
    assert served.status_code == 200 and served.content == DOC.read_bytes()
    doc = served.json()
    c = Checker(web, doc)

    # -- booking: hold, confirm --
    booked = book(c, smtp, "anna@example.org", at(10, 2))
    assert booked["number"].startswith("R") and booked["manage_token"]
    smtp.inbox.wait_for("anna@example.org", 2)  # the code, then the confirmation
    c.send("post", "/api/v1/reservations", 422, json={"service": "dowody", "start": "jutro"})
    full = at(11, 2)
    for n in range(3):  # the slot's three places
        hold(c, f"rush{n}@example.org", full)
    body = {"service": "dowody", "start": full, "name": "Jan", "contact": "j@example.org"}
    c.send("post", "/api/v1/reservations", 409, json={**body, **CONSENT})
    c.declared_too_large("/api/v1/reservations", 2 * 1024 * 1024)
    with c.client(fresh=True) as one:
        for _ in range(20):  # okienko web's default: 20 per address per 10 minutes
            one.post("/api/v1/reservations", json={})
        c.send("post", "/api/v1/reservations", 429, json={}, client=one)

    rid = hold(c, "wrong@example.org", at(12, 2))
    confirm = f"/api/v1/reservations/{rid}/confirm"
    code = six_digit_code(smtp.inbox.wait_for("wrong@example.org")[-1])
    wrong = "000000" if code != "000000" else "111111"
    c.send("post", confirm, 422, json={"code": "12"})
    for left in (4, 3, 2, 1, 0):
        assert c.send("post", confirm, 400, json={"code": wrong})["attempts_left"] == left
    c.send("post", confirm, 410, json={"code": code})  # the hold is over: five wrong codes
    c.send("post", f"/api/v1/reservations/{'0' * 32}/confirm", 404, json={"code": "123456"})
    rid2 = hold(c, "twice@example.org", at(13, 2))
    code2 = six_digit_code(smtp.inbox.wait_for("twice@example.org")[-1])
    c.send("post", f"/api/v1/reservations/{rid2}/confirm", 200, json={"code": code2})
    c.send("post", f"/api/v1/reservations/{rid2}/confirm", 409, json={"code": code2})
    c.declared_too_large(f"/api/v1/reservations/{rid2}/confirm", 2 * 1024 * 1024)
    with c.client(fresh=True) as one:
        for _ in range(30):  # 30 code tries per address per 10 minutes
            one.post(f"/api/v1/reservations/{'1' * 32}/confirm", json={"code": "123456"})
        c.send("post", confirm, 429, json={"code": code}, client=one)

    # -- booking: the visit by its manage token --
    token = booked["manage_token"]
    visit = c.send("get", f"/api/v1/visits/{token}?lang=en", 200)
    assert visit["status"] == "confirmed" and visit["cancellable"] is True
    assert visit["access_code"] == booked["access_code"]
    c.send("get", "/api/v1/visits/no-such-token", 404)
    assert c.send("post", f"/api/v1/visits/{token}/cancel", 200)["status"] == "cancelled"
    assert c.send("post", f"/api/v1/visits/{token}/cancel", 200)["cancellable"] is False
    c.send("post", "/api/v1/visits/no-such-token/cancel", 404)
    past = book(c, smtp, "past@example.org", at(14, 2), name="Piotr Past")
    web.move_visit("Piotr Past", datetime.now(UTC) - timedelta(hours=1))  # it has begun
    c.send("post", f"/api/v1/visits/{past['manage_token']}/cancel", 409)
    c.declared_too_large(f"/api/v1/visits/{past['manage_token']}/cancel", 2 * 1024 * 1024)
    with c.client(fresh=True) as one:
        for _ in range(120):  # the visit page's budget: 120 per address per 10 minutes
            one.get("/api/v1/visits/no-such-token")
        c.send("get", f"/api/v1/visits/{token}", 429, client=one)
        c.send("post", f"/api/v1/visits/{token}/cancel", 429, client=one)

    # -- sync: a hub pushes a ticket, pulls reservations --
    hub_token = site_token(web.database_url, SITE)
    bearer = {"Authorization": f"Bearer {hub_token}"}
    issued = {
        "type": "ticket_issued",
        "at": datetime.now(UTC).isoformat(),
        "ticket_id": "t1",
        "token": "eticket-token-1",
        "service": "dowody",
        "seq": 1,
        "number": "A001",
        "kind": "walk_in",
    }
    push = {"site": SITE, "events": [{"seq": 1, "body": issued}]}
    assert c.send("post", "/api/v1/sync/events", 200, json=push, headers=bearer)["acked"] == 1
    c.send("post", "/api/v1/sync/events", 401, json=push)
    c.send("post", "/api/v1/sync/events", 401, json=push, headers={"Authorization": "Bearer x"})
    c.send("post", "/api/v1/sync/events", 409, json={**push, "site": "other"}, headers=bearer)
    bad = {"site": SITE, "events": [{"seq": 0, "body": {}}]}
    assert (
        "events.0.seq"
        in c.send("post", "/api/v1/sync/events", 422, json=bad, headers=bearer)["fields"]
    )
    c.declared_too_large("/api/v1/sync/events", 5 * 1024 * 1024)
    pulled = c.send("get", f"/api/v1/sync/reservations?after=0&site={SITE}", 200, headers=bearer)
    assert {i["code"] for i in pulled["items"]} >= {booked["access_code"]}
    c.send("get", "/api/v1/sync/reservations", 401)
    c.send("get", "/api/v1/sync/reservations?site=other", 409, headers=bearer)
    c.send("get", "/api/v1/sync/reservations?after=x", 422, headers=bearer)

    # -- the e-ticket --
    ticket = c.send("get", "/api/v1/etickets/eticket-token-1", 200)
    assert ticket["number"] == "A001" and ticket["status"] == "waiting"
    c.send("get", "/api/v1/etickets/no-such-ticket", 404)

    # -- the register for an EZD system --
    every = okienko(
        "staff-api-token", "create", "--name", "EZD", "--database-url", web.database_url
    ).stdout.strip()
    here = okienko(
        "staff-api-token",
        "create",
        "--name",
        "EZD-here",
        "--location",
        SITE,
        "--database-url",
        web.database_url,
    ).stdout.strip()
    day = (datetime.now(TZ).date() + timedelta(days=2)).isoformat()
    query = f"/api/v1/register/visits?location={SITE}&day={day}"
    auth = {"Authorization": f"Bearer {every}"}
    register = c.send("get", query, 200, headers=auth)
    assert register["location"] == SITE and register["day"] == day
    names = [v["name"] for v in register["visits"]]
    assert "Anna Nowak" in names and all("access_code" not in v for v in register["visits"])
    starts = [v["start"] for v in register["visits"]]
    assert starts == sorted(starts)
    c.send("get", query, 200, headers={"Authorization": f"Bearer {here}"})
    c.send("get", query, 401)
    c.send("get", query, 401, headers={"Authorization": f"Bearer {hub_token}"})  # a hub's
    c.send(
        "get",
        f"/api/v1/register/visits?location=elsewhere&day={day}",
        403,
        headers={"Authorization": f"Bearer {here}"},
    )
    c.send("get", f"/api/v1/register/visits?location=elsewhere&day={day}", 404, headers=auth)
    c.send("get", f"/api/v1/register/visits?location={SITE}&day=jutro", 422, headers=auth)
    okienko("staff-api-token", "revoke", "--name", "EZD-here", "--database-url", web.database_url)
    c.send("get", query, 401, headers={"Authorization": f"Bearer {here}"})
    with c.client() as one:
        for _ in range(120):  # per token's holder: 120 a minute
            one.get(query, headers=auth)
        c.send("get", query, 429, headers=auth, client=one)

    # -- the code cannot be sent: the mail server is down (the last use of it) --
    smtp.stop()
    with c.client(fresh=True) as one:
        body = {"service": "dowody", "start": at(15, 2), "name": "Xi", "contact": "x@e.org"}
        c.send("post", "/api/v1/reservations", 502, json={**body, **CONSENT}, client=one)

    documented = {
        (op["operationId"], int(status))
        for item in doc["paths"].values()
        for op in item.values()
        for status in op["responses"]
    }
    assert documented - c.seen == set(), "documented but never seen"
