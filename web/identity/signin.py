"""One sign-in check for every part: the limit on tries (web/identity/signin_limit.py), the
password (argon2, as slow for an unknown address as for a known one) and the audit row. The
part's route only finds the account row and renders its page from the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from web.i18n import N_
from web.identity import audit, parts, signin_limit
from web.identity.backends import ldap
from web.identity.passwords import verify_password

# The account row of an e-mail (any row with id, password_hash and active), or None.
FindAccount = Callable[[AsyncEngine, str], Awaitable[Any]]


@dataclass(frozen=True)
class Answer:
    """``account`` when signed in; otherwise the error (English msgid), the status and, for a
    refused try, the seconds to wait."""

    account: Any = None
    error: str = ""
    status: int = 200
    retry_after: int | None = None


TOO_MANY = N_("Too many attempts. Try again later.")
WRONG = N_("Wrong e-mail or password.")
DIRECTORY_ONLY = N_("Sign in with your account in the city's directory.")


async def _directory(request: Request, realm: str, username: str, password: str) -> Any:
    try:
        user = await ldap.authenticate(request.app.state.directory, username, password)
    except ldap.DirectoryRefused:
        return None
    return await parts.provision(request, realm, user)


async def check(
    request: Request,
    realm: str,
    email: str,
    password: str,
    find: FindAccount,
) -> Answer:
    """Local accounts by their password; with a directory configured (``--directory``),
    everyone else by the directory, asked at every sign-in (its answer applied to the
    user's accounts in every part: web/identity/parts.py). With
    ``[signin] directory_only``, a local password signs in only a break-glass administrator."""
    attempt = await signin_limit.claim(request, realm, email)
    if attempt is None:
        await audit.record(request, realm, audit.Outcome.LIMITED, email)
        wait = await signin_limit.retry_after(request, realm, email)
        return Answer(error=TOO_MANY, status=429, retry_after=wait)
    row = await find(request.app.state.engine, email)
    directory_name = getattr(row, "directory_name", None)
    if getattr(request.app.state, "directory", None) is not None and (
        row is None or directory_name
    ):
        row = await _directory(request, realm, directory_name or email, password)
        ok = row is not None
    else:
        ok = await verify_password(row.password_hash if row is not None else None, password)
    if row is None or not ok or not row.active:
        account_id = row.id if row is not None else None
        await audit.record(request, realm, audit.Outcome.FAILED, email, account_id)
        return Answer(error=WRONG, status=400)
    if not getattr(
        row, "directory_name", None
    ) and request.app.state.signin_policy.refuses_password(email):
        # Said only to whom knows the password: the installation wants the directory.
        await signin_limit.succeeded(request, attempt)
        await audit.record(request, realm, audit.Outcome.FAILED, email, row.id)
        return Answer(error=DIRECTORY_ONLY, status=403)
    await signin_limit.succeeded(request, attempt)
    await audit.record(request, realm, audit.Outcome.SIGNED_IN, email, row.id)
    return Answer(account=row)
