"""Translations of appliance texts (Babel catalogs in appliance/locale/<lang>/LC_MESSAGES).

Message ids are English; Polish is the default language. The .po files are read directly (no
compile step on the device): Babel parses them once and serves them as gettext translations.
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
LANGUAGES = ("pl", "en")


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


def gettext_for(language: str) -> Callable[[str], str]:
    return translations(language).gettext
