"""The sign-in settings file (``okienko web --directory FILE``): one TOML file with

- ``[ldap]``: the city's LDAP / Active Directory (web/identity/backends/ldap.py);
- ``[oidc]``: an OpenID Connect provider (web/identity/backends/oidc.py);
- ``[signin]``: ``directory_only = true`` refuses local passwords to everyone but the
  ``break_glass`` local administrators (their e-mails), for when the directory is down.

Every mistake refuses the whole file with a message naming the table and the key; secrets
come from files or the environment, never from this file or the command line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web.identity.backends.ldap import DirectoryConfigError, LdapSettings
from web.identity.backends.oidc import OidcSettings


@dataclass(frozen=True)
class SigninPolicy:
    directory_only: bool = False
    break_glass: frozenset[str] = field(default_factory=frozenset)  # lower-case e-mails

    def refuses_password(self, email: str) -> bool:
        """A local account's password sign-in is refused: the directory is required."""
        return self.directory_only and email.strip().lower() not in self.break_glass


@dataclass(frozen=True)
class IdentitySettings:
    ldap: LdapSettings | None = None
    oidc: OidcSettings | None = None
    policy: SigninPolicy = field(default_factory=SigninPolicy)

    def app_options(self) -> dict[str, Any]:
        """create_app's options."""
        return {"directory": self.ldap, "oidc": self.oidc, "signin_policy": self.policy}


def _policy(data: Any, source: str) -> SigninPolicy:
    def fail(key: str, why: str) -> DirectoryConfigError:
        return DirectoryConfigError(f"{source}: [signin] {key}: {why}")

    if not isinstance(data, dict):
        raise fail("", "a table")
    for key in data:
        if key not in ("directory_only", "break_glass"):
            raise fail(key, "unknown key (known: break_glass, directory_only)")
    only = data.get("directory_only", False)
    if not isinstance(only, bool):
        raise fail("directory_only", "true or false")
    raw = data.get("break_glass", [])
    emails = [raw] if isinstance(raw, str) else raw
    if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
        raise fail("break_glass", "a list of local administrators' e-mails")
    if only and not emails:
        raise fail(
            "break_glass",
            "name at least one local administrator who may still sign in with a password "
            "(directory_only would lock everyone out when the directory is down)",
        )
    return SigninPolicy(only, frozenset(e.strip().lower() for e in emails))


def load(path: Path) -> IdentitySettings:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DirectoryConfigError(f"{path}: {exc}") from None
    for table in data:
        if table not in ("ldap", "oidc", "signin"):
            raise DirectoryConfigError(
                f"{path}: unknown table [{table}] (known: ldap, oidc, signin)"
            )
    if "ldap" not in data and "oidc" not in data:
        raise DirectoryConfigError(f"{path}: no [ldap] or [oidc] table")
    for table in ("ldap", "oidc"):
        if table in data and not isinstance(data[table], dict):
            raise DirectoryConfigError(f"{path}: [{table}] must be a table")
    return IdentitySettings(
        ldap=LdapSettings.from_mapping(data["ldap"], str(path)) if "ldap" in data else None,
        oidc=OidcSettings.from_mapping(data["oidc"], str(path)) if "oidc" in data else None,
        policy=_policy(data.get("signin", {}), str(path)),
    )
