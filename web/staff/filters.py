"""The register's search form read from the query string, without I/O: cleaned values for the
query, the typed text for the form (kept as typed), and an error per field (English msgid)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from hub.contract import access_code
from web.reservations.booking import Status
from web.staff.texts import KIND, N_

FIELDS = (
    "first_name",
    "last_name",
    "code",
    "service",
    "from",
    "to",
    "point",
    "email",
    "phone",
    "status",
    "kind",
    "fits",
    "sort",
)
FITS = ("yes", "no")  # "Rezerwacja zgodna z terminarzem": tak / nie
DEFAULT_DAYS = 30
MAX_DAYS = 400


normalise_code = access_code.normalise


def fold_text(text: str) -> str:
    return text.lower()


@dataclass
class RegisterFilter:
    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    first: date | None = None
    last: date | None = None
    code: str = ""
    service: str = ""
    point: str = ""
    email: str = ""
    phone: str = ""
    status: str = ""
    kind: str = ""
    fits: str = ""  # "", or whether the visit still fits its service point's schedule
    newest_first: bool = False
    page: int = 1

    def name_words(self) -> list[str]:
        text = f"{self.typed.get('first_name', '')} {self.typed.get('last_name', '')}"
        return [fold_text(w) for w in text.split()][:6]

    def query(self, **changes: str | int) -> str:
        """This search as a query string (for pages and sorting links)."""
        values: dict[str, str | int] = {k: v for k, v in self.typed.items() if v}
        values.update(changes)
        return urlencode(values)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_filter(params: Mapping[str, str], today: date) -> RegisterFilter:
    typed = {k: str(params.get(k, "")).strip()[:120] for k in FIELDS}
    f = RegisterFilter(typed=typed)
    first = _date(typed["from"]) if typed["from"] else today
    last = _date(typed["to"]) if typed["to"] else None
    if first is None:
        f.errors["from"] = N_("Enter the date as YYYY-MM-DD.")
    if typed["to"] and last is None:
        f.errors["to"] = N_("Enter the date as YYYY-MM-DD.")
    if first is not None and last is None and "to" not in f.errors:
        last = first + timedelta(days=DEFAULT_DAYS)
    if first is not None and last is not None:
        if last < first:
            f.errors["to"] = N_("The end of the range is before its beginning.")
        elif (last - first).days > MAX_DAYS:
            f.errors["to"] = N_("Search at most 400 days at once.")
        else:
            f.first, f.last = first, last
    if not typed["from"] and first is not None:
        typed["from"] = first.isoformat()
    if not typed["to"] and last is not None:
        typed["to"] = last.isoformat()
    f.code = normalise_code(typed["code"])
    f.service = typed["service"]
    f.point = typed["point"]
    f.email = fold_text(typed["email"])
    digits = re.sub(r"\D", "", typed["phone"])
    if typed["phone"] and len(digits) < 3:
        f.errors["phone"] = N_("Enter at least 3 digits of the phone number.")
    # The last nine digits are the number itself, whatever the typed prefix (+48, 0048).
    f.phone = digits[-9:]
    if typed["status"] and typed["status"] not in set(Status):
        f.errors["status"] = N_("Choose a status from the list.")
    else:
        f.status = typed["status"]
    if typed["kind"] and typed["kind"] not in KIND:
        f.errors["kind"] = N_("Choose a kind from the list.")
    else:
        f.kind = typed["kind"]
    if typed["fits"] and typed["fits"] not in FITS:
        f.errors["fits"] = N_("Choose yes or no.")
    else:
        f.fits = typed["fits"]
    f.newest_first = typed["sort"] == "-time"
    try:
        f.page = max(1, int(params.get("page", "1")))
    except ValueError:
        f.page = 1
    return f
