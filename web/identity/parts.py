"""The parts of the cloud a person signs in to (queue and booking staff; helpdesk and fault
reports), as the identity layer sees them: where the part keeps a person's role (a row that
hangs off the one account, web/identity/accounts.py), how to create or update it for a user a
directory vouched for, and how to open the part's share of the one signed-in session.

The one sign-in page (web/identity/signin_page.py) asks every part at once: a person with roles
in several parts is signed in to all of them with the account's one password and one
sign-out. A directory's answer is applied to every part at once too: a user taken out of a
group loses the role in every part at the next sign-in anywhere, and the sessions opened under
it end."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from web.identity.backends.ldap import DirectoryUser

log = logging.getLogger("okienko.web.identity")


@dataclass(frozen=True)
class Part:
    """What the identity layer needs of a part to sign someone in to it."""

    realm: str  # the audit's and the sessions' name of the part
    home: str  # where a sign-in without a ``next`` of this part lands
    prefixes: tuple[str, ...]  # the paths a ``next`` of this part starts with
    find: Callable[[AsyncEngine, str], Awaitable[Any]]  # the account row of an e-mail, or None
    provision: Callable[[Request, DirectoryUser], Awaitable[Any]]  # the account row, or None
    sign_in: Callable[[Request, Any], Awaitable[None]]  # sets the part's keys in the session
    current: Callable[[Request], Awaitable[Any]]  # the signed-in user of the part, or None


def every() -> dict[str, Part]:
    from web.auth.routes import SIGNIN as staff
    from web.helpdesk.account_routes import SIGNIN as helpdesk

    return {staff.realm: staff, helpdesk.realm: helpdesk}


def part_of(path: str | None) -> Part | None:
    """The part whose pages ``path`` is on (a sign-in's ``next``)."""
    for part in every().values():
        if path and path.startswith(part.prefixes):
            return part
    return None


async def provision(request: Request, user: DirectoryUser) -> dict[str, Any]:
    """Every part's active account row for ``user``, by realm (a part where the user has no
    role is left out, and the sessions that had it end)."""
    rows = {}
    for part in every().values():
        row = await part.provision(request, user)
        if row is not None and row.active:
            rows[part.realm] = row
    return rows
