"""The staff part of the one sign-in (web/identity/signin_page.py), and the staff home page
that links what the role may use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.auth import directory
from web.auth.session import T, current_staff, sign_in
from web.identity import accounts
from web.identity.backends.ldap import DirectoryUser
from web.identity.parts import Part
from web.templating import render


async def _find(engine: AsyncEngine, email: str) -> Any:
    async with engine.connect() as conn:
        found = accounts.role_of_email(T, email)
        return (await conn.execute(found)).first()


async def _provision(request: Request, user: DirectoryUser) -> Any:
    return await directory.provision(request.app.state.engine, user, datetime.now(UTC))


async def home(request: Request) -> Response:
    user = await current_staff(request)
    if user is None:
        return RedirectResponse("/signin?next=/staff/", status_code=303)
    return render(request, "staff/home.html")


# How the identity layer signs a staff member in (web/identity/parts.py).
SIGNIN = Part("staff", "/staff/", ("/staff/", "/admin/"), _find, _provision, sign_in, current_staff)

routes = [Route("/staff/", home, methods=["GET"])]
