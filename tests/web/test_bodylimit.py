"""Request bodies are capped while they stream in, and a forged form is refused before its
body is read: raw HTTP against a real ``okienko web``, sending less than the headers promise
(a server that waited for the rest would never answer)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Iterator

import httpx
import pytest

from tests.support.webproc import Smtp, WebProcess
from web.bodylimit import DEFAULT_CAP, cap_for


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    smtp = Smtp.start()
    proc = WebProcess.start(tmp_path_factory.mktemp("bodylimit"), smtp_port=smtp.port)
    yield proc
    proc.stop()
    smtp.stop()


def raw_post(web: WebProcess, path: str, headers: dict[str, str], parts: Iterable[bytes]) -> int:
    """POST by hand; the answer's status. Sending stops when the server has closed."""
    port = int(web.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "127.0.0.1", **headers}.items())
        s.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode())
        try:
            for part in parts:
                s.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = s.recv(200)
    return int(answer.split(b" ", 2)[1])


def chunked(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield f"{n:x}\r\n".encode() + b"a" * n + b"\r\n"
        sent += n
    yield b"0\r\n\r\n"


def test_a_declared_giant_body_is_refused_before_it_is_read(web: WebProcess):
    # A gigabyte promised, ten bytes sent: the answer comes at once.
    for path in ("/api/v1/reservations", "/no/such/page", "/helpdesk/new"):
        status = raw_post(
            web,
            path,
            {"Content-Length": str(10**9), "Content-Type": "application/json"},
            [b"0123456789"],
        )
        assert status == 413, path


def test_a_streamed_body_is_cut_off_at_the_cap(web: WebProcess):
    # No length given: the API's reader is stopped once it passes 1 MiB.
    status = raw_post(
        web,
        "/api/v1/reservations",
        {"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        chunked(DEFAULT_CAP + 200 * 1024),
    )
    assert status == 413


def test_a_session_without_a_token_is_refused_before_its_body(web: WebProcess):
    # A body that never ends, on a path that does not exist, from a session never shown a
    # form: refused (403) without waiting for the body.
    status = raw_post(
        web,
        "/no/such/page",
        {"Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"},
        [b"5\r\nhello\r\n"],
    )
    assert status == 403


def test_a_form_of_a_session_with_a_token_is_capped_too(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        client.get("/signin")  # the session now holds a CSRF token
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    status = raw_post(
        web,
        "/signin",
        {
            "Transfer-Encoding": "chunked",
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
        },
        chunked(2 * DEFAULT_CAP),
    )
    assert status == 413


def test_upload_routes_have_their_own_cap():
    assert cap_for("/helpdesk/new") > 100 * DEFAULT_CAP
    assert cap_for("/helpdesk/r/12/messages") == cap_for("/helpdesk/new")
    assert cap_for("/usterka") > 25 * DEFAULT_CAP
    assert cap_for("/helpdesk/r/12/status") == DEFAULT_CAP
    assert cap_for("/usterka/s/abc/withdraw") == DEFAULT_CAP


def test_an_ordinary_form_still_works(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        page = client.get("/signin").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = client.post(
            "/signin", data={"email": "x@um.example", "password": "bad", "csrf_token": token}
        )
        assert r.status_code == 400  # wrong password, but the form went through
