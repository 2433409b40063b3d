"""How a report's history reads on the staff page: some kinds keep their note as data (the
changed details and their values, the notice that a part belongs elsewhere, a delay's planned
date); this turns them into text in the page's language, dates in the one Polish format."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from web.faults.dictionary import Dictionary
from web.faults.domain import CHANNEL_LABELS, Channel
from web.i18n import _
from web.templating import env

DETAIL_LABELS = {  # English msgids
    "rpw_id": "RPW id",
    "precinct": "Geodetic precinct",
    "parcel": "Parcel number",
    "title": "Subject",
    "address": "Address or description of the place",
    "lat": "Latitude",
    "lon": "Longitude",
    "channel": "Channel",
    "subcategory_id": "Category and subcategory",
}
NOTICE_FORM_LABELS = {"phone": "by phone", "email": "by e-mail"}
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def short_date(value: date) -> str:
    return str(env.filters["date"](value, "short"))


def _dates(text: str) -> str:
    """Dates written into notes by older versions (2026-03-02) in the page's format."""

    def one(m: re.Match[str]) -> str:
        try:
            return short_date(date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            return m[0]

    return ISO_DATE.sub(one, text)


def _label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return _(label) if label else key


def _value(key: str, value: Any, d: Dictionary) -> str:
    if value is None or value == "":
        return "—"
    if key == "channel" and value in set(Channel):
        return _(CHANNEL_LABELS[Channel(value)])
    if key == "subcategory_id":
        sub = d.subcategories.get(int(value))
        if sub is None:
            return str(value)
        category = next((c.name for c in d.categories if c.id == sub.category_id), "")
        return f"{category} / {sub.name}"
    return str(value)


def _details(note: str, d: Dictionary) -> str:
    try:
        changed = json.loads(note)
    except ValueError:
        changed = None
    if isinstance(changed, dict):
        return "; ".join(f"{_label(str(k))}: {_value(k, v, d)}" for k, v in changed.items())
    # Older entries named the fields only.
    keys = [k.strip() for k in note.split(",") if k.strip()]
    return ", ".join(_label(k) for k in keys)


def note_text(event: Any, d: Dictionary) -> str:
    note = str(event.note or "")
    if event.kind == "details":
        return _details(note, d)
    if event.kind == "part_elsewhere":
        try:
            data = json.loads(note)
        except ValueError:
            return note
        how = _(NOTICE_FORM_LABELS.get(data.get("form", ""), ""))
        return f"{_('The operator was told')} {how}: {data.get('part', '')}"
    return _dates(note)
