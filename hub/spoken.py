"""How a ticket's letters are said in a language other than Polish — pure, no I/O.

espeak-ng's Ukrainian voice reads a Latin "A" as English ("ei") and a lone Cyrillic "Б" as a
sound, not a letter; so the Ukrainian call spells the letters by their Ukrainian names, as a
Ukrainian reads Latin letters aloud (in mathematics, on number plates)."""

from __future__ import annotations

UKRAINIAN_LETTER_NAMES = {
    "A": "а",
    "B": "бе",
    "C": "це",
    "D": "де",
    "E": "е",
    "F": "еф",
    "G": "ґе",
    "H": "аш",
    "I": "і",
    "J": "йот",
    "K": "ка",
    "L": "ель",
    "M": "ем",
    "N": "ен",
    "O": "о",
    "P": "пе",
    "Q": "ку",
    "R": "ер",
    "S": "ес",
    "T": "те",
    "U": "у",
    "V": "ве",
    "W": "дубль-ве",
    "X": "ікс",
    "Y": "ігрек",
    "Z": "зет",
}


def spoken_letters(letters: str, language: str) -> str:
    """spoken_letters("AB", "uk") == "а бе"; Polish and English voices read Latin letters
    themselves, so they get the letters unchanged."""
    if language != "uk":
        return letters
    return " ".join(UKRAINIAN_LETTER_NAMES.get(c, c) for c in letters.upper())
