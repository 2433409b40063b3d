"""Every text the appliances show has a Polish translation (Polish is the default language) and
a Ukrainian one (a visitor may choose Ukrainian on the dispenser); plurals agree with their
number in each language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from appliance.common.i18n import gettext_for, ngettext_for
from appliance.dispenser import phrases

APPLIANCE = Path(__file__).resolve().parents[2] / "appliance"


@pytest.mark.parametrize("language", ["pl", "uk"])
def test_every_message_has_a_translation(language: str):
    used = {message for _f, _l, message, _c, _ctx in extract_from_dir(str(APPLIANCE))}
    with (APPLIANCE / "locale" / language / "LC_MESSAGES" / "appliance.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    missing = []
    for m in used:
        entry = catalog.get(m[0] if isinstance(m, tuple) else m)
        strings = entry.string if entry else None
        forms = strings if isinstance(strings, tuple) else (strings,)
        if not entry or not all(forms) or len(forms) != (3 if isinstance(m, tuple) else 1):
            missing.append(m)  # a plural needs all three forms of Polish and Ukrainian
    assert not missing, f"add {language} for: {sorted(map(str, missing))}"


@pytest.mark.parametrize(
    ("language", "one", "two", "five"),
    [
        ("pl", "1 osoba czeka", "2 osoby czekają", "5 osób czeka"),
        ("en", "1 person waiting", "2 people waiting", "5 people waiting"),
        ("uk", "1 особа чекає", "2 особи чекають", "5 осіб чекають"),
    ],
)
def test_a_count_of_people_agrees_with_its_number(language: str, one: str, two: str, five: str):
    n_ = ngettext_for(language)
    assert [phrases.waiting(n, n_) for n in (1, 2, 5)] == [one, two, five]
    # and where a sentence says how many are ahead, as the ticket's voice does
    counts = (1, 2, 5, 21, 22)
    ahead = [phrases.ahead(n, n_) for n in counts]
    assert all(f" {n} " in f" {a}" for n, a in zip(counts, ahead, strict=True))
    if language == "uk":
        assert ahead == [
            "Перед вами 1 особа.",
            "Перед вами 2 особи.",
            "Перед вами 5 осіб.",
            "Перед вами 21 особа.",
            "Перед вами 22 особи.",
        ]
        wait = phrases.wait(21 * 60, gettext_for(language), n_)
        assert wait.endswith("близько 21 хвилини.")  # not "21 хвилин"
    assert "людей" not in " ".join(ahead)
