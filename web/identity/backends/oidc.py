"""Sign-in with an OpenID Connect provider (Entra ID, Keycloak, the city's own): the
authorization code flow with PKCE, built from authlib's pieces and joserfc (authlib's JOSE
library).

The backend answers the question every backend answers, who is this and which roles do they
hold, in two steps: ``begin`` makes the address that sends the browser to the provider (with a
fresh state, nonce and PKCE verifier the caller keeps in the session), ``finish`` checks the
provider's answer against them, redeems the code and verifies the id token: its signature
against the provider's published keys (JWKS), the issuer, the audience (this client), the
expiry and the nonce. The groups (or roles) claim is mapped to roles with the same mapping
rules as the LDAP directory's (web/identity/grants.py).
"""

from __future__ import annotations

import hmac
import os
import ssl
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from web.identity.backends.ldap import DirectoryConfigError, DirectoryUser
from web.identity.grants import Grant, parse_mapping

SECRET_ENV = "OKIENKO_OIDC_CLIENT_SECRET"
# Signatures with the provider's public keys only: never "none", never a shared secret.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
PENDING_S = 10 * 60  # how long a sign-in may stay at the provider
LEEWAY_S = 60  # clocks differ a little between the provider and us
USERNAME_PREFIX = "oidc:"  # kept apart from LDAP user names in the accounts' directory_name


class Refusal(StrEnum):
    STATE = "state"  # no sign-in was started here, or another one's state: a forged answer
    PROVIDER = "provider"  # the provider said no (the user cancelled, consent refused)
    CODE = "code"  # the code was not redeemed: used already, another client's, wrong verifier
    TOKEN = "token"  # the id token failed a check: signature, issuer, audience, expiry, nonce
    UNAVAILABLE = "unavailable"  # the provider did not answer


class OidcRefused(Exception):
    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason


@dataclass(frozen=True)
class OidcSettings:
    issuer: str  # https://login.microsoftonline.com/{tenant}/v2.0, https://sso.city/realms/x
    client_id: str
    client_secret: str = field(repr=False)
    label: str = "OpenID Connect"  # the provider's name on the button: "Zaloguj przez {label}"
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    groups_claim: str = "groups"  # or "roles" (Entra ID app roles), a claim holding a list
    name_claim: str = "name"
    email_claim: str = "email"
    ca_file: Path | None = None  # None: the system's CAs
    roles: dict[str, tuple[Grant, ...]] = field(default_factory=dict)  # claim value → grants
    timeout_s: float = 10.0

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: str = "settings") -> OidcSettings:
        def fail(key: str, why: str) -> DirectoryConfigError:
            return DirectoryConfigError(f"{source}: [oidc] {key}: {why}")

        known = {
            "issuer", "client_id", "client_secret_file", "label", "scopes", "groups_claim",
            "name_claim", "email_claim", "ca_file", "roles", "timeout_s",
        }  # fmt: skip
        for key in data:
            if key == "client_secret":
                raise fail(key, f"never in this file: use client_secret_file or {SECRET_ENV}")
            if key not in known:
                raise fail(key, f"unknown key (known: {', '.join(sorted(known))})")
        for key in ("issuer", "client_id"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise fail(key, "required")
        issuer = data["issuer"].strip().rstrip("/")
        parts = urlsplit(issuer)
        loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise fail("issuer", "must be an https:// address (http only on this machine)")
        secret = os.environ.get(SECRET_ENV, "")
        if data.get("client_secret_file"):
            try:
                secret = Path(data["client_secret_file"]).read_text().strip()
            except OSError as exc:
                raise fail("client_secret_file", str(exc)) from None
        if not secret:
            raise fail("client_id", f"its secret comes from client_secret_file or {SECRET_ENV}")
        scopes = data.get("scopes", ["openid", "profile", "email"])
        if not isinstance(scopes, list) or "openid" not in scopes:
            raise fail("scopes", 'a list that includes "openid"')
        ca_file = Path(data["ca_file"]) if data.get("ca_file") else None
        if ca_file is not None and not ca_file.is_file():
            raise fail("ca_file", f"no such file: {ca_file}")

        def group(value: str) -> str:
            if not value.strip():
                raise ValueError("an empty group name")
            return value.strip()

        return cls(
            issuer=issuer,
            client_id=data["client_id"].strip(),
            client_secret=secret,
            label=str(data.get("label") or "OpenID Connect")[:60],
            scopes=tuple(str(s) for s in scopes),
            groups_claim=str(data.get("groups_claim", "groups")),
            name_claim=str(data.get("name_claim", "name")),
            email_claim=str(data.get("email_claim", "email")),
            ca_file=ca_file,
            roles=parse_mapping(data.get("roles", {}), fail, group),
            timeout_s=float(data.get("timeout_s", 10.0)),
        )


@dataclass
class _Provider:
    """The provider's discovery document and keys, fetched once and refetched when a token
    names a key we do not have (the provider rotated them)."""

    meta: dict[str, Any]
    keys: KeySet
    fetched: float


_providers: dict[str, _Provider] = {}


def _client(settings: OidcSettings) -> httpx.AsyncClient:
    verify: Any = True
    if settings.ca_file is not None:
        verify = ssl.create_default_context(cafile=str(settings.ca_file))
    return httpx.AsyncClient(verify=verify, timeout=settings.timeout_s, follow_redirects=False)


async def _fetch(settings: OidcSettings) -> _Provider:
    try:
        async with _client(settings) as client:
            r = await client.get(f"{settings.issuer}/.well-known/openid-configuration")
            r.raise_for_status()
            meta = r.json()
            # The document must speak for the issuer we trust (OpenID Discovery 4.3).
            if meta.get("issuer") != settings.issuer:
                raise OidcRefused(Refusal.UNAVAILABLE, "the discovery names another issuer")
            r = await client.get(meta["jwks_uri"])
            r.raise_for_status()
            keys = KeySet.import_key_set(r.json())
    except (httpx.HTTPError, ValueError, KeyError, JoseError) as exc:
        raise OidcRefused(Refusal.UNAVAILABLE, type(exc).__name__) from exc
    found = _Provider(meta, keys, time.monotonic())
    _providers[settings.issuer] = found
    return found


async def _provider(settings: OidcSettings) -> _Provider:
    return _providers.get(settings.issuer) or await _fetch(settings)


@dataclass(frozen=True)
class Pending:
    """What the session keeps between the redirect and the callback."""

    state: str
    nonce: str
    verifier: str
    started: float

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "nonce": self.nonce, "verifier": self.verifier,
                "started": self.started}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Any) -> Pending | None:
        try:
            return cls(str(data["state"]), str(data["nonce"]), str(data["verifier"]),
                       float(data["started"]))  # fmt: skip
        except (TypeError, KeyError, ValueError):
            return None


async def begin(settings: OidcSettings, redirect_uri: str) -> tuple[str, Pending]:
    """The provider's address to send the browser to, and what to keep until it comes back."""
    meta = (await _provider(settings)).meta
    pending = Pending(generate_token(32), generate_token(32), generate_token(64), time.time())
    url = prepare_grant_uri(
        meta["authorization_endpoint"],
        settings.client_id,
        "code",
        redirect_uri=redirect_uri,
        scope=" ".join(settings.scopes),
        state=pending.state,
        nonce=pending.nonce,
        code_challenge=create_s256_code_challenge(pending.verifier),
        code_challenge_method="S256",
    )
    return url, pending


async def finish(
    settings: OidcSettings, redirect_uri: str, pending: Pending | None, params: Any
) -> DirectoryUser:
    """The signed-in user of the provider's answer (the callback's query), or OidcRefused."""
    state = str(params.get("state") or "")
    if (
        pending is None
        or not state
        or not hmac.compare_digest(state.encode(), pending.state.encode())
        or time.time() - pending.started > PENDING_S
    ):
        raise OidcRefused(Refusal.STATE)
    if params.get("iss") and params["iss"] != settings.issuer:  # RFC 9207: a mix-up
        raise OidcRefused(Refusal.STATE, "the answer names another issuer")
    if params.get("error"):
        raise OidcRefused(Refusal.PROVIDER, str(params["error"])[:100])
    code = str(params.get("code") or "")
    if not code:
        raise OidcRefused(Refusal.CODE, "no code")
    provider = await _provider(settings)
    try:
        async with _client(settings) as client:
            r = await client.post(
                provider.meta["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": pending.verifier,
                },
                auth=(settings.client_id, settings.client_secret),
                headers={"Accept": "application/json"},
            )
    except httpx.HTTPError as exc:
        raise OidcRefused(Refusal.UNAVAILABLE, type(exc).__name__) from exc
    if r.status_code != 200:
        raise OidcRefused(Refusal.CODE, f"the token endpoint answered {r.status_code}")
    try:
        id_token = str(r.json()["id_token"])
    except (ValueError, KeyError, TypeError):
        raise OidcRefused(Refusal.TOKEN, "no id token") from None
    claims = await verify_id_token(settings, id_token, pending.nonce)
    return user_of(settings, claims)


def _decode(token: str, keys: KeySet) -> jwt.Token:
    return jwt.decode(token, keys, algorithms=list(ALGORITHMS))


async def verify_id_token(
    settings: OidcSettings, token: str, nonce: str, now: float | None = None
) -> dict[str, Any]:
    """The id token's claims when it is signed by the provider's key and says it is for this
    client, from this issuer, unexpired (at ``now``, default the clock's) and with our nonce;
    otherwise OidcRefused."""
    provider = await _provider(settings)
    try:
        try:
            decoded = _decode(token, provider.keys)
        except (JoseError, ValueError):
            # Perhaps a key published since we fetched them; at most once a minute.
            if time.monotonic() - provider.fetched < 60:
                raise
            decoded = _decode(token, (await _fetch(settings)).keys)
        jwt.JWTClaimsRegistry(
            now=int(time.time() if now is None else now),
            leeway=LEEWAY_S,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise OidcRefused(Refusal.TOKEN, type(exc).__name__) from exc
    claims = dict(decoded.claims)
    audience = claims["aud"]
    # Several audiences: the token must have been issued to us (OpenID Connect Core 3.1.3.7).
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != settings.client_id:
        raise OidcRefused(Refusal.TOKEN, "azp")
    if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
        raise OidcRefused(Refusal.TOKEN, "nonce")
    return claims


def user_of(settings: OidcSettings, claims: dict[str, Any]) -> DirectoryUser:
    """The verified claims as the user the parts provision (web/auth/directory.py,
    web/helpdesk/directory.py). The account is keyed by ``sub``, which the provider never
    reassigns, not by a name or an e-mail a user may be able to change."""
    raw = claims.get(settings.groups_claim) or []
    groups = frozenset(str(g) for g in ([raw] if isinstance(raw, str) else raw))
    grants = sorted({g for name in groups for g in settings.roles.get(name, ())})
    sub = str(claims["sub"])
    if len(USERNAME_PREFIX + sub) > 128:  # the accounts' directory_name holds 128
        raise OidcRefused(Refusal.TOKEN, "sub too long")
    email = claims.get(settings.email_claim)
    if claims.get("email_verified") is False or not isinstance(email, str) or "@" not in email:
        email = None
    name = claims.get(settings.name_claim) or claims.get("preferred_username") or sub
    return DirectoryUser(
        username=USERNAME_PREFIX + sub, dn=settings.issuer, name=str(name),
        email=email.lower() if email else None, groups=groups, grants=tuple(grants),
    )  # fmt: skip
