"""The helpdesk and fault-report part of the one sign-in (web/identity/signin_page.py) and of
the one password reset (web/identity/reset.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from web.helpdesk import accounts, directory
from web.helpdesk.session import current_user, sign_in
from web.identity.backends.ldap import DirectoryUser
from web.identity.parts import Part


async def _find(engine: AsyncEngine, email: str) -> Any:
    return await accounts.find_by_email(engine, email)


async def _provision(request: Request, user: DirectoryUser) -> Any:
    return await directory.provision(request.app.state.engine, user, datetime.now(UTC))


# How the identity layer signs a helpdesk or fault-report user in (web/identity/parts.py).
SIGNIN = Part(
    "helpdesk",
    "/helpdesk/",
    ("/helpdesk/", "/usterki/"),
    _find,
    _provision,
    sign_in,
    current_user,
)
