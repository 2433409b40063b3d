"""Every text of the cloud's pages has its Polish translation (Polish is the default)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from web.i18n import translations

WEB = Path(__file__).resolve().parents[2] / "web"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def used_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, _line, message, _comments, _ctx in extract_from_dir(
        str(WEB), METHODS, options_map=OPTIONS
    ):
        text = message[0] if isinstance(message, tuple) else message
        if text:
            found.setdefault(text, filename)
    return found


def test_every_page_text_has_a_polish_translation():
    polish = translations("pl")
    missing = {
        msg: where
        for msg, where in used_messages().items()
        if polish._catalog.get(msg) in (None, "")  # type: ignore[attr-defined]
    }
    assert not missing, "no Polish for: " + "; ".join(f"{m!r} ({w})" for m, w in missing.items())


def test_english_is_the_message_id_and_polish_differs():
    assert translations("pl").gettext("Sign in") == "Zaloguj"
    assert translations("en").gettext("Sign in") == "Sign in"
