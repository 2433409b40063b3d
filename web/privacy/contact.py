"""Who a data-subject request is about: an e-mail address or a phone number, however typed
(``+48 600-100-200``, ``600100200``, ``0048 600 100 200``), and finding or blotting it out in a
stored value or a free text. Pure: no database, no I/O.

Phone numbers are compared in E.164, the form the booking stores them in and its rate limits
count by (web/reservations/flow.py ``contact_key``); free texts are read with phonenumbers'
own matcher, so a number written inside a sentence is found in any of its forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberMatcher

ERASED = "[usunięto]"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotAContact(ValueError):
    """Neither an e-mail address nor a phone number."""


def _e164(text: str) -> str | None:
    digits = re.sub(r"[\s().\-/]", "", text.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    candidates = [digits]
    if digits.isdigit() and len(digits) > 9:
        candidates.append("+" + digits)  # stored without its plus
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "PL")
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return None


@dataclass(frozen=True)
class Contact:
    """``kind`` "email" (``value`` in lower case) or "phone" (``value`` in E.164)."""

    kind: str
    value: str

    @property
    def is_phone(self) -> bool:
        return self.kind == "phone"

    def hint(self) -> str:
        """A short stem a stored value must contain (a SQL LIKE prefilter): the address, or
        the number's last two digits (every usual grouping keeps them together)."""
        return self.value if not self.is_phone else self.value[-2:]

    def same(self, stored: str | None) -> bool:
        """Whether a stored contact field (one value) is this contact."""
        if not stored:
            return False
        if not self.is_phone:
            return stored.strip().lower() == self.value
        return _e164(stored) == self.value

    def spans(self, text: str | None) -> list[tuple[int, int]]:
        """Where this contact is written in a free text (start, end), in order."""
        if not text:
            return []
        if not self.is_phone:
            low = text.lower()
            found, at = [], low.find(self.value)
            while at >= 0:
                found.append((at, at + len(self.value)))
                at = low.find(self.value, at + len(self.value))
            return found
        return [
            (m.start, m.end)
            for m in PhoneNumberMatcher(text, "PL", leniency=phonenumbers.Leniency.POSSIBLE)
            if phonenumbers.format_number(m.number, PhoneNumberFormat.E164) == self.value
        ]

    def within(self, text: str | None) -> bool:
        return bool(self.spans(text))

    def redact(self, text: str) -> str:
        """The text with every writing of this contact replaced by ``ERASED``."""
        out, last = [], 0
        for start, end in self.spans(text):
            out.append(text[last:start])
            out.append(ERASED)
            last = end
        return "".join(out) + text[last:]

    def masked(self) -> str:
        """For the access log: enough to tell requests apart, not the contact itself."""
        if not self.is_phone:
            local, _, domain = self.value.partition("@")
            return f"{local[:1]}***@{domain}"
        return f"{self.value[:3]}******{self.value[-3:]}"


def parse(text: str) -> Contact:
    """The contact a person typed, or NotAContact."""
    typed = text.strip()
    if "@" in typed:
        if not EMAIL.match(typed):
            raise NotAContact(typed)
        return Contact("email", typed.lower())
    number = _e164(typed)
    if number is None:
        raise NotAContact(typed)
    return Contact("phone", number)
