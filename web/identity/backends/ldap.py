"""Sign-in with the city's directory (Active Directory or any LDAP server) through ldap3.

The backend answers the one question every backend answers: who is this user name with this
password, and which roles do they hold? It binds *as the user* (no service password is needed
to sign in; one may be configured for look-ups), over LDAPS or StartTLS verifying the
server's certificate, and asks the directory again at every sign-in: a disabled account
(Active Directory's ``userAccountControl`` bit 2) is refused, and a group the user left no
longer grants its role.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from web.identity.grants import Grant, parse_mapping

MEMBERSHIP = ("memberOf", "member", "uniqueMember")
# What a directory user name may be: letters, digits and . _ - @ + (sAMAccountName, uid and
# userPrincipalName all fit). Anything else (filter or DN syntax: * ( ) \ , = NUL) is refused
# before it reaches the directory, and what passes is escaped all the same.
USERNAME = re.compile(r"[\w.@+-]{1,128}")
ACCOUNTDISABLE = 2


class DirectoryConfigError(ValueError):
    """The [ldap] settings are wrong; the message names the file and the key."""


class Refusal(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"  # wrong password, unknown user, a refused user name
    DISABLED = "disabled"
    UNAVAILABLE = "unavailable"  # the directory did not answer, or its certificate is wrong


class DirectoryRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass(frozen=True)
class LdapSettings:
    url: str  # ldaps://host[:port] or ldap://host[:port] with starttls
    base_dn: str  # where users are searched
    user_filter: str  # with {username}, e.g. (&(objectClass=user)(sAMAccountName={username}))
    bind_template: str  # the bind name: uid={username},ou=people,… or {username}@city.local
    starttls: bool = False
    ca_file: Path | None = None  # None: the system's CAs
    name_attribute: str = "cn"
    email_attribute: str = "mail"
    groups: str = "memberOf"  # memberOf on the user, or member / uniqueMember on groups
    group_base_dn: str = ""
    disabled_attribute: str | None = None  # an integer; bit 2 set = disabled (AD)
    lookup_dn: str | None = None
    lookup_password: str | None = field(default=None, repr=False)
    roles: dict[str, tuple[Grant, ...]] = field(default_factory=dict)  # group DN → grants
    timeout_s: float = 5.0

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = "settings") -> LdapSettings:
        def fail(key: str, why: str) -> DirectoryConfigError:
            return DirectoryConfigError(f"{source}: [ldap] {key}: {why}")

        known = {
            "url", "base_dn", "user_filter", "bind_template", "starttls", "ca_file",
            "name_attribute", "email_attribute", "groups", "group_base_dn",
            "disabled_attribute", "lookup_dn", "lookup_password_file", "roles", "timeout_s",
        }  # fmt: skip
        for key in data:
            if key not in known:
                raise fail(key, f"unknown key (known: {', '.join(sorted(known))})")
        for key in ("url", "base_dn", "user_filter", "bind_template"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise fail(key, "required")
        url = data["url"].strip()
        starttls = bool(data.get("starttls", False))
        if url.startswith("ldap://") and not starttls:
            raise fail("url", "ldap:// sends passwords in clear: use ldaps:// or starttls = true")
        if not url.startswith(("ldap://", "ldaps://")):
            raise fail("url", "must start with ldaps:// or ldap://")
        if "{username}" not in data["user_filter"]:
            raise fail("user_filter", "must contain {username}")
        if "{username}" not in data["bind_template"]:
            raise fail("bind_template", "must contain {username}")
        groups = data.get("groups", "memberOf")
        if groups not in MEMBERSHIP:
            raise fail("groups", f"one of {', '.join(MEMBERSHIP)}")
        if groups != "memberOf" and not data.get("group_base_dn"):
            raise fail("group_base_dn", f"required when groups = {groups!r}")
        ca_file = Path(data["ca_file"]) if data.get("ca_file") else None
        if ca_file is not None and not ca_file.is_file():
            raise fail("ca_file", f"no such file: {ca_file}")
        lookup_password = None
        if data.get("lookup_dn"):
            lookup_password = os.environ.get("OKIENKO_LDAP_LOOKUP_PASSWORD")
            if data.get("lookup_password_file"):
                lookup_password = Path(data["lookup_password_file"]).read_text().strip()
            if not lookup_password:
                raise fail(
                    "lookup_dn",
                    "its password comes from lookup_password_file or "
                    "OKIENKO_LDAP_LOOKUP_PASSWORD, never from this file",
                )
        return cls(
            url=url,
            base_dn=data["base_dn"],
            user_filter=data["user_filter"],
            bind_template=data["bind_template"],
            starttls=starttls,
            ca_file=ca_file,
            name_attribute=data.get("name_attribute", "cn"),
            email_attribute=data.get("email_attribute", "mail"),
            groups=groups,
            group_base_dn=data.get("group_base_dn", ""),
            disabled_attribute=data.get("disabled_attribute") or None,
            lookup_dn=data.get("lookup_dn") or None,
            lookup_password=lookup_password,
            roles=_roles(data.get("roles", {}), fail),
            timeout_s=float(data.get("timeout_s", 5.0)),
        )

    @classmethod
    def from_file(cls, path: Path) -> LdapSettings:
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DirectoryConfigError(f"{path}: {exc}") from None
        if not isinstance(data.get("ldap"), dict):
            raise DirectoryConfigError(f"{path}: no [ldap] table")
        return cls.from_mapping(data["ldap"], str(path))


def _roles(raw: Any, fail: Any) -> dict[str, tuple[Grant, ...]]:
    """Group DN → grants (web/identity/grants.py checks every entry)."""
    from ldap3.core.exceptions import LDAPInvalidDnError

    def key(dn: str) -> str:
        try:
            return normal_dn(dn)
        except LDAPInvalidDnError:
            raise ValueError("not a distinguished name") from None

    return parse_mapping(raw, fail, key)


def normal_dn(dn: str) -> str:
    """A DN compared the way directories do: case and spaces around the separators ignored."""
    from ldap3.utils.dn import parse_dn

    parts = parse_dn(dn, strip=True)
    return ",".join(f"{a.strip().lower()}={v.strip().lower()}" for a, v, _ in parts)


@dataclass(frozen=True)
class DirectoryUser:
    username: str
    dn: str
    name: str
    email: str | None
    groups: frozenset[str]  # normalised DNs
    grants: tuple[Grant, ...]  # from the mapped groups, sorted


def _tls(settings: LdapSettings) -> Any:
    import ldap3

    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_file=str(settings.ca_file) if settings.ca_file else None,
    )


def _connection(settings: LdapSettings, user: str, password: str) -> Any:
    """A bound connection, or DirectoryRefused."""
    import ldap3
    from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPSocketOpenError

    server = ldap3.Server(
        settings.url,
        use_ssl=settings.url.startswith("ldaps://"),
        tls=_tls(settings),
        connect_timeout=settings.timeout_s,
        get_info=ldap3.NONE,
    )
    conn = ldap3.Connection(
        server, user=user, password=password, receive_timeout=int(settings.timeout_s),
        raise_exceptions=False, read_only=True,
    )  # fmt: skip
    try:
        conn.open()
        if settings.starttls and not conn.start_tls():
            raise DirectoryRefused(Refusal.UNAVAILABLE)
        if not conn.bind():
            # AD answers 49 for a disabled account as for a wrong password (data 533): the
            # directory decides; we say only that the sign-in failed.
            raise DirectoryRefused(Refusal.BAD_CREDENTIALS)
    except (LDAPSocketOpenError, ssl.SSLError) as exc:
        raise DirectoryRefused(Refusal.UNAVAILABLE) from exc
    except LDAPBindError as exc:
        raise DirectoryRefused(Refusal.BAD_CREDENTIALS) from exc
    except LDAPException as exc:
        raise DirectoryRefused(Refusal.UNAVAILABLE) from exc
    return conn


def _first(entry: Any, attribute: str) -> str | None:
    values = entry["attributes"].get(attribute)
    if isinstance(values, list):
        values = values[0] if values else None
    return None if values in (None, "") else str(values)


def _authenticate(settings: LdapSettings, username: str, password: str) -> DirectoryUser:
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import escape_rdn

    username = username.strip()
    # An empty password would be an "unauthenticated bind", which LDAP answers with success.
    if not USERNAME.fullmatch(username) or not password:
        raise DirectoryRefused(Refusal.BAD_CREDENTIALS)
    template = settings.bind_template
    bind_name = template.format(
        username=escape_rdn(username) if "=" in template.split("{username}")[0] else username
    )
    conn = _connection(settings, bind_name, password)
    look = conn
    try:
        if settings.lookup_dn:
            look = _connection(settings, settings.lookup_dn, settings.lookup_password or "")
        wanted = [settings.name_attribute, settings.email_attribute]
        if settings.groups == "memberOf":
            wanted.append("memberOf")
        if settings.disabled_attribute:
            wanted.append(settings.disabled_attribute)
        look.search(
            settings.base_dn,
            settings.user_filter.format(username=escape_filter_chars(username)),
            attributes=wanted,
            size_limit=2,
        )
        found = [e for e in look.response or [] if e.get("type") == "searchResEntry"]
        if len(found) != 1:
            raise DirectoryRefused(Refusal.BAD_CREDENTIALS)
        entry = found[0]
        if settings.disabled_attribute:
            flags = _first(entry, settings.disabled_attribute)
            if flags is not None and int(flags) & ACCOUNTDISABLE:
                raise DirectoryRefused(Refusal.DISABLED)
        if settings.groups == "memberOf":
            groups = {normal_dn(g) for g in entry["attributes"].get("memberOf") or []}
        else:
            look.search(
                settings.group_base_dn,
                f"({settings.groups}={escape_filter_chars(entry['dn'])})",
                attributes=["cn"],
            )
            groups = {
                normal_dn(e["dn"]) for e in look.response or [] if e.get("type") == "searchResEntry"
            }
        grants = sorted({g for dn in groups for g in settings.roles.get(dn, ())})
        name = _first(entry, settings.name_attribute) or username
        email = _first(entry, settings.email_attribute)
        return DirectoryUser(
            username, entry["dn"], name, email.lower() if email else None, frozenset(groups),
            tuple(grants),
        )  # fmt: skip
    finally:
        conn.unbind()
        if look is not conn:
            look.unbind()


async def authenticate(settings: LdapSettings, username: str, password: str) -> DirectoryUser:
    """The directory's answer for this user name and password, or DirectoryRefused."""
    return await asyncio.to_thread(_authenticate, settings, username, password)
