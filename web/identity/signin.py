"""One sign-in check for every part: the limit on tries (web/identity/signin_limit.py), the
password (argon2, as slow for an unknown address as for a known one) and the audit rows. It
answers with every part's account the password opens; the one sign-in page
(web/identity/signin_page.py) signs in to all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from web.i18n import N_
from web.identity import audit, parts, signin_limit
from web.identity.backends import ldap
from web.identity.passwords import verify_password


@dataclass(frozen=True)
class Answer:
    """``accounts`` when signed in (each part's row, by realm); otherwise the error (English
    msgid), the status and, for a refused try, the seconds to wait."""

    accounts: dict[str, Any] = field(default_factory=dict)  # by realm
    error: str = ""
    status: int = 200
    retry_after: int | None = None


TOO_MANY = N_("Too many attempts. Try again later.")
WRONG = N_("Wrong e-mail or password.")
DIRECTORY_ONLY = N_("Sign in with your account in the city's directory.")


async def _directory(request: Request, username: str, password: str) -> dict[str, Any]:
    try:
        user = await ldap.authenticate(request.app.state.directory, username, password)
    except ldap.DirectoryRefused:
        return {}
    return await parts.provision(request, user)


async def _local(found: dict[str, Any], password: str) -> dict[str, Any]:
    """The parts whose role row's account the password opens (one hash checked even for an unknown
    address, so it takes as long)."""
    opened, checked = {}, {}
    for realm, row in found.items():
        # The parts' roles of one account share its password: checked once.
        if row.password_hash not in checked:
            checked[row.password_hash] = await verify_password(row.password_hash, password)
        if checked[row.password_hash] and row.active:
            opened[realm] = row
    if not found:
        await verify_password(None, password)
    return opened


async def check(request: Request, email: str, password: str, fallback_realm: str) -> Answer:
    """Local accounts by their password; with a directory configured (``--directory``),
    everyone else by the directory, asked at every sign-in (its answer applied to the
    user's accounts in every part: web/identity/parts.py). With ``[signin]
    directory_only``, a local password signs in only a break-glass administrator.
    ``fallback_realm`` names the part in the audit when no part knows the address."""
    attempt = await signin_limit.claim(request, "signin", email)
    if attempt is None:
        await audit.record(request, fallback_realm, audit.Outcome.LIMITED, email)
        wait = await signin_limit.retry_after(request, "signin", email)
        return Answer(error=TOO_MANY, status=429, retry_after=wait)
    engine = request.app.state.engine
    found = {}
    for part in parts.every().values():
        if (row := await part.find(engine, email)) is not None:
            found[part.realm] = row
    directory_names = [r.directory_name for r in found.values() if r.directory_name]
    if getattr(request.app.state, "directory", None) is not None and (not found or directory_names):
        name = directory_names[0] if directory_names else email
        opened = await _directory(request, name, password)
        local = False
    else:
        opened, local = await _local(found, password), True
    if not opened:
        for realm in found or [fallback_realm]:
            account_id = found[realm].id if realm in found else None
            await audit.record(request, realm, audit.Outcome.FAILED, email, account_id)
        return Answer(error=WRONG, status=400)
    if local and request.app.state.signin_policy.refuses_password(email):
        # Said only to whom knows the password: the installation wants the directory.
        await signin_limit.succeeded(request, attempt)
        for realm, row in opened.items():
            await audit.record(request, realm, audit.Outcome.FAILED, email, row.id)
        return Answer(error=DIRECTORY_ONLY, status=403)
    await signin_limit.succeeded(request, attempt)
    for realm, row in opened.items():
        await audit.record(request, realm, audit.Outcome.SIGNED_IN, email, row.id)
    return Answer(accounts=opened)
