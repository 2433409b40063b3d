"""Every text of the cloud's pages has its Polish translation (Polish is the default)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from web.i18n import translations

WEB = Path(__file__).resolve().parents[2] / "web"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def used_messages() -> dict[str | tuple[str, int], str]:
    """Message ids as the compiled catalog keys them: a plural one by (singular, form)."""
    found: dict[str | tuple[str, int], str] = {}
    for filename, _line, message, _comments, _ctx in extract_from_dir(
        str(WEB), METHODS, options_map=OPTIONS
    ):
        if isinstance(message, tuple):
            if message[0] and message[1]:  # ngettext: every Polish form
                for form in range(3):
                    found.setdefault((message[0], form), filename)
                continue
            message = message[0]
        if message:
            found.setdefault(message, filename)
    return found


def test_every_page_text_has_a_polish_translation():
    polish = translations("pl")
    missing = {
        msg: where
        for msg, where in used_messages().items()
        if polish._catalog.get(msg) in (None, "")  # type: ignore[attr-defined]
    }
    assert not missing, "no Polish for: " + "; ".join(f"{m!r} ({w})" for m, w in missing.items())


def test_polish_plural_forms_follow_the_number():
    polish = translations("pl")
    weeks = [
        polish.ngettext("every week", "every %(num)s weeks", n) % {"num": n} for n in (1, 2, 5, 22)
    ]
    assert weeks == ["co tydzień", "co 2 tygodnie", "co 5 tygodni", "co 22 tygodnie"]
    english = translations("en")
    assert english.ngettext("every day", "every %(num)s days", 3) % {"num": 3} == "every 3 days"


def test_english_is_the_message_id_and_polish_differs():
    assert translations("pl").gettext("Sign in") == "Zaloguj"
    assert translations("en").gettext("Sign in") == "Sign in"
