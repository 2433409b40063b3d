"""Signing in to the helpdesk and the fault reports with the directory, over real HTTP against
``okienko web --directory`` and a real slapd: the account is created at the first sign-in with
the mapped roles, the directory is asked again every time (a user taken out of the group is
signed out and refused), a disabled user and a filter in the user name sign nobody in, a local
account is never taken over, and a directory account gets no password link of ours."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.ldapserver import SUFFIX, LdapServer
from tests.support.webproc import Smtp, WebProcess, csrf_of
from web.helpdesk import accounts
from web.helpdesk import tables as t
from web.helpdesk.domain import Role
from web.identity.accounts import A, with_account

PW = "Tajne-haslo-1"
LOCAL_PW = "Haslo-lokalne-1"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebProcess, LdapServer, Smtp]]:
    ldap = LdapServer.start()
    anna = ldap.add_user("anna", PW, name="Anna Nowak", email="anna@city.example")
    ola = ldap.add_user("ola", PW, name="Ola Szkolna")
    marek = ldap.add_user("marek", PW, name="Marek Odchodzi", email="marek@city.example")
    off = ldap.add_user("ewa", PW, name="Ewa Wyłączona", email="ewa@x.example", account_control=514)
    clash = ldap.add_user("lokalny", PW, name="Lokalny Katalog", email="lokalny@city.example")
    ldap.add_group("helpdesk-service", [anna, marek, off, clash])
    ldap.add_group("unit-one", [ola])
    ldap.add_group("fault-operators", [anna])
    ldap.add_group("reception-torun", [anna, marek])
    workdir = tmp_path_factory.mktemp("directory-signin")
    settings = ldap.settings_file(
        workdir / "directory.toml",
        'disabled_attribute = "userAccountControl"',
        "\n".join(
            (
                f'"cn=helpdesk-service,{GROUPS}" = ["helpdesk:service"]',
                f'"cn=unit-one,{GROUPS}" = ["helpdesk:unit@1"]',
                f'"cn=fault-operators,{GROUPS}" = ["faults:operator"]',
                f'"cn=reception-torun,{GROUPS}" = ["staff:reception@torun"]',
            )
        ),
    )
    smtp = Smtp.start()
    web = WebProcess.start(workdir, smtp_port=smtp.port, extra=["--directory", str(settings)])

    async def seed(engine: AsyncEngine) -> None:
        now = datetime.now(UTC)
        unit = await accounts.create_unit(engine, "Szkoła nr 1", ["ul. Szkolna 1"], [], now)
        assert unit == 1
        await accounts.create_user(
            engine, email="lokalny@city.example", name="Lokalny", role=Role.ADMIN,
            password=LOCAL_PW, now=now,
        )  # fmt: skip

    web.db(seed)
    web.add_staff("szef@um.example", "administrator", LOCAL_PW)
    yield web, ldap, smtp
    web.stop()
    smtp.stop()
    ldap.stop()


def sign_in(
    client: httpx.Client, name: str, password: str = PW, came_from: str = "/helpdesk/"
) -> httpx.Response:
    """The one sign-in page, come to from ``came_from`` (a helpdesk page unless said)."""
    page = client.get("/signin", params={"next": came_from})
    data = {"email": name, "password": password, "csrf_token": csrf_of(page.text)}
    return client.post("/signin", data={**data, "next": came_from})


def account(web: WebProcess, directory_name: str) -> Any:
    async def work(engine: AsyncEngine) -> Any:
        async with engine.connect() as conn:
            query = with_account(t.users).where(A.c.directory_name == directory_name)
            return (await conn.execute(query)).first()

    return web.db(work)


def test_the_sign_in_page_asks_for_an_email_or_a_user_name(site: Any):
    web, _ldap, _smtp = site
    page = httpx.get(f"{web.url}/signin").text
    assert "E-mail lub nazwa użytkownika" in page and 'type="text"' in page


def test_a_directory_user_is_created_at_first_sign_in_with_the_mapped_roles(site: Any):
    web, _ldap, _smtp = site
    with httpx.Client(base_url=web.url) as client:
        r = sign_in(client, "anna")
        assert r.status_code == 303 and r.headers["location"] == "/helpdesk/", r.text
        assert client.get("/helpdesk/").status_code == 200
        assert client.get("/usterki/", follow_redirects=False).status_code == 200
    row = account(web, "anna")
    assert (row.role, row.email, row.password_hash) == ("service", "anna@city.example", None)
    with httpx.Client(base_url=web.url) as client:  # the second time: the same account
        assert sign_in(client, "anna").status_code == 303
    assert account(web, "anna").id == row.id


def test_a_unit_user_without_email_gets_the_unit_from_the_group(site: Any):
    web, _ldap, _smtp = site
    with httpx.Client(base_url=web.url) as client:
        assert sign_in(client, "ola").status_code == 303
    row = account(web, "ola")
    assert (row.role, row.unit_id) == ("unit", 1) and row.email.endswith("@katalog.invalid")


Login = Callable[[httpx.Client, str], httpx.Response]


def leaves_and_is_signed_out(site: Any, uid: str, group: str, part: str, login: Login) -> None:
    """``uid`` signs in to ``part``, leaves ``group``: the next sign-in does not open the part
    and the session opened before loses it (that sign-in found the role gone)."""
    web, ldap, _smtp = site
    with httpx.Client(base_url=web.url) as client:
        assert login(client, uid).status_code == 303
        assert client.get(f"/{part}/").status_code == 200
        ldap.remove_member(f"cn={group},{GROUPS}", f"uid={uid},{PEOPLE}")
        with httpx.Client(base_url=web.url) as again:
            # Refused, or (a role left in another part) signed in to that part only.
            r = login(again, uid)
            assert r.status_code == 400 or not r.headers["location"].startswith(f"/{part}/")
            assert again.get(f"/{part}/", follow_redirects=False).status_code == 303
        r = client.get(f"/{part}/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_a_user_taken_out_of_the_group_is_signed_out_and_refused(site: Any):
    leaves_and_is_signed_out(site, "marek", "helpdesk-service", "helpdesk", sign_in)
    assert account(site[0], "marek").active is False


def test_a_disabled_directory_user_and_a_filter_in_the_name_sign_nobody_in(site: Any):
    web, _ldap, _smtp = site
    source = httpx.HTTPTransport(local_address="127.0.0.9")
    with httpx.Client(base_url=web.url, transport=source) as client:
        assert sign_in(client, "ewa").status_code == 400
        assert sign_in(client, "*)(uid=*").status_code == 400
        assert sign_in(client, "*").status_code == 400
    assert account(web, "ewa") is None


def test_a_local_account_is_never_taken_over_by_the_directory(site: Any):
    web, _ldap, _smtp = site
    source = httpx.HTTPTransport(local_address="127.0.0.10")
    with httpx.Client(base_url=web.url, transport=source) as client:
        assert sign_in(client, "lokalny").status_code == 400  # same e-mail as a local admin
        assert sign_in(client, "lokalny@city.example", LOCAL_PW).status_code == 303
    assert account(web, "lokalny") is None


def no_password_link_is_mailed(site: Any, path: str, email: str) -> None:
    """The page that mails a password link answers as always, and no link goes out."""
    web, _ldap, smtp = site
    with httpx.Client(base_url=web.url) as client:
        page = client.get(path)
        data = {"email": email, "csrf_token": csrf_of(page.text)}
        assert client.post(path, data=data).status_code == 200
    time.sleep(0.5)  # the staff page mails after its answer
    assert smtp.inbox.to(email) == []


def test_a_directory_account_gets_no_password_link(site: Any):
    with httpx.Client(base_url=site[0].url) as client:
        assert sign_in(client, "anna").status_code == 303
    no_password_link_is_mailed(site, "/password/forgot", "anna@city.example")


def test_a_mistake_in_the_directory_file_stops_the_start(tmp_path: Path):
    import subprocess
    import sys

    bad = tmp_path / "directory.toml"
    bad.write_text(
        '[ldap]\nurl = "ldap://127.0.0.1:1"\nbase_dn = "dc=x"\n'
        'user_filter = "(uid={username})"\nbind_template = "uid={username},dc=x"\n'
        '[ldap.roles]\n"cn=a,dc=x" = ["helpdesk:service"]\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "web", "--directory", str(bad), "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--directory" in done.stderr and "starttls" in done.stderr


def test_the_administrator_sees_directory_roles_apart_from_local_ones(site: Any):
    web, _ldap, _smtp = site
    with httpx.Client(base_url=web.url) as client:
        assert sign_in(client, "anna").status_code == 303
    with httpx.Client(base_url=web.url) as admin:
        assert sign_in(admin, "lokalny@city.example", LOCAL_PW).status_code == 303
        page = admin.get("/helpdesk/admin").text
    row_of = {name: page.split(name, 1)[1].split("</tr>", 1)[0] for name in ("Anna Nowak",)}
    assert "z katalogu (anna), ustalana przy każdym logowaniu" in row_of["Anna Nowak"]
    local = page.split(">Lokalny", 1)[1].split("</tr>", 1)[0]
    assert "z katalogu" not in local


def staff_account(web: WebProcess, directory_name: str) -> Any:
    from web.auth.session import T as STAFF

    async def work(engine: AsyncEngine) -> Any:
        async with engine.connect() as conn:
            query = with_account(STAFF).where(A.c.directory_name == directory_name)
            return (await conn.execute(query)).first()

    return web.db(work)


def staff_sign_in(client: httpx.Client, name: str, password: str = PW) -> httpx.Response:
    assert 'type="text"' in client.get("/signin").text
    return sign_in(client, name, password, "/staff/")


def test_a_directory_user_signs_in_as_staff_with_the_groups_role_and_location(site: Any):
    web, _ldap, _smtp = site
    with httpx.Client(base_url=web.url) as client:
        r = staff_sign_in(client, "anna")
        assert r.status_code == 303 and r.headers["location"] == "/staff/", r.text
        assert "Recepcja" in client.get("/staff/").text
        assert client.get("/admin/", follow_redirects=False).status_code == 403
    row = staff_account(web, "anna")
    assert (row.role, row.location_id, row.email) == ("reception", "torun", "anna@city.example")
    no_password_link_is_mailed(site, "/password/forgot", "anna@city.example")


def test_a_staff_member_taken_out_of_the_group_is_signed_out_and_refused(site: Any):
    web, ldap, _smtp = site
    jan = ldap.add_user("jan", PW, name="Jan Recepcja", email="jan@city.example")
    ldap.add_member(f"cn=reception-torun,{GROUPS}", jan)
    leaves_and_is_signed_out(site, "jan", "reception-torun", "staff", staff_sign_in)
    assert staff_account(web, "jan").active is False


def test_a_group_left_ends_the_staff_session_at_a_helpdesk_sign_in(site: Any):
    # The directory's answer at a sign-in to one part applies to the user's every part.
    web, ldap, _smtp = site
    iza = ldap.add_user("iza", PW, name="Iza Obie", email="iza@city.example")
    ldap.add_member(f"cn=reception-torun,{GROUPS}", iza)
    ldap.add_member(f"cn=helpdesk-service,{GROUPS}", iza)
    with httpx.Client(base_url=web.url) as staff_session:
        assert staff_sign_in(staff_session, "iza").status_code == 303
        assert staff_session.get("/staff/").status_code == 200
        ldap.remove_member(f"cn=reception-torun,{GROUPS}", iza)
        with httpx.Client(base_url=web.url) as helpdesk:
            assert sign_in(helpdesk, "iza").status_code == 303
        r = staff_session.get("/staff/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert staff_account(web, "iza").active is False


def test_the_staff_administrator_sees_directory_roles_apart(site: Any):
    web, _ldap, _smtp = site
    with httpx.Client(base_url=web.url) as client:
        assert staff_sign_in(client, "anna").status_code == 303
    with httpx.Client(base_url=web.url) as admin:
        assert staff_sign_in(admin, "szef@um.example", LOCAL_PW).status_code == 303
        page = admin.get("/admin/staff").text
    anna = page.split(">Anna Nowak<", 1)[1].split("</tr>", 1)[0]
    assert "z katalogu (anna), ustalana przy każdym logowaniu" in anna
    assert "z katalogu" not in page.split(">Szef<", 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize("part", ["helpdesk", "staff"])
def test_a_directory_user_signs_in_with_the_keyboard_alone_on_accessible_pages(
    site: Any, part: str, tmp_path: Path
):
    from tests.support.browser import assert_accessible, chromium, tab_to

    web, _ldap, _smtp = site
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{web.url}/{part}/login")
        assert_accessible(page, tmp_path, f"{part}-login")
        tab_to(page, "email")  # from the top of the page, as a keyboard user does
        page.keyboard.type("anna")
        page.keyboard.press("Tab")
        page.keyboard.type("zle-haslo-1")
        page.keyboard.press("Enter")
        page.wait_for_selector("#login-error")
        assert_accessible(page, tmp_path, f"{part}-login-error")
        tab_to(page, "password")
        page.keyboard.type(PW)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{web.url}/{part}/")
        page.close()
