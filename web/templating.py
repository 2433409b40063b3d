"""Jinja2 pages: autoescaped, translated (the request's language), with the CSRF token, the
signed-in staff member and Polish date formats at hand in every template."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from hub.contract.access_code import grouped
from web import i18n
from web.security import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"
TZ_NAME = "Europe/Warsaw"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def _date(value: date | datetime, fmt: str = "full") -> str:
    if isinstance(value, datetime):
        return format_date(value.astimezone(_tz()), fmt, locale=i18n.current_language.get())
    return format_date(value, fmt, locale=i18n.current_language.get())


def _time(value: datetime) -> str:
    return format_time(value, "HH:mm", tzinfo=_tz(), locale=i18n.current_language.get())


def _datetime(value: datetime, fmt: str = "medium") -> str:
    return format_datetime(value, fmt, tzinfo=_tz(), locale=i18n.current_language.get())


def _tz():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo(TZ_NAME)


def _filesize(size: int) -> str:
    """A file's size as people read it: "20 B", "1,5 kB", "2,3 MB" (not "0.0 kB")."""
    locale = i18n.current_language.get()
    if size < 1024:
        return f"{format_decimal(size, locale=locale)} B"
    value, unit = size / 1024, "kB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{format_decimal(round(value, 1), '#,##0.#', locale=locale)} {unit}"


env.filters["date"] = _date
env.filters["code"] = grouped  # an access code in groups of four
env.filters["filesize"] = _filesize
env.filters["time"] = _time
env.filters["datetime"] = _datetime


def render_fragment(request: Request, template: str, context: dict[str, Any]) -> str:
    """A piece of a page in the request's language (live updates send these)."""
    language = i18n.page_language(request, template)
    token = i18n.current_language.set(language)
    try:
        return env.get_template(template).render(request=request, lang=language, **context)
    finally:
        i18n.current_language.reset(token)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    language = i18n.page_language(request, template)
    token = i18n.current_language.set(language)
    try:
        html = env.get_template(template).render(
            request=request,
            lang=language,
            languages=i18n.offered(template),
            language_names=i18n.NAMES,
            csrf_token=lambda: csrf_token(request),
            staff=request.scope.get("staff"),
            **(context or {}),
        )
    finally:
        i18n.current_language.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response
