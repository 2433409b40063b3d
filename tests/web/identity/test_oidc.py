"""Signing in with OpenID Connect, over real HTTP against ``okienko web --directory`` and a
real provider (the npm package oidc-provider, tests/support/oidcserver.py): the whole
authorization code flow in Chromium, accounts created at the first sign-in with the groups
claim's roles, a role taken away at the provider ending the sessions that needed it, the
attacks on the flow (a forged state, a replayed or stolen code, an id token for another
client, with another nonce, signed by another key, expired), and the setting that refuses local
passwords to everyone but a break-glass administrator."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.oidcserver import Client, OidcProvider
from tests.support.webproc import Smtp, WebProcess, csrf_of, free_port
from web.helpdesk import accounts
from web.helpdesk import tables as t
from web.helpdesk.domain import Role
from web.identity import settings as identity
from web.identity.accounts import A, with_account
from web.identity.backends import oidc
from web.identity.backends.ldap import DirectoryConfigError

PW = "Haslo-u-dostawcy-1"
LOCAL_PW = "Haslo-lokalne-1"
ROLES = {
    "okienko-helpdesk": '["helpdesk:service"]',
    "okienko-usterki": '["faults:operator"]',
    "okienko-recepcja": '["staff:reception@torun"]',
}


def person(name: str, email: str, groups: list[str]) -> dict[str, Any]:
    return {"password": PW, "claims": {"name": name, "email": email, "groups": groups}}


@dataclass
class Site:
    web: WebProcess
    provider: OidcProvider
    okienko: Client
    other: Client
    settings: oidc.OidcSettings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("oidc")
    port = free_port()
    okienko = Client("okienko", "sekret-klienta-1", f"http://127.0.0.1:{port}/signin/oidc/callback")
    other = Client("inna-aplikacja", "sekret-innej-1", "http://127.0.0.1:9/callback")
    users = {
        "anna": person("Anna Nowak", "anna@city.example", ["okienko-helpdesk", "okienko-recepcja"]),
        "marek": person("Marek Zmienny", "marek@city.example", [*ROLES][:2]),
        "piotr": person("Piotr Bezgrupy", "piotr@city.example", ["inna-grupa"]),
        "klucz": person("Klucz Kradziony", "klucz@city.example", ["okienko-helpdesk"]),
    }  # fmt: skip
    provider = OidcProvider.start([okienko, other], users)
    path = provider.settings_file(workdir / "directory.toml", okienko, "", ROLES)
    # Local passwords only for the break-glass administrator.
    with path.open("a") as f:
        f.write('[signin]\ndirectory_only = true\nbreak_glass = ["szef@um.example"]\n')
    smtp = Smtp.start()
    web = WebProcess.start(
        workdir, smtp_port=smtp.port, port=port, extra=["--directory", str(path)]
    )
    web.add_staff("szef@um.example", "administrator", LOCAL_PW)
    web.add_staff("jan@um.example", "clerk", LOCAL_PW, location="torun")

    async def seed(engine: AsyncEngine) -> None:
        await accounts.create_user(
            engine, email="lokalna@um.example", name="Lokalna", role=Role.ADMIN,
            password=LOCAL_PW, now=datetime.now(UTC),
        )  # fmt: skip

    web.db(seed)
    try:
        yield Site(web, provider, okienko, other, identity.load(path).oidc)  # type: ignore[arg-type]
    finally:
        web.stop()
        smtp.stop()
        provider.stop()


def helpdesk_account(web: WebProcess, sub: str) -> Any:
    async def work(engine: AsyncEngine) -> Any:
        async with engine.connect() as conn:
            query = with_account(t.users).where(A.c.directory_name == f"oidc:{sub}")
            return (await conn.execute(query)).first()

    return web.db(work)


def staff_account(web: WebProcess, sub: str) -> Any:
    from web.auth.session import T as STAFF

    async def work(engine: AsyncEngine) -> Any:
        async with engine.connect() as conn:
            query = with_account(STAFF).where(A.c.directory_name == f"oidc:{sub}")
            return (await conn.execute(query)).first()

    return web.db(work)


def to_provider(client: httpx.Client, part: str, next_: str = "") -> str:
    """The app's redirect to the provider (a pending sign-in kept in ``client``'s session)."""
    r = client.get(f"/signin/oidc/{part}" + (f"?next={next_}" if next_ else ""))
    assert r.status_code == 303, r.text
    return r.headers["location"]


def oidc_sign_in(s: Site, client: httpx.Client, part: str, user: str) -> httpx.Response:
    """The whole flow without a browser: the app's redirect, the provider's forms, the
    callback in the same session."""
    answer = s.provider.code_flow(s.okienko, user, PW, to_provider(client, part))
    return client.get(f"/signin/oidc/callback?{urlencode(answer)}")


def test_the_sign_in_pages_offer_the_provider(site: Site):
    for part in ("staff", "helpdesk"):
        r = httpx.get(f"{site.web.url}/signin", params={"next": f"/{part}/"})
        assert r.status_code == 200
        page = r.text
        assert "Zaloguj przez Test SSO" in page
        assert f'href="/signin/oidc/{part}?next=' in page


def test_a_user_signs_in_through_the_provider_in_chromium_with_the_keyboard_alone(
    site: Site, tmp_path: Path
):
    from tests.support.browser import assert_accessible, chromium, tab_to

    web = site.web
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{web.url}/staff/login")
        assert_accessible(page, tmp_path, "staff-login-oidc")
        page.goto(f"{web.url}/usterki/")
        assert page.url.startswith(f"{web.url}/signin?next=/usterki/")
        assert_accessible(page, tmp_path, "helpdesk-login-oidc")
        tab_to(page, "oidc-signin")
        page.keyboard.press("Enter")
        page.wait_for_selector("#login")  # the provider's own sign-in page
        assert page.url.startswith(site.provider.issuer)
        tab_to(page, "login")
        page.keyboard.type("marek")
        page.keyboard.press("Tab")
        page.keyboard.type(PW)
        page.keyboard.press("Enter")
        page.wait_for_selector("#provider-allow")  # its consent page
        tab_to(page, "provider-allow")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{web.url}/usterki/")  # back where the user was going
        assert "Marek Zmienny" in page.content()
        page.goto(f"{web.url}/helpdesk/")
        assert page.url == f"{web.url}/helpdesk/"
        page.close()
    row = helpdesk_account(web, "marek")
    assert (row.role, row.email, row.password_hash) == ("service", "marek@city.example", None)


def test_an_account_is_created_at_first_sign_in_with_the_groups_roles_in_each_part(site: Site):
    web = site.web
    with httpx.Client(base_url=web.url) as client:
        r = oidc_sign_in(site, client, "staff", "anna")
        assert r.status_code == 303 and r.headers["location"] == "/staff/", r.text
        assert "Recepcja" in client.get("/staff/").text
        assert client.get("/admin/", follow_redirects=False).status_code == 403
        r = oidc_sign_in(site, client, "helpdesk", "anna")
        assert r.status_code == 303 and r.headers["location"] == "/helpdesk/"
        assert client.get("/helpdesk/").status_code == 200
    staff = staff_account(web, "anna")
    assert (staff.role, staff.location_id) == ("reception", "torun")
    assert staff.email == "anna@city.example"
    assert helpdesk_account(web, "anna").role == "service"
    with httpx.Client(base_url=web.url) as client:  # the second time: the same account
        assert oidc_sign_in(site, client, "staff", "anna").status_code == 303
    assert staff_account(web, "anna").id == staff.id


def test_a_user_whose_groups_map_to_no_role_is_refused(site: Site):
    with httpx.Client(base_url=site.web.url) as client:
        r = oidc_sign_in(site, client, "helpdesk", "piotr")
        assert r.status_code == 403
        assert "nie daje tu żadnej roli" in r.text
        assert client.get("/helpdesk/", follow_redirects=False).status_code == 303
    assert helpdesk_account(site.web, "piotr") is None


def test_a_role_taken_away_at_the_provider_ends_the_sessions_that_needed_it(site: Site):
    s, web = site, site.web
    s.provider.set_claims("marek", groups=["okienko-helpdesk", "okienko-usterki"])
    with httpx.Client(base_url=web.url) as open_session:
        assert oidc_sign_in(s, open_session, "helpdesk", "marek").status_code == 303
        assert open_session.get("/usterki/").status_code == 200
        # Taken out of the fault operators: at the next sign-in, anywhere, the role is gone
        # and the session opened before loses the fault reports at its next request.
        s.provider.set_claims("marek", groups=["okienko-helpdesk"])
        with httpx.Client(base_url=web.url) as elsewhere:
            assert oidc_sign_in(s, elsewhere, "helpdesk", "marek").status_code == 303
        r = open_session.get("/usterki/", follow_redirects=False)
        assert r.status_code == 403
        assert open_session.get("/helpdesk/").status_code == 200  # the role kept stays
        # Taken out of the last mapped group: refused, and the old session ends.
        s.provider.set_claims("marek", groups=[])
        with httpx.Client(base_url=web.url) as elsewhere:
            assert oidc_sign_in(s, elsewhere, "helpdesk", "marek").status_code == 403
        r = open_session.get("/helpdesk/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert helpdesk_account(web, "marek").active is False
    s.provider.set_claims("marek", groups=["okienko-helpdesk", "okienko-usterki"])


def test_a_role_lost_is_lost_in_every_part_at_the_next_sign_in_to_any(site: Site):
    s, web = site, site.web
    with httpx.Client(base_url=web.url) as staff_session:
        assert oidc_sign_in(s, staff_session, "staff", "anna").status_code == 303
        assert staff_session.get("/staff/").status_code == 200
        # Taken out of the reception group; she signs in to the helpdesk only.
        s.provider.set_claims("anna", groups=["okienko-helpdesk"])
        with httpx.Client(base_url=web.url) as elsewhere:
            assert oidc_sign_in(s, elsewhere, "helpdesk", "anna").status_code == 303
        r = staff_session.get("/staff/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert staff_account(web, "anna").active is False
    s.provider.set_claims("anna", groups=["okienko-helpdesk", "okienko-recepcja"])


def test_a_forged_state_signs_nobody_in(site: Site):
    # The attack: the attacker's own code, with a state the victim's browser never made,
    # sent to the victim (login CSRF: the victim would work in the attacker's account).
    s = site
    with httpx.Client(base_url=s.web.url) as attacker:
        stolen = s.provider.code_flow(s.okienko, "klucz", PW, to_provider(attacker, "helpdesk"))
    with httpx.Client(base_url=s.web.url) as victim:
        to_provider(victim, "helpdesk")  # the victim has a sign-in of their own pending
        r = victim.get(f"/signin/oidc/callback?{urlencode({**stolen, 'state': 'podrobiony'})}")
        assert r.status_code == 400 and "nie powiodło się" in r.text
        assert victim.get("/helpdesk/", follow_redirects=False).status_code == 303
        # The victim's own genuine answer, its state changed on the way: refused too (the
        # state, not only PKCE, ties the answer to the sign-in this browser started).
        own = s.provider.code_flow(s.okienko, "klucz", PW, to_provider(victim, "helpdesk"))
        r = victim.get(f"/signin/oidc/callback?{urlencode({**own, 'state': 'podrobiony'})}")
        assert r.status_code == 400
        assert victim.get("/helpdesk/", follow_redirects=False).status_code == 303
        # With no sign-in pending at all, the same.
        r = victim.get(f"/signin/oidc/callback?{urlencode(stolen)}")
        assert r.status_code == 400
        assert victim.get("/helpdesk/", follow_redirects=False).status_code == 303


def test_a_replayed_or_stolen_code_signs_nobody_in(site: Site):
    s = site
    with httpx.Client(base_url=s.web.url) as victim:
        answer = s.provider.code_flow(s.okienko, "klucz", PW, to_provider(victim, "helpdesk"))
        callback = f"/signin/oidc/callback?{urlencode(answer)}"
        assert victim.get(callback).status_code == 303  # the victim's own sign-in
        victim.post("/helpdesk/logout", data={"csrf_token": csrf_of(victim.get("/helpdesk/").text)})
        assert victim.get(callback).status_code == 400  # replayed in the same browser
    with httpx.Client(base_url=s.web.url) as attacker:
        # Replayed with a sign-in of the attacker's own pending and its state: the provider
        # refuses the used code (and the attacker's PKCE verifier is not the victim's).
        own = to_provider(attacker, "helpdesk")
        state = httpx.URL(own).params["state"]
        r = attacker.get(f"/signin/oidc/callback?{urlencode({**answer, 'state': state})}")
        assert r.status_code == 400
        assert attacker.get("/helpdesk/", follow_redirects=False).status_code == 303
    with httpx.Client(base_url=s.web.url) as victim, httpx.Client(base_url=s.web.url) as attacker:
        # A code stolen before the victim used it (from a log, a Referer): without the
        # victim's PKCE verifier it is worth nothing.
        fresh = s.provider.code_flow(s.okienko, "klucz", PW, to_provider(victim, "helpdesk"))
        state = httpx.URL(to_provider(attacker, "helpdesk")).params["state"]
        r = attacker.get(f"/signin/oidc/callback?{urlencode({**fresh, 'state': state})}")
        assert r.status_code == 400
        assert attacker.get("/helpdesk/", follow_redirects=False).status_code == 303


def token_for(s: Site, client: Client, user: str, nonce: str) -> str:
    """A real id token the provider issued to ``client`` for ``user``."""
    verifier = "v" * 64
    answer = s.provider.code_flow(
        client, user, PW, state="s", nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256",
    )  # fmt: skip
    meta = httpx.get(f"{s.provider.issuer}/.well-known/openid-configuration").json()
    r = httpx.post(
        meta["token_endpoint"],
        data={"grant_type": "authorization_code", "code": answer["code"],
              "redirect_uri": client.redirect_uri, "code_verifier": verifier},
        auth=(client.client_id, client.secret),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return str(r.json()["id_token"])


def refusal(s: Site, token: str, nonce: str, now: float | None = None) -> oidc.Refusal | None:
    try:
        asyncio.run(oidc.verify_id_token(s.settings, token, nonce, now))
    except oidc.OidcRefused as exc:
        return exc.reason
    return None


def test_only_an_id_token_signed_for_this_client_with_its_nonce_and_unexpired_passes(site: Site):
    s = site
    ours = token_for(s, s.okienko, "anna", "n-1")
    assert refusal(s, ours, "n-1") is None  # the genuine one passes
    # Another client's token (the city's other application): another audience.
    assert refusal(s, token_for(s, s.other, "anna", "n-2"), "n-2") == oidc.Refusal.TOKEN
    # Ours, but from another sign-in: the nonce differs.
    assert refusal(s, ours, "n-inny") == oidc.Refusal.TOKEN
    # Ours, presented after its expiry.
    assert refusal(s, ours, "n-1", now=time.time() + 2 * 3600) == oidc.Refusal.TOKEN


def test_an_id_token_signed_by_another_key_or_unsigned_is_refused(site: Site):
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    s = site
    genuine = jwt.decode(token_for(s, s.okienko, "anna", "n-3"), s_keys(s))
    claims = {**genuine.claims, "groups": ["okienko-helpdesk"]}
    forged = jwt.encode({"alg": "RS256", "kid": genuine.header["kid"]}, claims,
                        RSAKey.generate_key(2048))  # fmt: skip
    assert refusal(s, forged, "n-3") == oidc.Refusal.TOKEN
    unsigned = forged.rsplit(".", 1)[0].split(".", 1)[1]
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    assert refusal(s, f"{header}.{unsigned}.", "n-3") == oidc.Refusal.TOKEN


def s_keys(s: Site) -> Any:
    from joserfc.jwk import KeySet

    meta = httpx.get(f"{s.provider.issuer}/.well-known/openid-configuration").json()
    return KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())


def local_sign_in(web: WebProcess, part: str, email: str, password: str) -> httpx.Response:
    source = httpx.HTTPTransport(local_address="127.0.0.21")
    with httpx.Client(base_url=web.url, transport=source) as client:
        page = client.get("/signin", params={"next": f"/{part}/"})
        data = {"email": email, "password": password, "csrf_token": csrf_of(page.text)}
        return client.post("/signin", data={**data, "next": f"/{part}/"})


def test_directory_sign_in_can_be_required_of_all_but_a_break_glass_administrator(site: Site):
    web = site.web
    assert local_sign_in(web, "staff", "szef@um.example", LOCAL_PW).status_code == 303
    refused = local_sign_in(web, "staff", "jan@um.example", LOCAL_PW)
    assert refused.status_code == 403 and "kontem z katalogu miasta" in refused.text
    refused = local_sign_in(web, "helpdesk", "lokalna@um.example", LOCAL_PW)
    assert refused.status_code == 403 and "kontem z katalogu miasta" in refused.text
    # A wrong password learns nothing of the setting.
    wrong = local_sign_in(web, "staff", "jan@um.example", "zle-haslo-123")
    assert wrong.status_code == 400 and "katalogu" not in wrong.text


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "directory.toml"
    path.write_text(text)
    (tmp_path / "secret").write_text("s3cret\n")
    return path


OIDC = '[oidc]\nissuer = "https://sso.city.example/realms/um"\nclient_id = "okienko"\n'


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # A typo in a role refuses the whole mapping instead of granting nothing.
        (OIDC + 'client_secret_file = "{d}/secret"\n[oidc.roles]\ng = ["helpdesk:servcie"]\n',
         "[oidc] roles.'g': 'helpdesk:servcie': helpdesk has no role 'servcie'"),
        (OIDC + 'client_secret_file = "{d}/secret"\n[oidc.roles]\ng = ["usterki:operator"]\n',
         "the part must be one of"),
        (OIDC + 'client_secret_file = "{d}/secret"\n[oidc.roles]\ng = ["faults:supervisor"]\n',
         "needs its @scope"),
        (OIDC + 'client_secret = "s3cret"\n[oidc.roles]\ng = ["helpdesk:service"]\n',
         "client_secret: never in this file"),
        (OIDC + '[oidc.roles]\ng = ["helpdesk:service"]\n', "OKIENKO_OIDC_CLIENT_SECRET"),
        (OIDC.replace("https", "http") + 'client_secret_file = "{d}/secret"\n'
         '[oidc.roles]\ng = ["helpdesk:service"]\n', "issuer: must be an https://"),
        (OIDC + 'client_secret_file = "{d}/secret"\n[oidc.roles]\ng = ["helpdesk:service"]\n'
         "[signin]\ndirectory_only = true\n", "break_glass: name at least one"),
    ],
)  # fmt: skip
def test_a_mistake_in_the_oidc_settings_refuses_them_with_a_clear_message(
    tmp_path: Path, text: str, named: str
):
    path = write(tmp_path, text.replace("{d}", str(tmp_path)))
    with pytest.raises(DirectoryConfigError) as refused:
        identity.load(path)
    assert named in str(refused.value)


def test_the_client_secret_may_come_from_the_environment(tmp_path: Path, monkeypatch: Any):
    path = write(tmp_path, OIDC + '[oidc.roles]\n"/urzad/it" = ["helpdesk:admin"]\n')
    monkeypatch.setenv(oidc.SECRET_ENV, "z-otoczenia")
    loaded = identity.load(path).oidc
    assert loaded is not None and loaded.client_secret == "z-otoczenia"
    assert "z-otoczenia" not in repr(loaded)


def test_a_typo_in_the_mapping_stops_the_start(tmp_path: Path):
    path = write(
        tmp_path,
        OIDC + f'client_secret_file = "{tmp_path}/secret"\n[oidc.roles]\ng = ["staff:recepcja"]\n',
    )
    done = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "web", "--directory", str(path), "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "--directory" in done.stderr and "recepcja" in done.stderr
    check = [sys.executable, "-m", "okienko.cli", "directory-check", "--settings", str(path)]
    done = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "staff has no role 'recepcja'" in done.stderr
    path.write_text(path.read_text().replace("staff:recepcja", "staff:reception"))
    done = subprocess.run(check, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "[oidc] is valid (1 mapped groups)" in done.stdout
