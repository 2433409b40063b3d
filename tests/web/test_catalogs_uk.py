"""Every text a visitor can meet has its Ukrainian translation; staff pages may stay English."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file

from hub.config import parse_site_file
from tests.support.sitefile import site_toml
from web.catalog import ServiceInfo
from web.faults.domain import STATUS_LABELS
from web.faults.public_routes import PUBLIC_STEPS
from web.i18n import VISITOR_TEMPLATES, translations

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")
WEB = Path(__file__).resolve().parents[2] / "web"
TEMPLATES = WEB / "templates"
# Modules whose texts reach a visitor: pages' errors, the code and visit messages, reminders.
VISITOR_MODULES = [
    *sorted((WEB / "public").glob("*.py")),
    WEB / "eticket" / "routes.py",
    WEB / "eticket" / "streams.py",
    WEB / "faults" / "public_routes.py",
    WEB / "faults" / "notices.py",  # the reporter's confirmation and "handed elsewhere"
    WEB / "reservations" / "flow.py",
    WEB / "reservations" / "reminders.py",
    WEB / "reservations" / "notices.py",  # expired, cancelled by the visitor or the office
    WEB / "staff" / "moving.py",  # the notice of a visit a clerk moved
    WEB / "sync" / "alerts.py",  # "your turn is near", "please come", by SMS, e-mail or push
]
# Texts chosen in code and translated where shown (the form's refusals, a report's status).
VISITOR_TEXTS = [
    *STATUS_LABELS.values(),
    *PUBLIC_STEPS.values(),
    "Photos must be JPEG, PNG, WebP or GIF images.",
    "A photo may have at most 5 MB.",
    "Fill in every required field of the subcategory.",
    "A field of the subcategory needs a number.",
    "Describe the problem.",
    "The latitude must be between -90 and 90.",
    "The longitude must be between -180 and 180.",
    "Give the address or pick the place on the map.",
    "To get a reply, give an e-mail address or a phone number.",
    "At most five photos.",
    "Choose the category and the subcategory.",
    "Give both coordinates as numbers, or neither.",
    "To get a reply, agree to the processing of your contact data.",
]


def visitor_templates() -> list[Path]:
    found = [
        p
        for p in sorted(TEMPLATES.rglob("*.html"))
        if p.relative_to(TEMPLATES).as_posix().startswith(VISITOR_TEMPLATES)
    ]
    assert len(found) > 30  # the booking steps, visit, e-ticket, board, fault form, errors
    return found


def visitor_messages() -> dict[str | tuple[str, int], str]:
    """Message ids as the compiled catalog keys them: a plural one by (singular, form)."""
    found: dict[str | tuple[str, int], str] = {}
    sources = [(p, "jinja2") for p in visitor_templates()]
    sources += [(p, "python") for p in VISITOR_MODULES]
    for path, method in sources:
        options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
        for _line, message, _c, _x in extract_from_file(method, str(path), options=options):
            if isinstance(message, tuple):
                if message[0] and message[1]:  # ngettext: every Ukrainian form
                    for form in range(3):
                        found.setdefault((message[0], form), path.name)
                    continue
                message = message[0]
            if message:
                found.setdefault(message, path.name)
    for text in VISITOR_TEXTS:
        found.setdefault(text, "code")
    return found


def test_every_visitor_text_has_a_ukrainian_translation():
    ukrainian = translations("uk")
    messages = visitor_messages()
    assert ("%(num)s free hour", 2) in messages and "Choose the matter" in messages
    missing = {
        msg: where
        for msg, where in messages.items()
        if ukrainian._catalog.get(msg) in (None, "")  # type: ignore[attr-defined]
    }
    assert not missing, "no Ukrainian for: " + "; ".join(f"{m!r} ({w})" for m, w in missing.items())


def test_ukrainian_keeps_every_placeholder():
    ukrainian = translations("uk")
    for key, text in ukrainian._catalog.items():  # type: ignore[attr-defined]
        msgid = key[0] if isinstance(key, tuple) else key
        assert set(PLACEHOLDER.findall(msgid)) <= set(PLACEHOLDER.findall(text)), (msgid, text)


def test_free_hours_follow_the_number_in_each_language():
    cases = {
        "pl": ["1 wolna godzina", "2 wolne godziny", "5 wolnych godzin", "22 wolne godziny"],
        "en": ["1 free hour", "2 free hours", "5 free hours", "22 free hours"],
        "uk": ["1 вільна година", "2 вільні години", "5 вільних годин", "22 вільні години"],
    }
    for language, wanted in cases.items():
        t = translations(language)
        got = [
            t.ngettext("%(num)s free hour", "%(num)s free hours", n) % {"num": n}
            for n in (1, 2, 5, 22)
        ]
        assert got == wanted, language
    # 11–14 take the "many" form in Ukrainian, 21 the "one" form.
    uk = translations("uk")
    assert uk.ngettext("%(num)s free hour", "%(num)s free hours", 12) % {"num": 12} == (
        "12 вільних годин"
    )
    assert uk.ngettext("%(num)s free hour", "%(num)s free hours", 21) % {"num": 21} == (
        "21 вільна година"
    )


def test_people_ahead_follow_the_number_in_each_language():
    one = "Your turn is near: %(num)s person ahead of ticket %(number)s."
    many = "Your turn is near: %(num)s people ahead of ticket %(number)s."
    cases = {
        "pl": ["jest 1 osoba.", "są 2 osoby.", "jest 5 osób.", "są 22 osoby."],
        "en": ["1 person ahead", "2 people ahead", "5 people ahead", "22 people ahead"],
        "uk": ["— 1 особа.", "— 2 особи.", "— 5 осіб.", "— 22 особи."],
    }
    for language, wanted in cases.items():
        t = translations(language)
        for n, part in zip((1, 2, 5, 22), wanted, strict=True):
            text = t.ngettext(one, many, n) % {"num": n, "number": "A012"}
            assert part in text and "A012" in text, (language, text)
    assert "1 людей" not in translations("uk").ngettext(one, many, 1) % {"num": 1, "number": "A"}


def test_staff_texts_fall_back_to_english_in_ukrainian():
    assert translations("uk").gettext("Sign in") == "Sign in"
    assert translations("uk").gettext("Choose the matter") == "Виберіть справу"


def test_a_service_is_named_in_the_visitors_language_or_else_in_polish():
    text = site_toml(database=Path("hub.sqlite3"), mqtt_port=1, hub_password="x").replace(
        'name = "Sprawy meldunkowe"', 'name = "Sprawy meldunkowe"\nname_uk = "Реєстрація"'
    )
    services = {s.id: s for s in parse_site_file(text).site.services}
    assert services["meldunki"].name_uk == "Реєстрація" and services["dowody"].name_uk is None
    named = ServiceInfo("m", "Sprawy meldunkowe", name_en="Registration", name_uk="Реєстрація")
    assert [named.label(lang) for lang in ("pl", "en", "uk")] == [
        "Sprawy meldunkowe",
        "Registration",
        "Реєстрація",
    ]
    polish_only = ServiceInfo("d", "Dowody osobiste")
    assert {polish_only.label(lang) for lang in ("pl", "en", "uk")} == {"Dowody osobiste"}
