"""Translations of the cloud's pages: Babel catalogs in web/locale/<lang>/LC_MESSAGES/*.po.

Message ids are English; Polish is the default language. Every .po file of a language is read
(one per part of the service: common, booking, staff, admin, …) and merged, so parts are
translated independently. The language of a request: ``?lang=`` (remembered in a cookie),
then the cookie, then Polish. Visitors' pages speak Polish, English and Ukrainian; staff
pages Polish and English (a Ukrainian visitor who opens one reads it in English).
"""

from __future__ import annotations

import functools
import io
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("pl", "en", "uk")
STAFF_LANGUAGES = ("pl", "en")
# Each language as it names itself, for the language switch (no flags: a flag is a country).
NAMES = {"pl": "Polski", "en": "English", "uk": "Українська"}
# The templates a visitor sees; every other page is a staff page.
VISITOR_TEMPLATES = (
    "base.html",
    "errors/",
    "public/",
    "eticket/",
    "faults/public_",
    "faults/report_form.html",
    "faults/status.html",
)
DEFAULT = "pl"
COOKIE = "lang"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT)


@functools.cache
def translations(language: str) -> Translations:
    merged = Translations()
    for po in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        part = Translations(buffer)
        merged.merge(part)
        # The language's plural rule (Polish has three forms) comes with its catalogs; the
        # empty catalog merged into has only the English "one or many".
        merged.plural = part.plural
    return merged


def language_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    cookie = request.cookies.get(COOKIE)
    return cookie if cookie in LANGUAGES else DEFAULT


def page_language(request: Request, template: str) -> str:
    """The language a page is shown in: the request's, but English for Ukrainian on a staff
    page (staff pages are translated into Polish and English only)."""
    language = language_of(request)
    return language if language in offered(template) else "en"


def staff_language_of(request: Request) -> str:
    """The language of a staff page (and the service names on it): never Ukrainian."""
    language = language_of(request)
    return language if language in STAFF_LANGUAGES else "en"


def offered(template: str) -> tuple[str, ...]:
    """The languages a page's switch offers."""
    return LANGUAGES if template.startswith(VISITOR_TEMPLATES) else STAFF_LANGUAGES


class LanguageMiddleware:
    """Sets the request's language for the whole request, so a message a route translates
    before the page is rendered (a form's error) is in the page's language, not Polish."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_language.set(language_of(Request(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(token)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:
    """Marks a text for translation where it is chosen, translated later where it is shown
    (the page's language is known only when the page is rendered)."""
    return message
