"""Every text the appliances show has a Polish translation (Polish is the default language)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

APPLIANCE = Path(__file__).resolve().parents[2] / "appliance"


def test_every_message_has_a_polish_translation():
    used = {message for _f, _l, message, _c, _ctx in extract_from_dir(str(APPLIANCE))}
    with (APPLIANCE / "locale" / "pl" / "LC_MESSAGES" / "appliance.po").open("rb") as f:
        catalog = read_po(f)
    missing = sorted(m for m in used if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"add Polish for: {missing}"
