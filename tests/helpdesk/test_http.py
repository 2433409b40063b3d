"""The helpdesk over real HTTP against ``okienko web`` and a real SMTP server (aiosmtpd): the
idle sign-out, the forgotten-password link, the administrator's pages closed to everyone else,
rating from the request page, and the rejection e-mail with its reason."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.webproc import Smtp, WebProcess, body_text, csrf_of
from web.helpdesk import accounts, store
from web.helpdesk.domain import Action, Actor, Role

PASSWORD = "Haslo-testowe-1"
SENDER = "Urząd Miasta <no-reply@um.example>"  # what WebProcess gives --mail-from
T = TypeVar("T")


@dataclass
class Site:
    web: WebProcess
    smtp: Smtp
    ids: dict[str, int]  # unit, address and service ids, and each person's account id
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    _stack: ExitStack = field(default_factory=ExitStack)

    def db(self, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
        return self.web.db(work)

    @contextmanager
    def client(self, email: str | None = None, password: str = PASSWORD) -> Iterator[httpx.Client]:
        """A browser-like client with its own cookies, signed in as ``email`` if given."""
        with httpx.Client(base_url=self.web.url) as client:
            if email:
                r = sign_in(client, email, password)
                assert r.status_code == 303 and r.headers["location"] == "/helpdesk/", r.text
            yield client

    def as_(self, email: str) -> httpx.Client:
        """One signed-in client per person for the whole module: the server allows an address
        ten sign-ins per 15 minutes, and every test here comes from 127.0.0.1."""
        if email not in self.clients:
            self.clients[email] = self._stack.enter_context(self.client(email))
        return self.clients[email]

    def mail(self, to: str, subject: str) -> Message:
        deadline = time.monotonic() + 10
        while True:
            found = [m for m in self.smtp.inbox.to(to) if subject in header(m, "Subject")]
            if found:
                return found[-1]
            assert time.monotonic() < deadline, (
                f"no '{subject}' to {to}: {self.smtp.inbox.summary()}"
            )
            time.sleep(0.05)

    def link(self, message: Message, path: str) -> str:
        """The e-mailed link's path, opened on this test's server."""
        m = re.search(rf"https?://[^/\s]+({path}\S+)", body_text(message))
        assert m, body_text(message)
        return m.group(1)


def header(message: Message, name: str) -> str:
    return str(make_header(decode_header(str(message[name]))))


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"email": email, "password": password, "csrf_token": token})


def token_of(client: httpx.Client) -> str:
    """The session's CSRF token (every signed-in page carries it in the sign-out form), so a
    refusal below is the page's own and not the CSRF guard's."""
    return csrf_of(client.get("/helpdesk/").text)


PEOPLE = [  # e-mail, role, unit key
    ("ola@sp5.example", Role.UNIT, "a"),
    ("ela@sp5.example", Role.UNIT, "a"),
    ("piotr@zlobek2.example", Role.UNIT, "b"),
    ("marek@cum.example", Role.SERVICE, None),
    ("admin@cum.example", Role.ADMIN, None),
    ("zapominalska@sp5.example", Role.UNIT, "a"),
    ("zmiana@zlobek2.example", Role.UNIT, "b"),
]


def start(workdir: Path, smtp: Smtp, extra: list[str] | None = None) -> Site:
    web = WebProcess.start(workdir, smtp_port=smtp.port, extra=extra)

    async def seed(engine: AsyncEngine) -> dict[str, int]:
        now = datetime.now(UTC)
        ids = {"it": await accounts.create_service(engine, "Wsparcie IT")}
        ids["a"] = await accounts.create_unit(
            engine, "Szkoła Podstawowa nr 5", ["ul. Leśna 5"], [ids["it"]], now
        )
        ids["b"] = await accounts.create_unit(
            engine, "Żłobek nr 2", ["ul. Polna 2"], [ids["it"]], now
        )
        for email, role, unit in PEOPLE:
            ids[email], _token = await accounts.create_user(
                engine, email=email, name=email.split("@")[0].title(), role=role,
                unit_id=ids[unit] if unit else None, password=PASSWORD, now=now,
            )  # fmt: skip
        from sqlalchemy import select

        from web.helpdesk import tables as t

        async with engine.connect() as conn:
            address = select(t.addresses.c.id).where(t.addresses.c.unit_id == ids["a"])
            ids["address_a"] = (await conn.execute(address)).scalar_one()
        return ids

    site = Site(web, smtp, {})
    site.ids = site.db(seed)
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[Site]:
    s = start(tmp_path_factory.mktemp("helpdesk-http"), smtp)
    yield s
    s._stack.close()
    s.web.stop()


def actor(site: Site, email: str) -> Actor:
    role, unit = next((r, u) for e, r, u in PEOPLE if e == email)
    return Actor(site.ids[email], role, site.ids[unit] if unit else None)


def completed_request(site: Site, text: str) -> int:
    """A request of unit A, accepted and completed by the staff (through the store)."""

    async def work(engine: AsyncEngine) -> int:
        now = datetime.now(UTC)
        filing = store.Filing(site.ids["a"], site.ids["address_a"], site.ids["it"], text)
        filed = await store.file_request(engine, actor(site, "ola@sp5.example"), filing, now)
        staff = actor(site, "marek@cum.example")
        await store.change_status(engine, staff, filed.id, Action.ACCEPT, "", now)
        await store.change_status(engine, staff, filed.id, Action.COMPLETE, "Gotowe.", now)
        return filed.id

    return site.db(work)


# -- signing in and out ---------------------------------------------------------------------------


def test_the_default_idle_limit_is_an_hour_and_the_installation_sets_it(tmp_path: Path):
    from starlette.requests import Request

    from web.app import create_app
    from web.helpdesk.session import idle_limit

    def limit(**options: Any) -> int:
        app = create_app(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}", **options)
        return idle_limit(Request({"type": "http", "app": app}))

    assert limit() == 3600
    assert limit(idle_logout_s=120) == 120


def test_a_helpdesk_session_ends_after_the_configured_idle_time(
    tmp_path_factory: pytest.TempPathFactory, smtp: Smtp
):
    idle = start(tmp_path_factory.mktemp("helpdesk-idle"), smtp, ["--idle-logout", "2"])
    try:
        with idle.client("ola@sp5.example") as ola:
            for _ in range(3):  # activity keeps the session alive past the limit
                assert ola.get("/helpdesk/").status_code == 200
                time.sleep(1)
            time.sleep(3)  # the test server signs out after 2 s idle
            r = ola.get("/helpdesk/new", follow_redirects=False)
            assert r.status_code == 303
            assert r.headers["location"] == "/signin?next=/helpdesk/new&idle=1"
            notice = ola.get(r.headers["location"]).text
            assert "Wylogowano po okresie bezczynności." in notice
            # Signed out for good: coming back does not revive the session.
            assert ola.get("/helpdesk/", follow_redirects=False).status_code == 303
    finally:
        idle.web.stop()


def test_wrong_passwords_from_elsewhere_do_not_lock_a_helpdesk_user_out(site: Site):
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=site.web.url, transport=transport) as stranger:
        codes = [
            sign_in(stranger, "admin@cum.example", f"zgaduje-{i}").status_code for i in range(12)
        ]
    assert codes[:3] == [400, 400, 400] and 429 in codes, codes
    with site.client("admin@cum.example") as owner:  # from 127.0.0.1: signed in
        assert owner.get("/helpdesk/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "/helpdesk/\n"])
def test_the_helpdesk_sign_in_never_sends_the_user_to_another_site(site: Site, target: str):
    # The attack: a link to the real sign-in page whose `next` leads to a look-alike site.
    with httpx.Client(base_url=site.web.url) as client:
        page = client.get("/signin", params={"next": target})
        # The form never carries the target (the language links keep the query as it was, on
        # this site): the sign-in lands on the home of the part the password opens.
        assert 'name="next" value=""' in page.text
        r = client.post(
            "/signin",
            data={
                "email": "ela@sp5.example",
                "password": PASSWORD,
                "next": target,
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/helpdesk/"


def test_the_helpdesk_sign_in_returns_to_a_fault_report_page(site: Site):
    with httpx.Client(base_url=site.web.url) as client:
        page = client.get("/signin", params={"next": "/usterki/?status=new"})
        r = client.post(
            "/signin",
            data={
                "email": "ela@sp5.example",
                "password": PASSWORD,
                "next": "/usterki/?status=new",
                "csrf_token": csrf_of(page.text),
            },
        )
        assert r.headers["location"] == "/usterki/?status=new"


def test_a_forgotten_password_is_set_again_through_the_mailed_link(site: Site):
    person = "zapominalska@sp5.example"
    with site.client() as anonymous:
        assert 'href="/password/forgot"' in anonymous.get("/signin").text
        form = anonymous.get("/password/forgot")
        assert form.status_code == 200 and "Nie pamiętam hasła" in form.text
        answers = [
            anonymous.post(
                "/password/forgot", data={"email": email, "csrf_token": csrf_of(form.text)}
            )
            for email in ("nikt@nigdzie.example", person.upper())
        ]
        # The same answer whether or not the address has an account.
        assert [a.status_code for a in answers] == [200, 200]
        assert all("wysłaliśmy na nie odnośnik" in a.text for a in answers)
        mail = site.mail(person, "ustawienie nowego hasła")
        assert header(mail, "From") == SENDER
        assert not site.smtp.inbox.to("nikt@nigdzie.example")
        link = site.link(mail, "/password/reset/")

        page = anonymous.get(link)
        assert page.status_code == 200 and 'id="password2"' in page.text
        token = csrf_of(page.text)
        differ = anonymous.post(
            link, data={"password": "Nowe-haslo-2026", "password2": "Inne-haslo-2026",
                        "csrf_token": token},
        )  # fmt: skip
        assert differ.status_code == 400 and "Wpisane hasła się różnią." in differ.text
        done = anonymous.post(
            link, data={"password": "Nowe-haslo-2026", "password2": "Nowe-haslo-2026",
                        "csrf_token": token},
        )  # fmt: skip
        assert done.status_code == 303 and done.headers["location"] == "/password/done"
        assert "Nowe hasło jest ustawione" in anonymous.get(done.headers["location"]).text
        again = anonymous.post(
            link, data={"password": "Trzecie-haslo-1", "password2": "Trzecie-haslo-1",
                        "csrf_token": token},
        )  # fmt: skip
        assert again.status_code == 400 and "Ten link wygasł lub został już użyty." in again.text

    with site.client() as browser:
        assert sign_in(browser, person, PASSWORD).status_code == 400  # the old one is gone
        r = sign_in(browser, person, "Nowe-haslo-2026")
        assert r.status_code == 303 and r.headers["location"] == "/helpdesk/"
        assert "Lista zgłoszeń" in browser.get("/helpdesk/").text


# -- administration -------------------------------------------------------------------------------


def test_only_an_administrator_opens_the_admin_pages_or_sends_their_forms(site: Site):
    piotr = site.ids["piotr@zlobek2.example"]
    forms = [
        ("/helpdesk/admin/services", {"name": "Usługa intruza"}),
        ("/helpdesk/admin/units", {"name": "Jednostka intruza", "addresses": "ul. Obca 1"}),
        (f"/helpdesk/admin/units/{site.ids['a']}/services", {}),  # would take unit A's services
        ("/helpdesk/admin/users",
         {"name": "Intruz", "email": "intruz@cum.example", "role": "admin"}),
        (f"/helpdesk/admin/users/{piotr}", {"email": "przejete@zlobek2.example"}),
        (f"/helpdesk/admin/users/{piotr}", {"deactivate": "1"}),
        (f"/helpdesk/admin/users/{piotr}", {"name": "Przejęty", "email": "piotr@zlobek2.example"}),
        (f"/helpdesk/admin/units/{site.ids['a']}/addresses", {"address": "ul. Obca 2"}),
        (f"/helpdesk/admin/services/{site.ids['it']}", {"fields": "Intruz"}),
    ]  # fmt: skip
    with site.client() as anonymous:
        r = anonymous.get("/helpdesk/admin", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    for email in ("marek@cum.example", "ola@sp5.example"):
        client = site.as_(email)
        r = client.get("/helpdesk/admin")
        assert r.status_code == 403 and "Brak dostępu" in r.text, email
        # The way back is the helpdesk's own list, not the queue staff's home they cannot open.
        assert '<a href="/helpdesk/">Wróć do listy zgłoszeń</a>' in r.text
        token = token_of(client)
        for path, data in forms:
            r = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
            assert r.status_code == 403 and "Brak dostępu" in r.text, (email, path)

    async def unchanged(engine: AsyncEngine) -> None:
        from sqlalchemy import func, select

        from web.helpdesk import tables as t

        async with engine.connect() as conn:
            assert await conn.scalar(
                select(func.count()).select_from(t.services).where(t.services.c.name.like("%intruz%"))
            ) == 0  # fmt: skip
            assert await conn.scalar(
                select(func.count()).select_from(t.units).where(t.units.c.name.like("%intruz%"))
            ) == 0  # fmt: skip
            assert list(
                await conn.scalars(
                    select(t.unit_services.c.service_id).where(
                        t.unit_services.c.unit_id == site.ids["a"]
                    )
                )
            ) == [site.ids["it"]]
            assert await conn.scalar(
                select(func.count()).select_from(t.users).where(t.users.c.email.like("intruz%"))
            ) == 0  # fmt: skip
            row = (await conn.execute(select(t.users).where(t.users.c.id == piotr))).one()
            assert (row.email, row.active) == ("piotr@zlobek2.example", True)
            assert row.name != "Przejęty"
            obca = select(func.count()).select_from(t.addresses)
            assert await conn.scalar(obca.where(t.addresses.c.label == "ul. Obca 2")) == 0
            fields = await conn.scalar(
                select(t.services.c.fields).where(t.services.c.id == site.ids["it"])
            )
            assert "Intruz" not in str(fields)

    site.db(unchanged)


def test_an_administrator_changes_a_users_email_and_nobody_else_can(site: Site):
    person = site.ids["zmiana@zlobek2.example"]
    new = "nowy.adres@zlobek2.example"
    for email in ("marek@cum.example", "piotr@zlobek2.example"):
        client = site.as_(email)
        r = client.post(
            f"/helpdesk/admin/users/{person}", data={"email": new, "csrf_token": token_of(client)}
        )
        assert r.status_code == 403, email
    admin = site.as_("admin@cum.example")
    page = admin.get("/helpdesk/admin")
    assert page.status_code == 200 and "Administracja systemem zgłoszeń" in page.text
    token = csrf_of(page.text)
    taken = admin.post(
        f"/helpdesk/admin/users/{person}", data={"email": "ola@sp5.example", "csrf_token": token}
    )
    assert taken.status_code == 400 and "Konto z tym adresem e-mail już istnieje." in taken.text
    r = admin.post(
        f"/helpdesk/admin/users/{person}",
        data={"email": new.upper(), "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/helpdesk/admin?done=user"
    assert f"<td>{new}</td>" in admin.get("/helpdesk/admin").text
    assert f'value="{new}"' in admin.get(f"/helpdesk/admin/users/{person}").text
    with site.client() as browser:
        assert sign_in(browser, "zmiana@zlobek2.example").status_code == 400
        assert sign_in(browser, new).status_code == 303


# -- rating and status e-mails --------------------------------------------------------------------


def test_a_unit_rates_from_the_request_page_and_nobody_else_can(site: Site):
    number = completed_request(site, "Wymiana monitora w sekretariacie.")
    path = f"/helpdesk/r/{number}"
    rating = {"stars": "4", "justification": "Szybka wymiana."}

    marek = site.as_("marek@cum.example")
    page = marek.get(path)
    assert page.status_code == 200 and "Prześlij ocenę" not in page.text
    r = marek.post(f"{path}/rating", data={**rating, "csrf_token": token_of(marek)})
    assert r.status_code == 400 and "Nie masz uprawnień do tej czynności." in r.text

    piotr = site.as_("piotr@zlobek2.example")  # another unit
    assert piotr.get(path).status_code == 404
    r = piotr.post(f"{path}/rating", data={**rating, "csrf_token": token_of(piotr)})
    assert r.status_code == 404 and "Nie znaleziono zgłoszenia" in r.text

    ela = site.as_("ela@sp5.example")  # the unit's other user: every one of them may rate
    page = ela.get(path)
    assert "Prześlij ocenę" in page.text
    token = csrf_of(page.text)
    r = ela.post(f"{path}/rating", data={"stars": "4", "justification": " ", "csrf_token": token})
    assert r.status_code == 400 and "Wybierz od 1 do 5 gwiazdek i wpisz uzasadnienie." in r.text
    r = ela.post(f"{path}/rating", data={**rating, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == path
    page = ela.get(path)
    assert "Ocenione" in page.text and "Szybka wymiana." in page.text
    assert "Prześlij ocenę" not in page.text  # once
    r = site.as_("ola@sp5.example").post(
        f"{path}/rating", data={**rating, "csrf_token": token_of(site.as_("ola@sp5.example"))}
    )
    assert r.status_code == 400

    async def stored(engine: AsyncEngine) -> Any:
        return await store.load(engine, actor(site, "marek@cum.example"), number)

    row = site.db(stored)
    assert (row.status, row.rating, row.rating_text, row.active) == (
        "rated", 4, "Szybka wymiana.", False
    )  # fmt: skip


def test_a_rejection_mails_the_filer_its_reason_from_the_no_reply_sender(site: Site):
    ola = site.as_("ola@sp5.example")
    ids = site.ids
    form = ola.get(
        "/helpdesk/new",
        params={"unit": ids["a"], "address": ids["address_a"], "service": ids["it"]},
    )
    filed = ola.post(
        "/helpdesk/new",
        data={"unit": ids["a"], "address": ids["address_a"], "service": ids["it"],
              "text": "Proszę o nowy toner.", "encrypt": "no", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert filed.status_code == 303, filed.text
    m = re.match(r"/helpdesk/r/(\d+)\?filed=1$", filed.headers["location"])
    assert m, filed.headers["location"]
    number = int(m.group(1))

    marek = site.as_("marek@cum.example")
    path = f"/helpdesk/r/{number}"
    token = csrf_of(marek.get(path).text)
    r = marek.post(f"{path}/status", data={"action": "reject", "comment": "", "csrf_token": token})
    assert r.status_code == 400 and "Podaj powód odrzucenia zgłoszenia." in r.text
    reason = "Toner zamawia sekretariat przez system zamówień."
    r = marek.post(
        f"{path}/status",
        data={"action": "reject", "comment": reason, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303

    mail = site.mail("ola@sp5.example", f"Zgłoszenie nr {number}: Odrzucone")
    assert header(mail, "From") == SENDER
    text = body_text(mail)
    assert reason in text and "Odrzucone" in text and path in text
    assert reason in ola.get(path).text  # the unit always sees why
    # Closed, it leaves the default list; choosing "Odrzucone" finds it.
    row = f'data-href="{path}"'
    assert row not in ola.get("/helpdesk/", params={"f": "1"}).text
    assert row in ola.get("/helpdesk/", params={"f": "1", "status": "rejected"}).text


# -- files attached to messages -------------------------------------------------------------------


def accepted_request(site: Site, text: str) -> int:
    """A request of unit A that Marek accepted, so he is the staff member handling it."""

    async def work(engine: AsyncEngine) -> int:
        now = datetime.now(UTC)
        filing = store.Filing(site.ids["a"], site.ids["address_a"], site.ids["it"], text)
        filed = await store.file_request(engine, actor(site, "ola@sp5.example"), filing, now)
        await store.change_status(
            engine, actor(site, "marek@cum.example"), filed.id, Action.ACCEPT, "", now
        )
        return filed.id

    return site.db(work)


def post_message(
    client: httpx.Client, number: int, body: str, files: list[tuple[str, bytes]], encrypt: bool
) -> httpx.Response:
    return client.post(
        f"/helpdesk/r/{number}/messages",
        data={"body": body, "encrypt": "yes" if encrypt else "no", "csrf_token": token_of(client)},
        files=[("files", (name, data, "text/plain")) for name, data in files],
        follow_redirects=False,
    )


def password_in(message: Message) -> str:
    m = re.search(r"^([A-Za-z0-9]{20})\r?$", body_text(message), re.M)
    assert m, body_text(message)
    return m.group(1)


def stored_files(site: Site, number: int) -> list[Any]:
    async def work(engine: AsyncEngine) -> list[Any]:
        from sqlalchemy import select

        from web.helpdesk import tables as t

        async with engine.connect() as conn:
            return list(
                await conn.execute(
                    select(t.attachments)
                    .where(t.attachments.c.request_id == number)
                    .order_by(t.attachments.c.id)
                )
            )

    return site.db(work)


def test_a_units_message_carries_encrypted_files_whose_password_only_the_handler_gets(
    site: Site,
):
    number = accepted_request(site, "Proszę o konta dla nowych nauczycieli.")
    secret = b"Jan Kowalski, PESEL 90010112345"
    ola = site.as_("ola@sp5.example")
    r = post_message(ola, number, "Lista osób w załączniku.", [("lista.txt", secret)], True)
    assert r.status_code == 303 and r.headers["location"] == f"/helpdesk/r/{number}", r.text

    subject = f"Hasło do plików zgłoszenia nr {number}"
    mail = site.mail("marek@cum.example", subject)
    password = password_in(mail)
    assert "lista.txt" in body_text(mail) and secret.decode() not in body_text(mail)
    notice = site.mail("marek@cum.example", f"Nowa wiadomość w zgłoszeniu nr {number}")
    assert password not in body_text(notice)
    for unit_side in ("ola@sp5.example", "ela@sp5.example", "piotr@zlobek2.example"):
        assert not [m for m in site.smtp.inbox.to(unit_side) if subject in header(m, "Subject")]
    (row,) = stored_files(site, number)
    assert row.encrypted and row.message_id and secret not in row.content  # ciphertext only

    # Under its message in the chat and among the request's attachments.
    page = ola.get(f"/helpdesk/r/{number}").text
    chat = page[page.index('class="hd-chat"') : page.index('class="form hd-message"')]
    locked = re.compile(r'<svg class="icon icon-lock"[^>]*aria-hidden="true">.*?</svg> lista\.txt')
    assert "Lista osób w załączniku." in chat and locked.search(chat)
    files = page[page.index('id="files-h"') : page.index('class="hd-chat"')]
    assert locked.search(files) and "z wiadomości" in files

    marek = site.as_("marek@cum.example")
    path = f"/helpdesk/r/{number}/files/{row.id}"
    assert marek.get(path).status_code == 400  # no plaintext without the password
    wrong = marek.post(path, data={"password": "zgadywane", "csrf_token": token_of(marek)})
    assert wrong.status_code == 400 and "To hasło nie otwiera pliku." in wrong.text
    right = marek.post(path, data={"password": password, "csrf_token": token_of(marek)})
    assert right.status_code == 200 and right.content == secret
    assert "lista.txt" in right.headers["content-disposition"]

    # Another unit's user gets nothing, by the file's link or by its id under their own request.
    piotr = site.as_("piotr@zlobek2.example")
    assert piotr.get(path).status_code == 404
    r = piotr.post(path, data={"password": password, "csrf_token": token_of(piotr)})
    assert r.status_code == 404 and secret not in r.content

    async def own(engine: AsyncEngine) -> int:
        from sqlalchemy import select

        from web.helpdesk import tables as t

        async with engine.connect() as conn:
            address = select(t.addresses.c.id).where(t.addresses.c.unit_id == site.ids["b"])
            address_b = (await conn.execute(address)).scalar_one()
        filing = store.Filing(site.ids["b"], address_b, site.ids["it"], "Nasze zgłoszenie.")
        piotr_ = actor(site, "piotr@zlobek2.example")
        return (await store.file_request(engine, piotr_, filing, datetime.now(UTC))).id

    theirs = site.db(own)
    r = piotr.post(
        f"/helpdesk/r/{theirs}/files/{row.id}",
        data={"password": password, "csrf_token": token_of(piotr)},
    )
    assert r.status_code == 404 and secret not in r.content
    assert "lista.txt" not in piotr.get(f"/helpdesk/r/{theirs}").text


def test_staff_send_files_to_the_unit_whose_users_alone_get_the_password(site: Site):
    number = accepted_request(site, "Prośba o zestawienie licencji.")
    marek = site.as_("marek@cum.example")
    secret, public = b"Klucze licencyjne: ABCD-1234", b"Instrukcja instalacji."
    r = post_message(marek, number, "Klucze w zaszyfrowanym pliku.", [("klucze.txt", secret)], True)
    assert r.status_code == 303, r.text
    r = post_message(marek, number, "Instrukcja.", [("instrukcja.txt", public)], False)
    assert r.status_code == 303, r.text

    subject = f"Hasło do plików zgłoszenia nr {number}"
    passwords = {password_in(site.mail(e, subject)) for e in ("ola@sp5.example", "ela@sp5.example")}
    assert len(passwords) == 1  # one password for the message's files, to each unit user
    assert not [
        m for m in site.smtp.inbox.to("marek@cum.example") if subject in header(m, "Subject")
    ]
    assert not [
        m for m in site.smtp.inbox.to("piotr@zlobek2.example") if subject in header(m, "Subject")
    ]
    # Only the encrypted message sent a password: the plain one came with none.
    assert (
        len([m for m in site.smtp.inbox.to("ela@sp5.example") if subject in header(m, "Subject")])
        == 1
    )

    encrypted, plain = stored_files(site, number)
    assert (encrypted.encrypted, plain.encrypted) == (True, False)
    assert encrypted.message_id != plain.message_id
    ela = site.as_("ela@sp5.example")  # the unit's other user opens them too
    r = ela.post(
        f"/helpdesk/r/{number}/files/{encrypted.id}",
        data={"password": passwords.pop(), "csrf_token": token_of(ela)},
    )
    assert r.status_code == 200 and r.content == secret
    r = ela.get(f"/helpdesk/r/{number}/files/{plain.id}")
    assert r.status_code == 200 and r.content == public
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (
        site.as_("piotr@zlobek2.example").get(f"/helpdesk/r/{number}/files/{plain.id}").status_code
        == 404
    )
    # The list's 📎 filter finds the request by its messages' files.
    rows = ela.get("/helpdesk/", params={"f": "1", "flag": "files"}).text
    assert f'data-href="/helpdesk/r/{number}"' in rows


def test_a_messages_files_keep_the_filing_forms_limits(site: Site):
    number = accepted_request(site, "Za dużo plików.")
    ola = site.as_("ola@sp5.example")
    eleven = [(f"plik{i}.txt", b"x") for i in range(11)]
    r = post_message(ola, number, "Jedenaście plików.", eleven, False)
    assert r.status_code == 400 and "Najwyżej 10 plików, każdy do 10 MB." in r.text
    big = [("duzy.txt", b"x" * (store.MAX_FILE + 1))]
    r = post_message(ola, number, "Za duży plik.", big, True)
    assert r.status_code == 400 and "Najwyżej 10 plików, każdy do 10 MB." in r.text
    assert stored_files(site, number) == []
    assert "Jedenaście plików." not in ola.get(f"/helpdesk/r/{number}").text


# -- "Informacja systemowa: Dane kontaktowe" -------------------------------------------------------


def contact_section(html: str) -> str:
    start = html.index('id="contact-h"')
    return html[start : html.index("</section>", start)]


def test_the_request_page_shows_the_centres_contact_by_default_from_the_senders_domain(
    site: Site,
):
    waiting = completed_request(site, "Zgłoszenie z obsługą.")

    async def new(engine: AsyncEngine) -> int:
        filing = store.Filing(site.ids["a"], site.ids["address_a"], site.ids["it"], "Czeka.")
        now = datetime.now(UTC)
        return (await store.file_request(engine, actor(site, "ola@sp5.example"), filing, now)).id

    fresh = site.db(new)
    ola = site.as_("ola@sp5.example")
    section = contact_section(ola.get(f"/helpdesk/r/{fresh}").text)
    assert "Informacja systemowa: Dane kontaktowe" in section
    assert "nie ma jeszcze przydzielonego pracownika obsługi" in section
    assert 'href="mailto:pomoc@um.example"' in section  # the no-reply sender is um.example
    assert "no-reply" not in section and "Telefon" not in section
    assert f"(nr {fresh})" in section
    handled = contact_section(ola.get(f"/helpdesk/r/{waiting}").text)
    assert "Jeśli nie możesz skontaktować się z pracownikiem obsługującym" in handled
    english = contact_section(ola.get(f"/helpdesk/r/{fresh}", params={"lang": "en"}).text)
    assert "System information: Contact details" in english
    ola.get("/helpdesk/", params={"lang": "pl"})  # the other tests read Polish


REMOTE = "https://pomoc.cum.example/pliki/PomocZdalna.exe"


def test_the_installation_sets_the_contact_email_phone_and_hours(
    tmp_path_factory: pytest.TempPathFactory, smtp: Smtp
):
    options = ["--helpdesk-email", "sekretariat@cum.example", "--helpdesk-phone",
               "41 367 67 57", "--helpdesk-hours", "pon.–pt. 7:30–15:30",
               "--helpdesk-remote-url", REMOTE]  # fmt: skip
    own = start(tmp_path_factory.mktemp("helpdesk-contact"), smtp, options)
    try:

        async def new(engine: AsyncEngine) -> int:
            filing = store.Filing(own.ids["a"], own.ids["address_a"], own.ids["it"], "Czeka.")
            ola = Actor(own.ids["ola@sp5.example"], Role.UNIT, own.ids["a"])
            return (await store.file_request(engine, ola, filing, datetime.now(UTC))).id

        number = own.db(new)
        with own.client("marek@cum.example") as marek:
            section = contact_section(marek.get(f"/helpdesk/r/{number}").text)
        assert 'href="mailto:sekretariat@cum.example"' in section
        assert 'href="tel:413676757"' in section and "41 367 67 57" in section
        assert "Godziny pracy" in section and "pon.–pt. 7:30–15:30" in section
        assert "pomoc@" not in section
        with own.client() as anonymous:  # the help page: the same contact, the program's link
            help_page = anonymous.get("/helpdesk/help").text
        assert 'href="mailto:sekretariat@cum.example"' in help_page
        assert 'href="tel:413676757"' in help_page
        assert 'href="https://pomoc.cum.example/pliki/PomocZdalna.exe"' in help_page
        assert ">PomocZdalna.exe</a>" in help_page and "nie skonfigurowano" not in help_page
        with own.client("ola@sp5.example") as ola:
            form = ola.get(
                "/helpdesk/new", params={"unit": own.ids["a"], "address": own.ids["address_a"]}
            )
        assert 'napisz do centrum usług: <a href="mailto:sekretariat@cum.example">' in form.text
    finally:
        own.web.stop()


# -- issue 16: rating links, closed chats, the contact in the filing form, remote help ---------


def rated_link(site: Site, text: str) -> tuple[int, str]:
    """A completed request of unit A and its rating link's token (as e-mailed)."""

    async def work(engine: AsyncEngine) -> tuple[int, str]:
        now = datetime.now(UTC)
        filing = store.Filing(site.ids["a"], site.ids["address_a"], site.ids["it"], text)
        filed = await store.file_request(engine, actor(site, "ola@sp5.example"), filing, now)
        staff = actor(site, "marek@cum.example")
        await store.change_status(engine, staff, filed.id, Action.ACCEPT, "", now)
        done = await store.change_status(engine, staff, filed.id, Action.COMPLETE, "", now)
        assert done.rating_token
        return filed.id, done.rating_token

    return site.db(work)


def test_a_rating_link_says_why_its_form_is_gone(site: Site):
    """Past 30 days, already rated, or unknown: each link says which, never a silent page."""
    late, late_token = rated_link(site, "Drukarka w pokoju 12.")
    rated, rated_token = rated_link(site, "Projektor w auli.")
    with site.client() as anonymous:
        open_form = anonymous.get(f"/helpdesk/rate/{late_token}").text
        assert 'name="stars"' in open_form  # open

        async def thirty_days_on(engine: AsyncEngine) -> None:
            from sqlalchemy import update

            from web.helpdesk import tables as t

            async with engine.begin() as conn:
                await conn.execute(
                    update(t.requests)
                    .where(t.requests.c.id == late)
                    .values(completed_at=datetime.now(UTC) - timedelta(days=30, minutes=5))
                )

        site.db(thirty_days_on)
        expired = f"Czas na ocenę zgłoszenia nr {late} minął"
        page = anonymous.get(f"/helpdesk/rate/{late_token}")
        assert expired in page.text and "w ciągu 30 dni od jego realizacji" in page.text
        assert 'name="stars"' not in page.text and "mailto:pomoc@um.example" in page.text
        sent = anonymous.post(
            f"/helpdesk/rate/{late_token}",
            data={"stars": "5", "justification": "Dobrze", "csrf_token": csrf_of(open_form)},
        )
        assert sent.status_code == 400 and expired in sent.text
        # The nightly job closes the window: the link still says why.
        site.db(lambda engine: store.close_rating_windows(engine, datetime.now(UTC)))
        assert expired in anonymous.get(f"/helpdesk/rate/{late_token}").text

        # Rated once (through the link): the link then says when.
        form = anonymous.get(f"/helpdesk/rate/{rated_token}")
        thanks = anonymous.post(
            f"/helpdesk/rate/{rated_token}",
            data={"stars": "5", "justification": "Szybko", "csrf_token": csrf_of(form.text)},
        )
        assert "Dziękujemy za ocenę." in thanks.text
        again = anonymous.get(f"/helpdesk/rate/{rated_token}")
        assert f"Zgłoszenie nr {rated} zostało już ocenione" in again.text
        assert 'name="stars"' not in again.text

        unknown = anonymous.get("/helpdesk/rate/zupelnie-nieznany-link")
        assert unknown.status_code == 404 and "Ten link do oceny jest nieznany" in unknown.text
        english = anonymous.get(f"/helpdesk/rate/{late_token}", params={"lang": "en"})
        assert f"The time for rating request no. {late} ended on" in english.text

    # Signed in, the unit's user is told the same on the request page.
    page = site.as_("ola@sp5.example").get(f"/helpdesk/r/{late}")
    assert "Czas na ocenę tego zgłoszenia minął" in page.text
    assert "Prześlij ocenę" not in page.text


def test_a_closed_request_shows_no_chat_form_and_says_to_file_a_new_one(site: Site):
    """Rejected and rated requests are closed (seed 000): no chat form, a line saying why and
    what to do, and a message posted anyway is refused. A completed one still waiting for its
    rating keeps the chat."""
    ola = site.as_("ola@sp5.example")
    marek = site.as_("marek@cum.example")
    number, _token = rated_link(site, "Mysz nie działa.")
    page = ola.get(f"/helpdesk/r/{number}")
    assert 'id="body"' in page.text and "Zgłoszenie jest zamknięte" not in page.text

    async def reject(engine: AsyncEngine) -> int:
        filing = store.Filing(site.ids["a"], site.ids["address_a"], site.ids["it"], "Błędne.")
        now = datetime.now(UTC)
        filed = await store.file_request(engine, actor(site, "ola@sp5.example"), filing, now)
        staff = actor(site, "marek@cum.example")
        await store.change_status(engine, staff, filed.id, Action.REJECT, "Duplikat.", now)
        return filed.id

    rejected = site.db(reject)
    closed = "Zgłoszenie jest zamknięte, więc nie można już wysyłać wiadomości."
    for who, number_ in ((ola, rejected), (marek, rejected)):
        page = who.get(f"/helpdesk/r/{number_}")
        assert closed in page.text and 'id="body"' not in page.text
    assert 'href="/helpdesk/new">Utwórz nowe zgłoszenie' in ola.get(f"/helpdesk/r/{rejected}").text
    r = ola.post(
        f"/helpdesk/r/{rejected}/messages",
        data={"body": "Jednak proszę o realizację.", "csrf_token": token_of(ola)},
    )
    assert r.status_code == 400 and closed in r.text
    assert "Jednak proszę o realizację." not in ola.get(f"/helpdesk/r/{rejected}").text

    # Rated: closed as well.
    r = ola.post(
        f"/helpdesk/r/{number}/rating",
        data={"stars": "5", "justification": "OK", "csrf_token": token_of(ola)},
    )
    assert r.status_code in (200, 303)
    page = ola.get(f"/helpdesk/r/{number}")
    assert closed in page.text and 'id="body"' not in page.text


def test_the_filing_forms_service_hint_gives_the_centres_address(site: Site):
    ola = site.as_("ola@sp5.example")
    ids = site.ids
    form = ola.get("/helpdesk/new", params={"unit": ids["a"], "address": ids["address_a"]})
    hint = form.text[form.text.index('id="service-hint"') :]
    hint = hint[: hint.index("</p>")]
    assert "napisz do centrum usług:" in hint
    assert 'href="mailto:pomoc@um.example"' in hint  # the configured contact, not hard-coded


def test_the_remote_help_page_shows_the_contact_no_program_and_the_admins_faq(site: Site):
    with site.client() as anonymous:  # a computer in trouble may not get past signing in
        page = anonymous.get("/helpdesk/help")
    assert page.status_code == 200 and "<h1>Pomoc zdalna</h1>" in page.text
    assert 'href="mailto:pomoc@um.example"' in page.text
    assert "nie skonfigurowano programu do pomocy zdalnej" in page.text
    assert "Nie wpisano jeszcze pytań." in page.text

    ola = site.as_("ola@sp5.example")
    assert 'href="/helpdesk/help">Pomoc zdalna' in ola.get("/helpdesk/").text  # in the menu
    faq = "## Jak pobrać program?\n<script>alert(1)</script>\n- Kliknij link\n- Uruchom"
    refused = ola.post("/helpdesk/admin/help", data={"body": faq, "csrf_token": token_of(ola)})
    assert refused.status_code == 403

    admin = site.as_("admin@cum.example")
    assert 'href="/helpdesk/admin/help"' in admin.get("/helpdesk/admin").text
    form = admin.get("/helpdesk/admin/help")
    saved = admin.post(
        "/helpdesk/admin/help",
        data={"body": faq, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "&lt;script&gt;" in admin.get("/helpdesk/admin/help").text  # kept as typed
    shown = ola.get("/helpdesk/help").text
    assert "<h3>Jak pobrać program?</h3>" in shown
    assert "<ul><li>Kliknij link</li><li>Uruchom</li></ul>" in shown
    assert "<script>alert(1)</script>" not in shown and "&lt;script&gt;alert(1)" in shown
