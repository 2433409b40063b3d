"""The parts of the cloud a person signs in to (queue and booking staff; helpdesk and fault
reports), as the identity layer sees them: how to create or update the part's account for a
user a directory vouched for, and how to sign it in.

A directory's answer is applied to every part at once: a user taken out of a group loses the
role in every part at the next sign-in anywhere, and the sessions opened under it end."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from web.identity.backends.ldap import DirectoryUser

log = logging.getLogger("okienko.web.identity")


@dataclass(frozen=True)
class Part:
    """What the identity layer needs of a part to sign someone in to it."""

    realm: str  # the audit's and the sessions' name of the part
    provision: Callable[[Request, DirectoryUser], Awaitable[Any]]  # the account row, or None
    sign_in: Callable[[Request, Any], Awaitable[None]]
    safe_next: Callable[[str | None], str]
    template: str  # the part's sign-in page (shown again with an error)


def every() -> dict[str, Part]:
    from web.auth.routes import SIGNIN as staff
    from web.helpdesk.account_routes import SIGNIN as helpdesk

    return {staff.realm: staff, helpdesk.realm: helpdesk}


async def provision(request: Request, realm: str, user: DirectoryUser) -> Any:
    """``realm``'s account row for ``user`` (None: no role there); the other parts' accounts
    follow the same answer (a role gone there ends the sessions that had it)."""
    parts = every()
    for other in parts.values():
        if other.realm != realm:
            await other.provision(request, user)
    return await parts[realm].provision(request, user)
