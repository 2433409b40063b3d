"""Signing in through the OpenID Connect provider, for every part with a sign-in page.

``/signin/oidc/{part}`` keeps a fresh state, nonce and PKCE verifier in the (signed) session
and sends the browser to the provider; the provider sends it back to the one callback
``/signin/oidc/callback`` registered there, which checks the answer (web/identity/backends/
oidc.py), creates or updates the accounts every part keeps for the user, with the mapped
roles, and signs in to all of them in one session (web/identity/signin_page.py). A pending
sign-in is used once: a second callback with the same state and code finds nothing to finish.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.i18n import N_, _
from web.identity import audit, redirect, signin_page
from web.identity.backends import oidc
from web.identity.parts import every as _parts
from web.identity.parts import provision

log = logging.getLogger("okienko.web.identity")
KEY = "oidc_pending"
CALLBACK = "/signin/oidc/callback"

FAILED = N_("Signing in through %(provider)s did not succeed. Try again.")
NO_ROLE = N_("Your account in %(provider)s gives no role here. Ask the administrator.")


def _refused(request: Request, target: str, error: str, status: int) -> Response:
    """The sign-in page again, saying why."""
    provider = request.app.state.oidc.label if request.app.state.oidc else ""
    return signin_page.page(
        request, {"next": target, "error": _(error) % {"provider": provider}}, status
    )


def _redirect_uri(request: Request) -> str:
    base = request.app.state.public_url or str(request.base_url)
    return base.rstrip("/") + CALLBACK


async def start(request: Request) -> Response:
    settings: oidc.OidcSettings | None = request.app.state.oidc
    part = _parts().get(request.path_params["part"])
    if settings is None or part is None:
        return Response(status_code=404)
    target = redirect.safe_next(request.query_params.get("next"), part.home, part.prefixes)
    try:
        url, pending = await oidc.begin(settings, _redirect_uri(request))
    except oidc.OidcRefused as exc:
        log.warning("OpenID Connect sign-in not started: %s", exc)
        return _refused(request, target, FAILED, 502)
    request.session[KEY] = {**pending.to_dict(), "part": part.realm, "next": target}
    return RedirectResponse(url, status_code=303)


async def callback(request: Request) -> Response:
    settings: oidc.OidcSettings | None = request.app.state.oidc
    if settings is None:
        return Response(status_code=404)
    kept = request.session.pop(KEY, None)  # used once, whatever the answer
    parts = _parts()
    part = parts.get(kept.get("part", "")) if isinstance(kept, dict) else None
    if part is None:
        # No sign-in was started in this browser: a forged or replayed answer.
        log.warning("OpenID Connect answer without a pending sign-in refused")
        await audit.record(request, "staff", audit.Outcome.FAILED, "")
        return _refused(request, "", FAILED, 400)
    assert isinstance(kept, dict)
    target = str(kept.get("next", part.home))
    try:
        user = await oidc.finish(
            settings, _redirect_uri(request), oidc.Pending.from_dict(kept), request.query_params
        )
    except oidc.OidcRefused as exc:
        log.warning("OpenID Connect sign-in refused: %s", exc.reason)
        await audit.record(request, part.realm, audit.Outcome.FAILED, "")
        return _refused(request, target, FAILED, 400)
    who = user.email or user.username
    rows = await provision(request, user)
    if not rows:
        await audit.record(request, part.realm, audit.Outcome.FAILED, who)
        return _refused(request, target, NO_ROLE, 403)
    await signin_page.begin(request, rows)
    for realm, row in rows.items():
        await audit.record(request, realm, audit.Outcome.SIGNED_IN, who, row.id)
    return RedirectResponse(signin_page.landing(target, list(rows)), status_code=303)


routes = [
    Route(CALLBACK, callback, methods=["GET"]),
    Route("/signin/oidc/{part}", start, methods=["GET"]),
]
