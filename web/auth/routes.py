"""Staff sign-in and sign-out, and the staff home page that links what the role may use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.auth import directory
from web.auth.session import T, current_staff, sign_in, sign_out
from web.identity import audit, signin
from web.identity.backends.ldap import DirectoryUser
from web.identity.parts import Part
from web.identity.redirect import safe_next
from web.templating import render


def _safe_next(target: str | None) -> str:
    return safe_next(target, "/staff/", ("/staff/", "/admin/"))


async def login_page(request: Request) -> Response:
    if await current_staff(request) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return render(
        request,
        "staff/login.html",
        {
            "next": _safe_next(request.query_params.get("next")),
            "idle": request.scope.get("signed_out_idle", False),
        },
    )


async def _find(engine: AsyncEngine, email: str) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(T).where(func.lower(T.c.email) == email))).first()


async def _provision(request: Request, user: DirectoryUser) -> Any:
    return await directory.provision(request.app.state.engine, user, datetime.now(UTC))


async def login(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:200]
    password = str(form.get("password", ""))[:500]
    target = _safe_next(str(form.get("next", "")))
    answer = await signin.check(request, "staff", email, password, _find)
    if answer.account is None:
        wait = {"Retry-After": str(answer.retry_after)} if answer.retry_after else None
        return render(
            request,
            "staff/login.html",
            {"next": target, "email": email, "error": answer.error},
            status_code=answer.status,
            headers=wait,
        )
    await sign_in(request, answer.account)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    user = await current_staff(request)
    if user is not None:
        await audit.record(request, "staff", audit.Outcome.SIGNED_OUT, user.email, user.id)
    await sign_out(request)
    return RedirectResponse("/staff/login", status_code=303)


async def home(request: Request) -> Response:
    user = await current_staff(request)
    if user is None:
        return RedirectResponse("/staff/login?next=/staff/", status_code=303)
    return render(request, "staff/home.html")


# How the identity layer signs a staff member in with the OpenID Connect provider.
SIGNIN = Part("staff", _provision, sign_in, _safe_next, "staff/login.html")

routes = [
    Route("/staff/login", login_page, methods=["GET"]),
    Route("/staff/login", login, methods=["POST"]),
    Route("/staff/logout", logout, methods=["POST"]),
    Route("/staff/", home, methods=["GET"]),
]
