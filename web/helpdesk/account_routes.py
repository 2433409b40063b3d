"""Signing in and out of the helpdesk, and the e-mailed links that set a password."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.helpdesk import accounts, directory, notices
from web.helpdesk.session import current_user, sign_in, sign_out
from web.i18n import _
from web.identity import audit, redirect, signin
from web.identity.backends.ldap import DirectoryUser
from web.identity.parts import Part
from web.templating import render


def safe_next(target: str | None) -> str:
    # The citizen fault reports' pages (web/faults/) share this sign-in.
    return redirect.safe_next(target, "/helpdesk/", ("/helpdesk/", "/usterki/"))


async def login_page(request: Request) -> Response:
    if await current_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return render(
        request,
        "helpdesk/login.html",
        {
            "next": safe_next(request.query_params.get("next")),
            "deactivated": request.scope.get("hd_signed_out_deactivated", False)
            or request.query_params.get("deactivated") == "1",
            "idle": not request.scope.get("hd_signed_out_deactivated")
            and (
                request.scope.get("hd_signed_out_idle", False)
                or request.query_params.get("idle") == "1"
            ),
            "notice": request.query_params.get("done") == "password",
        },
    )


async def _find(engine: AsyncEngine, email: str) -> Any:
    return await accounts.find_by_email(engine, email)


async def _provision(request: Request, user: DirectoryUser) -> Any:
    return await directory.provision(request.app.state.engine, user, datetime.now(UTC))


async def login(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:200]
    password = str(form.get("password", ""))[:500]
    target = safe_next(str(form.get("next", "")))
    answer = await signin.check(request, "helpdesk", email, password, _find)
    if answer.account is None:
        wait = {"Retry-After": str(answer.retry_after)} if answer.retry_after else None
        return render(
            request,
            "helpdesk/login.html",
            {"next": target, "email": email, "error": _(answer.error)},
            status_code=answer.status,
            headers=wait,
        )
    await sign_in(request, answer.account)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    user = await current_user(request)
    if user is not None:
        await audit.record(request, "helpdesk", audit.Outcome.SIGNED_OUT, user.email, user.id)
    await sign_out(request)
    return RedirectResponse("/helpdesk/login", status_code=303)


async def reset_page(request: Request) -> Response:
    return render(request, "helpdesk/reset.html")


async def reset(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:200]
    client = request.client.host if request.client else "?"
    limit = request.app.state.contact_limit
    if await limit.allow(f"hd-reset-ip:{client}") and await limit.allow(f"hd-reset:{email}"):
        found = await accounts.reset_link(request.app.state.engine, email, datetime.now(UTC))
        if found is not None:
            await notices.account_link(request.app, found[0].email, found[1], new=False)
    # The same answer whether or not the address is known.
    return render(request, "helpdesk/reset.html", {"sent": True})


async def set_password_page(request: Request) -> Response:
    token = request.path_params["token"]
    user = await accounts.link_user(request.app.state.engine, token, datetime.now(UTC))
    return render(
        request, "helpdesk/set_password.html", {"user": None, "person": user, "token": token}
    )


async def set_password(request: Request) -> Response:
    token = request.path_params["token"]
    form = await request.form()
    password = str(form.get("password", ""))[:500]
    engine = request.app.state.engine
    person = await accounts.link_user(engine, token, datetime.now(UTC))
    if password != str(form.get("password2", ""))[:500]:
        error = _("The passwords differ.")
    else:
        try:
            await accounts.use_link(engine, token, password, datetime.now(UTC))
            return RedirectResponse("/helpdesk/login?done=password", status_code=303)
        except accounts.AccountError as exc:
            error = _(str(exc))
    return render(
        request,
        "helpdesk/set_password.html",
        {"person": person, "token": token, "error": error},
        status_code=400,
    )


# How the identity layer signs a helpdesk or fault-report user in with OpenID Connect.
SIGNIN = Part("helpdesk", _provision, sign_in, safe_next, "helpdesk/login.html")

routes = [
    Route("/helpdesk/login", login_page, methods=["GET"]),
    Route("/helpdesk/login", login, methods=["POST"]),
    Route("/helpdesk/logout", logout, methods=["POST"]),
    Route("/helpdesk/reset", reset_page, methods=["GET"]),
    Route("/helpdesk/reset", reset, methods=["POST"]),
    Route("/helpdesk/reset/{token}", set_password_page, methods=["GET"]),
    Route("/helpdesk/reset/{token}", set_password, methods=["POST"]),
]
