"""Staff sign-in over real HTTP against `okienko web`: argon2 accounts, CSRF on the form, a
wrong password refused, idle sessions signed out, roles limiting pages."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.webproc import Smtp, WebProcess, csrf_of


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebProcess]:
    smtp = Smtp.start()
    proc = WebProcess.start(
        tmp_path_factory.mktemp("staff"), smtp_port=smtp.port, extra=["--idle-logout", "2"]
    )
    proc.add_staff("admin@um.example", "administrator")
    proc.add_staff("rec@um.example", "reception")
    yield proc
    proc.stop()
    smtp.stop()


def sign_in(client: httpx.Client, email: str, password: str = "Haslo-testowe-1") -> httpx.Response:
    token = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"email": email, "password": password, "csrf_token": token})


def test_a_form_without_its_csrf_token_is_refused(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        client.get("/signin")
        r = client.post(
            "/signin", data={"email": "admin@um.example", "password": "Haslo-testowe-1"}
        )
        assert r.status_code == 403 and "Formularz wygasł" in r.text
        assert (
            "staff"
            not in client.get("/staff/", follow_redirects=False).headers.get("location", "staff")
            or client.get("/staff/", follow_redirects=False).status_code == 303
        )


def test_sign_in_with_the_right_password_only(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        r = sign_in(client, "admin@um.example", "wrong-password-1")
        assert r.status_code == 400 and "Nieprawidłowy e-mail lub hasło" in r.text
        r = sign_in(client, "admin@um.example")
        assert r.status_code == 303 and r.headers["location"] == "/staff/"
        home = client.get("/staff/")
        assert home.status_code == 200 and "Administracja" in home.text


def test_roles_limit_pages_and_an_idle_session_ends(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        assert sign_in(client, "rec@um.example").status_code == 303
        home = client.get("/staff/")
        assert "Recepcja" in home.text and "Administracja" not in home.text
        time.sleep(3)  # the test server signs out after 2 s idle
        r = client.get("/staff/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_no_stack_trace_reaches_a_visitor(web: WebProcess):
    r = httpx.get(f"{web.url}/no/such/page")
    assert r.status_code == 404 and "Nie znaleziono strony" in r.text
    assert "Traceback" not in r.text


def test_switching_language_keeps_where_you_are(web: WebProcess):
    import re

    page = httpx.get(f"{web.url}/signin", params={"next": "/staff/register"}).text
    english = re.search(r'href="([^"]*lang=en[^"]*)"', page)
    assert english and "next=%2Fstaff%2Fregister" in english.group(1)
    r = httpx.get(english.group(1).replace("&amp;", "&"))
    assert "Sign in to Okienko" in r.text and 'value="/staff/register"' in r.text


def test_a_wrong_password_is_explained_in_the_pages_language(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/signin", params={"lang": "en"}).text)
        r = client.post(
            "/signin",
            data={"email": "admin@um.example", "password": "nope-nope-1", "csrf_token": token},
        )
        assert r.status_code == 400 and "Wrong e-mail or password." in r.text


def from_address(web: WebProcess, address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8)."""
    return httpx.Client(base_url=web.url, transport=httpx.HTTPTransport(local_address=address))


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(web: WebProcess):
    """The lockout as a weapon: a stranger at 127.0.0.2 tries fifteen wrong passwords for
    the administrator. The stranger is slowed (after three, each try must wait, and Retry-After
    says how long); the administrator at 127.0.0.1 signs in at once."""
    web.add_staff("szef@um.example", "administrator")
    with from_address(web, "127.0.0.2") as stranger:
        answers = [sign_in(stranger, "szef@um.example", f"zgaduje-{i}") for i in range(15)]
    codes = [r.status_code for r in answers]
    assert codes[:3] == [400, 400, 400], codes
    assert 429 in codes and set(codes) <= {400, 429}, codes
    assert all(int(r.headers["retry-after"]) >= 1 for r in answers if r.status_code == 429)
    with from_address(web, "127.0.0.1") as owner:
        assert sign_in(owner, "szef@um.example").status_code == 303


def test_successful_sign_ins_are_not_counted(web: WebProcess):
    web.add_staff("czesto@um.example", "reception")
    codes = []
    for _ in range(12):  # a fresh browser each time, from one address
        with from_address(web, "127.0.0.3") as client:
            codes.append(sign_in(client, "czesto@um.example").status_code)
    assert codes == [303] * 12


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example/"]
)
def test_the_sign_in_never_sends_the_user_to_another_site(web: WebProcess, target: str):
    # The attack: a link to the real sign-in page whose `next` leads to a look-alike site.
    with httpx.Client(base_url=web.url) as client:
        page = client.get("/signin", params={"next": target})
        # The form never carries the target (the language links keep the query as it was, on
        # this site): the sign-in lands on the home of the part the password opens.
        assert 'name="next" value=""' in page.text
        token = csrf_of(page.text)
        r = client.post(
            "/signin",
            data={
                "email": "admin@um.example",
                "password": "Haslo-testowe-1",
                "next": target,
                "csrf_token": token,
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/staff/"
        again = client.get("/signin", params={"next": target}, follow_redirects=False)
        assert again.headers["location"] == "/staff/"
