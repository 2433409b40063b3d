"""What every administration page shares: reading a form, a one-time "saved" notice, and
saving with database failures turned into a plain sentence (never the raw error)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from web.admin.forms import N_, Errors, Problem
from web.admin.store import Duplicate, InUse
from web.catalog import invalidate
from web.templating import render

log = logging.getLogger("okienko.web.admin")
FLASH = "admin_flash"
SAVE_FAILED = N_("The change could not be saved. Try again in a moment.")


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def flash(request: Request, msgid: str, *, error: bool = False) -> None:
    request.session[FLASH] = [msgid, error]


def options(things: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(id, name) pairs of catalog things for a <select>, by name."""
    return sorted(((k, v.name) for k, v in things.items()), key=lambda pair: pair[1])


def page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    notice, failed = request.session.pop(FLASH, None) or (None, False)
    return render(
        request,
        template,
        {"notice": notice, "notice_failed": failed, "errors": {}, "options": options, **context},
        status_code=status_code,
    )


def done(request: Request, target: str, msgid: str = N_("Saved.")) -> RedirectResponse:
    """After a change: every booking page sees it at once, and the admin sees it was done."""
    invalidate(request.app)
    flash(request, msgid)
    return RedirectResponse(target, status_code=303)


async def attempt(write: Awaitable[None], errors: Errors, *, id_field: str = "id") -> int:
    """Run a write; on failure put the reason in ``errors`` and return the status to answer
    with (0 = saved)."""
    try:
        await write
    except Duplicate:
        errors[id_field] = Problem(N_("This identifier is already used."))
        return 409
    except InUse as exc:
        errors["_form"] = Problem(exc.msgid)
        return 409
    except SQLAlchemyError:
        log.exception("administration write failed")
        errors["_form"] = Problem(SAVE_FAILED)
        return 503
    return 0
