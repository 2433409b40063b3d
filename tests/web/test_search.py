"""The booking search's word matching (web/search.py) without a server: word forms, letters
typed without diacritics, typos, and words that say nothing."""

from __future__ import annotations

import threading

import pytest

from web import search
from web.search import Fields, fold, forms, score, stemmer


@pytest.fixture(autouse=True, scope="module")
def _stemmer_table() -> None:
    stemmer()  # read now: the tests below are about matching with stems


def test_the_stemmer_gives_each_word_its_stem():
    assert forms("samochodu") == ("samochodu", "samochod")
    assert forms("pojazdów") == ("pojazdow", "pojazd")


def found(query: str, name: str, keywords: str = "", description: str = "") -> int:
    return score(query, Fields(strong=(name, keywords), weak=(description,)))


def test_polish_letters_fold_to_what_a_keyboard_without_them_types():
    assert fold("Łódź Żółć ŚLĘŻA") == "lodz zolc sleza"


def test_word_forms_find_the_name_in_another_case_or_number():
    assert found("prawo jazdy", "Prawa jazdy")
    assert found("meldunek", "Sprawy meldunkowe")
    assert found("dowodu osobistego", "Dowody osobiste")


def test_a_keyword_in_any_form_finds_the_matter():
    assert not found("rejestracja samochodu", "Rejestracja pojazdów")
    assert found("rejestracja samochodu", "Rejestracja pojazdów", keywords="samochód, auto")


def test_typos_and_missing_diacritics_are_forgiven_but_other_words_are_not():
    assert found("rejestarcja", "Rejestracja pojazdów")
    assert found("dzialalnosc", "Działalność gospodarcza")
    assert not found("paszport na Marsa", "Dowody osobiste", description="Zabierz zdjęcie")


def test_the_name_outranks_the_description():
    assert found("dowód", "Dowody osobiste") > found(
        "dowód", "Sprawy meldunkowe", description="Zabierz dowód osobisty"
    )


def test_a_search_answers_while_the_table_is_still_being_read(monkeypatch: pytest.MonkeyPatch):
    # The first visitors after a start search while a thread reads the table (seconds, a
    # minute on a Raspberry Pi) holding the loader's lock: their search must not wait for it.
    monkeypatch.setattr(search, "_loaded", [])
    monkeypatch.setattr(search, "_warming", [True])  # the reading thread is under way
    answered: list[tuple[str, ...]] = []
    with search._lock:  # held as the reading thread holds it
        asker = threading.Thread(target=lambda: answered.append(forms("meldunku")), daemon=True)
        asker.start()
        asker.join(timeout=10)
        assert answered == [("meldunku",)], "the search waited for the stemming table"
