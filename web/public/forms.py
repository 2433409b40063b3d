"""The visitor's forms checked without I/O: the details form (name, phone or e-mail, the two
consents) and the confirmation code. Errors are English message ids, translated where they
are shown; the typed values always go back to the form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from web.notify.sms import SmsError, normalise_phone
from web.public.steps import N_

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
NAME_MAX = 120
CONTACT_MAX = 120


@dataclass(frozen=True)
class Details:
    name: str
    contact: str  # an e-mail address, or a Polish mobile number as 48XXXXXXXXX


def check_details(form: Mapping[str, str]) -> tuple[Details | None, dict[str, str]]:
    """The cleaned details, or None and an error per field (in the order of the form)."""
    errors: dict[str, str] = {}
    name = " ".join(form.get("name", "").split())
    if not name:
        errors["name"] = N_("Enter your name or the name of your company.")
    elif len(name) < 2 or len(name) > NAME_MAX:
        errors["name"] = N_("The name must have 2 to 120 characters.")
    contact = form.get("contact", "").strip()
    if not contact:
        errors["contact"] = N_("Enter a mobile phone number or an e-mail address.")
    elif "@" in contact:
        if len(contact) > CONTACT_MAX or not EMAIL.match(contact):
            errors["contact"] = N_("Enter an e-mail address like name@example.com.")
    else:
        try:
            contact = normalise_phone(contact)
        except SmsError:
            errors["contact"] = N_(
                "Enter a Polish mobile number of 9 digits, like 600 100 200, or an e-mail address."
            )
    if form.get("terms") != "yes":
        errors["terms"] = N_("To book, accept the booking terms.")
    if form.get("privacy") != "yes":
        errors["privacy"] = N_("To book, confirm that you have read the personal data notice.")
    if errors:
        return None, errors
    return Details(name, contact), {}


def check_code(text: str) -> str | None:
    """Six digits (spaces and dashes typed between them are ignored), or None."""
    digits = re.sub(r"[\s-]", "", text)
    return digits if re.fullmatch(r"[0-9]{6}", digits) else None


def masked(contact: str) -> str:
    """Where the code went, enough to recognise it and not to read it off a screen:
    a•••@example.org, +48 ••• ••• 200."""
    if "@" in contact:
        user, _, domain = contact.partition("@")
        return f"{user[:1]}•••@{domain}"
    return f"+48 ••• ••• {contact[-3:]}"
