"""Translations of appliance texts (Babel catalogs in appliance/locale/<lang>/LC_MESSAGES).

Message ids are English; Polish is the default language. The .po files are read directly (no
compile step on the device): Babel parses them once and serves them as gettext translations,
plural forms included (Polish and Ukrainian have three: 1 osoba / 2 osoby / 5 osób).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "appliance"
LANGUAGES = ("pl", "en", "uk")
# Each language as it names itself: the dispenser's language choice shows these, no flags.
NATIVE_NAMES = {"pl": "Polski", "en": "English", "uk": "Українська"}

Gettext = Callable[[str], str]
NGettext = Callable[[str, str, int], str]


@functools.cache
def translations(language: str) -> Translations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return Translations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext_for(language: str) -> Gettext:
    return translations(language).gettext


def ngettext_for(language: str) -> NGettext:
    return translations(language).ngettext


def localized(language: str, pl: str, en: str | None = None, uk: str | None = None) -> str:
    """A name the site file gives per language (a service's name, name_en, name_uk), falling
    back to Polish where that language has none."""
    return {"en": en, "uk": uk}.get(language) or pl
