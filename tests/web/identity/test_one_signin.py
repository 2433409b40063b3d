"""One sign-in page, one session, one sign-out and one password reset for every part, over real
HTTP against ``okienko web``: a person with a queue-staff account and a helpdesk account under
one e-mail signs in once and is in both; the parts' old addresses lead to the one page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webproc import Smtp, WebProcess, body_text, csrf_of
from web.helpdesk import accounts
from web.helpdesk.domain import Role

PASSWORD = "Haslo-testowe-1"
BOTH = "oboje@um.example"


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    server = Smtp.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[WebProcess]:
    proc = WebProcess.start(tmp_path_factory.mktemp("one-signin"), smtp_port=smtp.port)
    proc.add_staff(BOTH, "clerk", name="Ola Oboje")
    add_helpdesk_user(proc, BOTH, PASSWORD)
    yield proc
    proc.stop()


def add_helpdesk_user(web: WebProcess, email: str, password: str) -> int:
    async def work(engine: AsyncEngine) -> int:
        user_id, _token = await accounts.create_user(
            engine, email=email, name="Ola Oboje", role=Role.SERVICE, now=datetime.now(UTC),
            password=password,
        )  # fmt: skip
        return user_id

    return web.db(work)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD, nxt: str = "") -> str:
    token = csrf_of(client.get("/signin", params={"next": nxt}).text)
    data = {"email": email, "password": password, "next": nxt, "csrf_token": token}
    r = client.post("/signin", data=data)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def opens(client: httpx.Client, path: str) -> bool:
    return client.get(path, follow_redirects=False).status_code == 200


def test_one_sign_in_opens_every_part_and_one_sign_out_ends_them(web: WebProcess):
    with httpx.Client(base_url=web.url) as client:
        assert opens(client, "/staff/") is False and opens(client, "/helpdesk/") is False
        # Came from a helpdesk page: back there, and the queue staff pages open too.
        assert sign_in(client, BOTH, nxt="/helpdesk/new") == "/helpdesk/new"
        assert opens(client, "/staff/") and opens(client, "/helpdesk/")
        # One navigation: every part the person is in, from either part's pages.
        for page in ("/staff/", "/helpdesk/"):
            html = client.get(page).text
            assert 'href="/staff/"' in html and 'href="/helpdesk/"' in html, page
            assert html.count('action="/signout"') == 1, page
        token = csrf_of(client.get("/helpdesk/").text)
        assert client.post("/signout", data={"csrf_token": token}).status_code == 303
        assert opens(client, "/staff/") is False and opens(client, "/helpdesk/") is False


def test_a_person_in_one_part_sees_no_other_part_and_lands_on_their_own(web: WebProcess):
    web.add_staff("tylko-kolejka@um.example", "clerk")
    with httpx.Client(base_url=web.url) as client:
        # Asked for a helpdesk page, but the password opens only the queue staff's part.
        assert sign_in(client, "tylko-kolejka@um.example", nxt="/helpdesk/") == "/staff/"
        assert opens(client, "/staff/") and not opens(client, "/helpdesk/")
        assert 'href="/helpdesk/"' not in client.get("/staff/").text


def test_a_new_role_joins_the_person_s_account_and_keeps_their_password(web: WebProcess):
    """One person, one password: a helpdesk role given to a queue staff member is a role of
    the same account; the password typed for it does not replace theirs. (Two passwords
    from before the one account table: tests/web/identity/test_one_account_migration.py.)"""
    email = "dwa-hasla@um.example"
    web.add_staff(email, "clerk", password="Haslo-kolejki-1")
    add_helpdesk_user(web, email, "Haslo-zgloszen-2")
    with httpx.Client(base_url=web.url) as client, httpx.Client(base_url=web.url) as other:
        assert sign_in(client, email, "Haslo-kolejki-1") == "/staff/"
        assert opens(client, "/staff/") and opens(client, "/helpdesk/")
        token = csrf_of(other.get("/signin").text)
        data = {"email": email, "password": "Haslo-zgloszen-2", "next": "", "csrf_token": token}
        assert other.post("/signin", data=data).status_code == 400


def test_the_parts_old_addresses_lead_to_the_one_page_keeping_the_part(web: WebProcess):
    for old, part in (("/staff/login", "/staff/"), ("/helpdesk/login", "/helpdesk/")):
        r = httpx.get(web.url + old)
        assert r.status_code == 303 and r.headers["location"] == f"/signin?next={part}"
    r = httpx.get(web.url + "/helpdesk/login", params={"next": "/usterki/?status=new"})
    assert r.headers["location"] == "/signin?next=/usterki/%3Fstatus%3Dnew"
    for old, new in (
        ("/staff/password/forgot", "/password/forgot"),
        ("/helpdesk/reset", "/password/forgot"),
        ("/staff/password/reset/abc", "/password/reset/abc"),
        ("/helpdesk/reset/abc", "/password/reset/abc"),
    ):
        r = httpx.get(web.url + old)
        assert r.status_code == 303 and r.headers["location"] == new, old
    # An anonymous visit to any part's page asks for the one sign-in, keeping where it was.
    for page in ("/staff/register", "/helpdesk/new", "/usterki/"):
        r = httpx.get(web.url + page)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next="), page


def reset_link(web: WebProcess, smtp: Smtp, email: str) -> str:
    before = len(smtp.inbox.to(email))
    with httpx.Client(base_url=web.url) as client:
        token = csrf_of(client.get("/password/forgot").text)
        client.post("/password/forgot", data={"email": email, "csrf_token": token})
    deadline = time.monotonic() + 10
    while len(smtp.inbox.to(email)) == before:
        assert time.monotonic() < deadline, "no reset mail"
        time.sleep(0.05)
    found = re.search(r"http://\S+(/password/reset/\S+)", body_text(smtp.inbox.to(email)[-1]))
    assert found
    return found.group(1)


def set_password(client: httpx.Client, link: str, password: str) -> httpx.Response:
    token = csrf_of(client.get("/password/forgot").text)
    data = {"password": password, "password2": password, "csrf_token": token}
    return client.post(link, data=data)


def test_one_reset_link_sets_the_password_of_every_part(web: WebProcess, smtp: Smtp):
    email = "reset-obu@um.example"
    web.add_staff(email, "clerk", password="Stare-haslo-kolejki-1")
    add_helpdesk_user(web, email, "Stare-haslo-zgloszen-2")
    link = reset_link(web, smtp, email)
    assert len(smtp.inbox.to(email)) == 1  # one mail, not one per part
    with httpx.Client(base_url=web.url) as client:
        assert set_password(client, link, "Jedno-nowe-haslo-3").headers["location"] == (
            "/password/done"
        )
        sign_in(client, email, "Jedno-nowe-haslo-3")
        assert opens(client, "/staff/") and opens(client, "/helpdesk/")
        # Used once: the same link sets nothing again.
        again = set_password(client, link, "Ktos-inny-haslo-4")
        assert again.status_code == 400


def test_a_reset_link_dies_when_another_is_used_or_the_e_mail_changes(web: WebProcess, smtp: Smtp):
    """The stricter of the two old behaviours, for every part."""
    web.add_staff("pierwszy@um.example", "clerk")
    first = reset_link(web, smtp, "pierwszy@um.example")
    second = reset_link(web, smtp, "pierwszy@um.example")
    with httpx.Client(base_url=web.url) as client:
        assert set_password(client, second, "Drugie-haslo-5").status_code == 303
        assert set_password(client, first, "Pierwsze-haslo-6").status_code == 400

    user_id = add_helpdesk_user(web, "przed@um.example", PASSWORD)
    mailed = reset_link(web, smtp, "przed@um.example")

    async def move(engine: AsyncEngine) -> None:
        await accounts.change_email(engine, user_id, "po@um.example")

    web.db(move)
    with httpx.Client(base_url=web.url) as client:
        assert client.get(mailed).status_code == 400
        assert set_password(client, mailed, "Przejete-haslo-7").status_code == 400
