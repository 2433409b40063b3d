"""Finding a matter by what a visitor types: Polish word forms (a stemmer), letters typed with
or without their diacritics, a service's own keywords, and small typos.

"prawo jazdy" finds "Prawa jazdy", "meldunek" finds "Sprawy meldunkowe", "rejestracja
samochodu" finds the service whose keywords say "samochód", and "dowod osbisty" still finds
"Dowody osobiste". Pure functions on strings: the catalog calls ``score`` per service.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from rapidfuzz.distance import Levenshtein

# Words that say nothing about the matter ("sprawa w urzędzie", "wniosek o dowód").
STOP_WORDS = frozenset(
    "a aby do dla i in jak na o od of oraz po przez the to u w we z za ze".split()
    + "chce chcę sprawa sprawy sprawie wniosek wniosku wnioski urzad urzędzie".split()
)
WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without diacritics: 'Ślęża Łódź' → 'sleza lodz' (ł has no combining mark)."""
    text = text.casefold().replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


TABLE = files("pystempel.data.original") / "stemmer_20000.tbl.gz"
_lock = threading.Lock()
_warm_lock = threading.Lock()
_loaded: list[Callable[[str], str | None]] = []
_warming: list[bool] = []


def stemmer() -> Callable[[str], str | None]:
    """pystempel's stemmer with its original Stempel table (a few seconds to read, so the
    first step's page starts reading it in a thread: ``warm``). Its progress bar stays off."""
    with _lock:
        if not _loaded:
            os.environ.setdefault("DISABLE_TQDM", "1")
            from pystempel import Stemmer
            from pystempel.streams import DataInputStream

            # Stemmer.default()'s table, found without its deprecated importlib call.
            _loaded.append(Stemmer.from_stream(DataInputStream(_Yielding(TABLE.read_bytes()))))
        return _loaded[0]


class _Yielding(io.BytesIO):
    """The table, uncompressed, for the loader's ~600,000 tiny reads. Every 256th read gives
    the interpreter lock away for a moment: otherwise the server's own thread, which hands it
    back and forth at every database call, waits for the loader each time and every page is
    several times slower while the table loads (bench/search_warmup.py)."""

    def __init__(self, compressed: bytes) -> None:
        super().__init__(gzip.decompress(compressed))
        self._reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self._reads += 1
        if self._reads % 256 == 0:
            time.sleep(0.0002)
        return super().read(size)


def warm() -> None:
    """Read the table in a thread, once, without waiting for it (``_lock`` is held by the
    reading thread for the whole read: taking it here would make a search wait after all)."""
    with _warm_lock:
        if _loaded or _warming:
            return
        _warming.append(True)
    threading.Thread(target=stemmer, name="stemmer", daemon=True).start()


def forms(word: str) -> tuple[str, ...]:
    """The word and its stem, folded: 'samochodu' → ('samochodu', 'samochod'). Until the
    table has been read (seconds after the first page), the word alone: a search never waits,
    and the prefix and typo rules below still find most forms meanwhile."""
    if not _loaded:
        warm()
        return (fold(word),)
    return _stemmed(word)


@cache
def _stemmed(word: str) -> tuple[str, ...]:
    stem = _loaded[0](word.casefold()) or word
    return tuple(dict.fromkeys((fold(word), fold(stem))))


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if fold(w) not in STOP_WORDS and not w.isdigit()]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _typos_allowed(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def same_word(typed: str, known: str) -> bool:
    """Whether two folded forms are one word: a prefix being typed ('meldunk'), another form
    with the same stem ('meldunek' ~ 'meldunkowe': 'meldun…'), or a small typo."""
    if len(typed) >= 3 and known.startswith(typed):
        return True
    shorter = min(len(typed), len(known))
    prefix = _common_prefix(typed, known)
    if prefix >= 4 and prefix >= 0.75 * shorter:
        return True
    allowed = _typos_allowed(typed)
    return bool(allowed) and Levenshtein.distance(typed, known, score_cutoff=allowed) <= allowed


@dataclass(frozen=True)
class Fields:
    """What a service is known by, strongest first: its names and keywords, then the words
    of its description and department."""

    strong: Iterable[str]
    weak: Iterable[str]


def _vocabulary(texts: Iterable[str]) -> set[str]:
    return {f for text in texts for w in words(text) for f in forms(w)}


def score(query: str, fields: Fields) -> int:
    """0 when a typed word is found nowhere; otherwise higher for words found in the names
    and keywords (2 each) than in the description or department (1 each)."""
    typed = words(query)
    if not typed:
        return 0
    strong, weak = _vocabulary(fields.strong), _vocabulary(fields.weak)
    total = 0
    for word in typed:
        candidates = forms(word)
        if any(same_word(c, k) for c in candidates for k in strong):
            total += 2
        elif any(same_word(c, k) for c in candidates for k in weak):
            total += 1
        else:
            return 0
    return total
