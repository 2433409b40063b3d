"""Staff password reset by e-mail: /staff/password/forgot sends a one-time link (the same
answer whether or not the account exists, limited per IP and per address), and
/staff/password/reset/{token} sets the new password, which signs the account out everywhere.
"""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.i18n import translations
from web.identity.passwords import password_problem
from web.notify.mail import MailError
from web.staff import reset_tokens
from web.staff.common import base_url, limiter, page
from web.staff.texts import N_

log = logging.getLogger("okienko.web.auth")


async def forgot_page(request: Request) -> Response:
    return page(request, "staff/password_forgot.html", {})


async def _send(app: object, link: reset_tokens.ResetLink, url: str) -> None:
    t = translations("pl")
    text = "\n".join(
        (
            t.gettext("Hello %(name)s,") % {"name": link.name},
            "",
            t.gettext("To set a new password for Okienko, open this link within 60 minutes:"),
            url,
            "",
            t.gettext("If you did not ask for it, ignore this message; your password stays."),
        )
    )
    try:
        await app.state.notifier.send(  # type: ignore[attr-defined]
            link.email, t.gettext("Okienko: setting a new password"), text
        )
    except (MailError, OSError) as exc:
        log.warning("password reset link not sent: %s", type(exc).__name__)


async def forgot(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:200]
    client = request.client.host if request.client else "?"
    ip_limit = limiter(request, "reset_ip", 10, 900)
    mail_limit = limiter(request, "reset_mail", 3, 3600)
    if not (await ip_limit.allow(f"ip:{client}") and await mail_limit.allow(f"mail:{email}")):
        return page(
            request,
            "staff/password_forgot.html",
            {"email": email, "error": N_("Too many attempts. Try again later.")},
            status_code=429,
        )
    if "@" not in email:
        return page(
            request,
            "staff/password_forgot.html",
            {"email": email, "error": N_("Enter a valid e-mail address.")},
            status_code=400,
        )
    link = await reset_tokens.create(request.app.state.engine, email, reset_tokens.utcnow())
    # The mail goes after the answer, so the answer takes as long for an unknown address.
    task = None
    if link is not None:
        url = f"{base_url(request)}/staff/password/reset/{link.token}"
        task = BackgroundTask(_send, request.app, link, url)
    response = page(request, "staff/password_forgot.html", {"sent": True, "email": email})
    response.background = task
    return response


async def reset_page(request: Request) -> Response:
    token = request.path_params["token"]
    if not await reset_tokens.is_valid(request.app.state.engine, token, reset_tokens.utcnow()):
        return page(request, "staff/password_reset.html", {"invalid": True}, status_code=400)
    return page(request, "staff/password_reset.html", {"token": token})


async def reset(request: Request) -> Response:
    token = request.path_params["token"]
    form = await request.form()
    password = str(form.get("password", ""))[:500]
    again = str(form.get("password2", ""))[:500]
    problem = password_problem(password)
    if problem is None and password != again:
        problem = N_("The two passwords differ.")
    if problem is not None:
        valid = await reset_tokens.is_valid(request.app.state.engine, token, reset_tokens.utcnow())
        return page(
            request,
            "staff/password_reset.html",
            {"token": token, "error": problem, "invalid": not valid},
            status_code=400,
        )
    if not await reset_tokens.use(request.app.state.engine, token, password, reset_tokens.utcnow()):
        return page(request, "staff/password_reset.html", {"invalid": True}, status_code=400)
    return RedirectResponse("/staff/password/done", status_code=303)


async def done(request: Request) -> Response:
    # The sign-in page, with the news on top.
    return page(request, "staff/password_done.html", {"next": "/staff/"})


routes = [
    Route("/staff/password/forgot", forgot_page, methods=["GET"]),
    Route("/staff/password/forgot", forgot, methods=["POST"]),
    Route("/staff/password/reset/{token}", reset_page, methods=["GET"]),
    Route("/staff/password/reset/{token}", reset, methods=["POST"]),
    Route("/staff/password/done", done, methods=["GET"]),
]
