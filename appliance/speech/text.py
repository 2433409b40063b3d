"""The spoken (and shown) text of a call, from a per-site template such as
"Numer {letters} {number}, stanowisko {counter}." — pure functions, no I/O."""

from __future__ import annotations

import string

from hub.config import ANNOUNCEMENT_FIELDS

POLISH_TEMPLATE = "Numer {letters} {number}, stanowisko {counter}."
ENGLISH_TEMPLATE = "Number {letters} {number}, counter {counter}."


class TemplateError(ValueError):
    """A template the announcer cannot fill; the message names the culprit."""


def check_template(template: str) -> str:
    """Return the template if every placeholder is known; else raise TemplateError."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:  # e.g. a lone "{"
        raise TemplateError(f"malformed template {template!r}: {exc}") from None
    for _, name, _, _ in parts:
        if name is not None and name not in ANNOUNCEMENT_FIELDS:
            raise TemplateError(
                f"unknown placeholder {{{name}}} in {template!r} "
                f"(use {', '.join('{' + f + '}' for f in ANNOUNCEMENT_FIELDS)})"
            )
    return template


def split_ticket(ticket: str) -> tuple[str, int]:
    """ "A012" -> ("A", 12): the number as an int so espeak says "dwanaście", not "zero jeden
    dwa". A transferred ticket may carry more than one letter ("AB007" -> ("AB", 7))."""
    letters = ticket.rstrip("0123456789")
    digits = ticket[len(letters) :]
    if not letters or not digits or not letters.isalpha():
        raise ValueError(f"not a ticket number: {ticket!r} (letters then digits, e.g. A012)")
    return letters, int(digits)


def spoken_text(template: str, ticket: str, counter: str) -> str:
    """Fill a site's template for one call: spoken_text(POLISH_TEMPLATE, "A012", "3") ==
    "Numer A 12, stanowisko 3." """
    letters, number = split_ticket(ticket)
    try:
        return check_template(template).format(
            letters=letters, number=number, counter=counter, ticket=ticket
        )
    except (ValueError, TypeError) as exc:  # a format spec that does not fit, e.g. {letters:d}
        raise TemplateError(f"cannot fill {template!r}: {exc}") from None
