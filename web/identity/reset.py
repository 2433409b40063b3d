"""The one password reset of every part.

``/password/forgot`` mails one link (the same answer whether or not the address is known;
limited per source and per address) that sets the one password of the person's account, so of
every part at once; ``/password/reset/{token}`` sets it, which signs the person out everywhere
and ends every other link (web/identity/reset_links.py). A helpdesk account's first "set your
password" link (web/helpdesk/accounts.py) is taken here too.

The parts' old addresses answer with a redirect here, so links already mailed keep working.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.i18n import N_, _, translations
from web.identity import reset_links
from web.identity.passwords import hash_password, password_problem
from web.identity.reset_links import digest
from web.notify.mail import MailError
from web.ratelimit import shared
from web.templating import render

log = logging.getLogger("okienko.web.identity")
VALID = timedelta(minutes=60)
FORGOT, RESET = "identity/password_forgot.html", "identity/password_reset.html"


@dataclass(frozen=True)
class ResetLink:
    token: str
    email: str
    name: str


async def create(engine: AsyncEngine, email: str, now: datetime) -> ResetLink | None:
    """A new link for the active local account of ``email``, or None when it has none."""
    token = secrets.token_urlsafe(32)
    async with engine.begin() as conn:
        found = await reset_links.issue(conn, email, digest(token), now + VALID)
    return None if found is None else ResetLink(token, found.email, found.name)


async def holder(engine: AsyncEngine, token: str, now: datetime) -> Any:
    """The account the link sets the password of (for its name on the page), or None."""
    async with engine.connect() as conn:
        return await reset_links.holder(conn, digest(token), now)


async def use(engine: AsyncEngine, token: str, password: str, now: datetime) -> bool:
    """Sets the password through the link; False when it is unknown, used, old or its account
    inactive. The caller checks the password's rules first, so a weak one does not burn it."""
    hashed = await asyncio.to_thread(hash_password, password)
    async with engine.begin() as conn:
        account_id = await reset_links.claim(conn, digest(token), now)
        if account_id is not None:
            await reset_links.set_password(conn, account_id, hashed)
    return account_id is not None


def base_url(request: Request) -> str:
    return str(request.app.state.public_url or request.base_url).rstrip("/")


async def _send(app: Any, link: ResetLink, url: str) -> None:
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
        await app.state.notifier.send(
            link.email, t.gettext("Okienko: setting a new password"), text
        )
    except (MailError, OSError) as exc:
        log.warning("password reset link not sent: %s", type(exc).__name__)


async def forgot_page(request: Request) -> Response:
    return render(request, FORGOT, {})


async def forgot(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:200]
    client = request.client.host if request.client else "?"
    ip_limit = shared(request.app.state, "staff_reset_ip", 10, 900)
    mail_limit = shared(request.app.state, "staff_reset_mail", 3, 3600)
    if not (await ip_limit.allow(f"ip:{client}") and await mail_limit.allow(f"mail:{email}")):
        context = {"email": email, "error": N_("Too many attempts. Try again later.")}
        return render(request, FORGOT, context, status_code=429)
    if "@" not in email:
        context = {"email": email, "error": N_("Enter a valid e-mail address.")}
        return render(request, FORGOT, context, status_code=400)
    link = await create(request.app.state.engine, email, datetime.now(UTC))
    # The mail goes after the answer, so the answer takes as long for an unknown address.
    response = render(request, FORGOT, {"sent": True, "email": email})
    if link is not None:
        url = f"{base_url(request)}/password/reset/{link.token}"
        response.background = BackgroundTask(_send, request.app, link, url)
    return response


async def reset_page(request: Request) -> Response:
    token = request.path_params["token"]
    person = await holder(request.app.state.engine, token, datetime.now(UTC))
    if person is None:
        return render(request, RESET, {"invalid": True}, status_code=400)
    return render(request, RESET, {"token": token, "person": person})


async def reset(request: Request) -> Response:
    token = request.path_params["token"]
    form = await request.form()
    password = str(form.get("password", ""))[:500]
    again = str(form.get("password2", ""))[:500]
    problem = password_problem(password)
    if problem is None and password != again:
        problem = N_("The two passwords differ.")
    engine, now = request.app.state.engine, datetime.now(UTC)
    if problem is None and await use(engine, token, password, now):
        return RedirectResponse("/password/done", status_code=303)
    person = await holder(engine, token, now)
    context = {"token": token, "person": person, "invalid": person is None}
    error = _(problem) if problem else ""
    return render(request, RESET, {**context, "error": error}, status_code=400)


async def done(request: Request) -> Response:
    # The sign-in page, with the news on top.
    return render(request, "identity/password_done.html", {"next": ""})


def _moved(target: str):  # type: ignore[no-untyped-def]
    async def moved(request: Request) -> Response:
        return RedirectResponse(target.format(**request.path_params), status_code=303)

    return moved


routes = [
    Route("/password/forgot", forgot_page, methods=["GET"]),
    Route("/password/forgot", forgot, methods=["POST"]),
    Route("/password/reset/{token}", reset_page, methods=["GET"]),
    Route("/password/reset/{token}", reset, methods=["POST"]),
    Route("/password/done", done, methods=["GET"]),
    # The parts' old addresses (pages bookmarked, links mailed before the upgrade).
    Route("/staff/password/forgot", _moved("/password/forgot"), methods=["GET"]),
    Route("/helpdesk/reset", _moved("/password/forgot"), methods=["GET"]),
    Route("/staff/password/reset/{token}", _moved("/password/reset/{token}"), methods=["GET"]),
    Route("/helpdesk/reset/{token}", _moved("/password/reset/{token}"), methods=["GET"]),
    Route("/staff/password/done", _moved("/password/done"), methods=["GET"]),
]
