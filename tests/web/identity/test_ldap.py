"""Directory sign-in against a real OpenLDAP (Debian's slapd, tests/support/ldapserver.py):
bind as the user over StartTLS or LDAPS with the test CA, groups as memberOf, member and
uniqueMember mapped to roles at every sign-in, a disabled account (AD's userAccountControl
bit 2), a user without e-mail, and the attacks: an LDAP filter in the user name, an empty
password, a server whose certificate another CA signed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.ldapserver import SUFFIX, LdapServer, TestCa
from web.identity.backends.ldap import (
    DirectoryConfigError,
    DirectoryRefused,
    DirectoryUser,
    LdapSettings,
    Refusal,
    authenticate,
)
from web.identity.grants import Grant

PW = "Tajne-haslo-1"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"


@pytest.fixture(scope="module")
def ldap() -> Iterator[LdapServer]:
    server = LdapServer.start()
    anna = server.add_user("anna", PW, name="Anna Nowak", email="Anna.Nowak@city.example")
    bez = server.add_user("bez.maila", PW, name="Jan Bezmailowy")
    server.add_user(
        "wylaczony", PW, name="Ewa Wyłączona", email="ewa@city.example", account_control=514
    )
    server.add_user("czynny", PW, name="Olek Czynny", email="olek@city.example", account_control=0)
    server.add_user("ktos", PW, name="Ktoś Inny", email="ktos@city.example")
    server.add_group("helpdesk-service", [anna, bez])  # groupOfNames: member + memberOf
    server.add_group("reception-torun", [anna])
    server.add_group("fault-operators", [anna, bez], unique=True)  # groupOfUniqueNames
    yield server
    server.stop()


def settings(server: LdapServer, **changes: object) -> LdapSettings:
    data: dict[str, object] = {
        "url": server.url,
        "starttls": True,
        "ca_file": str(server.ca_file),
        "base_dn": PEOPLE,
        "user_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "bind_template": "uid={username}," + PEOPLE,
        "disabled_attribute": "userAccountControl",
        "roles": {
            f"cn=helpdesk-service,{GROUPS}": ["helpdesk:service"],
            f"CN=Reception-Torun, {GROUPS}": ["staff:reception@torun"],
            f"cn=fault-operators,{GROUPS}": ["faults:operator"],
        },
    }
    data.update(changes)
    return LdapSettings.from_mapping(data, "test.toml")


def sign_in(s: LdapSettings, username: str, password: str = PW) -> DirectoryUser:
    return asyncio.run(authenticate(s, username, password))


def refusal(s: LdapSettings, username: str, password: str = PW) -> Refusal:
    with pytest.raises(DirectoryRefused) as caught:
        sign_in(s, username, password)
    return caught.value.reason


def test_a_user_signs_in_over_starttls_with_memberof_groups_mapped_to_roles(ldap: LdapServer):
    user = sign_in(settings(ldap), "anna")
    assert (user.name, user.email) == ("Anna Nowak", "anna.nowak@city.example")
    assert user.grants == (Grant("helpdesk", "service"), Grant("staff", "reception", "torun"))


def test_member_and_unique_member_groups_are_read_from_the_groups(ldap: LdapServer):
    by_member = settings(ldap, groups="member", group_base_dn=GROUPS)
    assert {str(g) for g in sign_in(by_member, "anna").grants} == {
        "helpdesk:service",
        "staff:reception@torun",
    }
    by_unique = settings(ldap, groups="uniqueMember", group_base_dn=GROUPS)
    assert sign_in(by_unique, "bez.maila").grants == (Grant("faults", "operator"),)


def test_a_user_without_email_signs_in_and_a_user_without_groups_has_no_roles(ldap: LdapServer):
    user = sign_in(settings(ldap), "bez.maila")
    assert user.email is None and user.name == "Jan Bezmailowy"
    assert sign_in(settings(ldap), "ktos").grants == ()


def test_a_wrong_password_is_refused(ldap: LdapServer):
    assert refusal(settings(ldap), "anna", "zle-haslo-1") == Refusal.BAD_CREDENTIALS
    assert refusal(settings(ldap), "nikt", PW) == Refusal.BAD_CREDENTIALS


def test_a_disabled_directory_account_is_refused_with_the_right_password(ldap: LdapServer):
    # The attack: AD keeps a leaver's account, only flagged (userAccountControl 514 = 512 | 2).
    assert refusal(settings(ldap), "wylaczony") == Refusal.DISABLED
    assert sign_in(settings(ldap), "czynny").name == "Olek Czynny"  # bit 2 clear: enabled


def test_the_directory_is_asked_again_at_every_sign_in(ldap: LdapServer):
    s = settings(ldap)
    ldap.add_user("marta", PW, name="Marta Zmienna", email="marta@x.example", account_control=512)
    group = ldap.add_group("leavers-test", [f"uid=marta,{PEOPLE}"])
    s = replace(s, roles={**s.roles, group: (Grant("helpdesk", "admin"),)})
    assert sign_in(s, "marta").grants == (Grant("helpdesk", "admin"),)
    ldap.add_user("placeholder", PW, name="P H")
    ldap.add_group("keep-nonempty", [f"uid=placeholder,{PEOPLE}"])
    with ldap.admin() as conn:  # groupOfNames needs a member: swap her for the placeholder
        import ldap3

        conn.modify(
            group,
            {
                "member": [
                    (ldap3.MODIFY_ADD, [f"uid=placeholder,{PEOPLE}"]),
                    (ldap3.MODIFY_DELETE, [f"uid=marta,{PEOPLE}"]),
                ]
            },
        )
    assert sign_in(s, "marta").grants == ()  # left the group: the role is gone
    ldap.set_account_control(f"uid=marta,{PEOPLE}", 514)
    assert refusal(s, "marta") == Refusal.DISABLED


@pytest.mark.parametrize("username", ["*)(uid=*", "*", "anna)(|(uid=*", "anna\\2a", "uid=anna,"])
def test_an_ldap_filter_in_the_user_name_signs_nobody_in(ldap: LdapServer, username: str):
    # The attack: a user name that widens the search to someone else's entry.
    assert refusal(settings(ldap), username) == Refusal.BAD_CREDENTIALS


def test_an_empty_password_is_not_an_anonymous_bind(ldap: LdapServer):
    # The attack: LDAP answers a bind with a name and no password as "unauthenticated", success.
    assert refusal(settings(ldap), "anna", "") == Refusal.BAD_CREDENTIALS


def test_ldaps_works_and_a_certificate_from_another_ca_is_refused(ldap: LdapServer, tmp_path: Path):
    assert sign_in(settings(ldap, url=ldap.ldaps_url, starttls=False), "anna").name == "Anna Nowak"
    other = tmp_path / "other-ca.pem"
    other.write_bytes(TestCa.make("Somebody else's CA").ca_pem)
    assert refusal(settings(ldap, ca_file=str(other)), "anna") == Refusal.UNAVAILABLE
    ldaps = settings(ldap, url=ldap.ldaps_url, starttls=False, ca_file=str(other))
    assert refusal(ldaps, "anna") == Refusal.UNAVAILABLE


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"roles": {f"cn=helpdesk-service,{GROUPS}": ["helpdesk:servcie"]}}, "servcie"),
        ({"roles": {f"cn=x,{GROUPS}": ["helpdek:service"]}}, "helpdek"),
        ({"roles": {"cn=x,,,=": ["helpdesk:service"]}}, "distinguished name"),
        ({"roles": {f"cn=x,{GROUPS}": ["helpdesk:unit"]}}, "needs its @scope"),
        ({"roles": {f"cn=x,{GROUPS}": ["faults:supervisor@centrum"]}}, "a number"),
        ({"roles": {}}, "roles"),
        ({"url": "ldap://127.0.0.1:1", "starttls": False}, "clear"),
        ({"groups": "memberof"}, "groups"),
        ({"groups": "member"}, "group_base_dn"),
        ({"user_filter": "(uid=anna)"}, "{username}"),
        ({"lookup_dn": "cn=reader," + SUFFIX}, "OKIENKO_LDAP_LOOKUP_PASSWORD"),
        ({"grups": "memberOf"}, "unknown key"),
    ],
)
def test_a_mistake_in_the_settings_refuses_them_with_a_clear_message(
    ldap: LdapServer, change: dict[str, object], named: str, monkeypatch: pytest.MonkeyPatch
):
    # A typo must not quietly map nobody to anything (and strip everyone's roles).
    monkeypatch.delenv("OKIENKO_LDAP_LOOKUP_PASSWORD", raising=False)
    with pytest.raises(DirectoryConfigError) as caught:
        settings(ldap, **change)
    assert str(caught.value).startswith("test.toml: [ldap]") and named in str(caught.value)


def test_settings_come_from_a_toml_file_with_the_lookup_password_from_a_file(
    ldap: LdapServer, tmp_path: Path
):
    secret = tmp_path / "lookup.secret"
    secret.write_text("root-secret-1\n")
    extra = "\n".join(
        (
            f'lookup_dn = "cn=admin,{SUFFIX}"',
            f'lookup_password_file = "{secret}"',
            'groups = "uniqueMember"',
            f'group_base_dn = "{GROUPS}"',
        )
    )
    roles = f'"cn=fault-operators,{GROUPS}" = ["faults:operator"]'
    s = LdapSettings.from_file(ldap.settings_file(tmp_path / "directory.toml", extra, roles))
    assert s.lookup_password == "root-secret-1" and "root-secret-1" not in repr(s)
    assert sign_in(s, "anna").grants == (Grant("faults", "operator"),)


def test_the_directory_check_command_signs_a_user_in_or_names_the_mistake(
    ldap: LdapServer, tmp_path: Path
):
    import subprocess
    import sys

    roles = f'"cn=helpdesk-service,{GROUPS}" = ["helpdesk:service"]'
    path = ldap.settings_file(tmp_path / "directory.toml", "", roles)

    def check(*extra: str, password: str = "") -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "okienko.cli", "directory-check", "--settings", str(path)]
        return subprocess.run(
            [*cmd, *extra], input=password + "\n", capture_output=True, text=True, timeout=60
        )

    done = check("--user", "bez.maila", password=PW)
    assert done.returncode == 0, done.stderr
    assert "name: Jan Bezmailowy" in done.stdout and "roles: helpdesk:service" in done.stdout
    assert check("--user", "anna", password="zle-haslo-1").returncode == 1
    ldap.settings_file(path, "", roles.replace("helpdesk:service", "helpdesk:serwis"))
    done = check()
    assert done.returncode == 2 and "helpdesk has no role 'serwis'" in done.stderr
