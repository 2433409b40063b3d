"""Staff sign-in and sign-out, and the staff home page that links what the role may use."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from web.auth import signin_limit
from web.auth.passwords import verify_password
from web.auth.session import T, current_staff, sign_in, sign_out
from web.i18n import N_
from web.templating import render


def _safe_next(target: str | None) -> str:
    # Only paths of this site: "//evil.example" or "https://…" would send a user away.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/staff/"


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


async def login(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip().lower()[:200]
    password = str(form.get("password", ""))[:500]
    target = _safe_next(str(form.get("next", "")))
    attempt = await signin_limit.claim(request, "staff", email)
    if attempt is None:
        return render(
            request,
            "staff/login.html",
            {"next": target, "email": email, "error": N_("Too many attempts. Try again later.")},
            status_code=429,
            headers={"Retry-After": str(await signin_limit.retry_after(request, "staff", email))},
        )
    async with request.app.state.engine.connect() as conn:
        row = (await conn.execute(select(T).where(func.lower(T.c.email) == email))).first()
    ok = await verify_password(row.password_hash if row else None, password)
    if row is None or not ok or not row.active:
        return render(
            request,
            "staff/login.html",
            {"next": target, "email": email, "error": N_("Wrong e-mail or password.")},
            status_code=400,
        )
    await signin_limit.succeeded(request, attempt)
    await sign_in(request, row)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await sign_out(request)
    return RedirectResponse("/staff/login", status_code=303)


async def home(request: Request) -> Response:
    user = await current_staff(request)
    if user is None:
        return RedirectResponse("/staff/login?next=/staff/", status_code=303)
    return render(request, "staff/home.html")


routes = [
    Route("/staff/login", login_page, methods=["GET"]),
    Route("/staff/login", login, methods=["POST"]),
    Route("/staff/logout", logout, methods=["POST"]),
    Route("/staff/", home, methods=["GET"]),
]
