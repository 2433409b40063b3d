"""The visitor's forms checked without I/O: the details form (name, phone or e-mail, the two
consents) and the confirmation code. Errors are English message ids, translated where they
are shown; the typed values always go back to the form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers

from web.notify.sms import SmsError, normalise_phone
from web.public.steps import N_

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
NAME_MAX = 120
CONTACT_MAX = 120


@dataclass(frozen=True)
class Details:
    name: str
    contact: str  # an e-mail address, or a mobile number in E.164 (+48600100200)
    contact_extra: str = ""  # the other kind, when the visitor wants both


PHONE_ERROR = N_(
    "Enter a mobile number, like 600 100 200 or +49 151 23456789, or an e-mail address."
)


def check_contact(text: str) -> tuple[str, str | None]:
    """An e-mail address as typed or a mobile number in E.164; an error message id if neither."""
    if "@" in text:
        if len(text) > CONTACT_MAX or not EMAIL.match(text):
            return text, N_("Enter an e-mail address like name@example.com.")
        return text, None
    try:
        return normalise_phone(text), None
    except SmsError:
        return text, PHONE_ERROR


def check_second_contact(text: str, first: str) -> tuple[str, str | None]:
    """The optional second contact, of the other kind than ``first``; "" when none is given."""
    extra = text.strip()
    if not extra:
        return "", None
    extra, problem = check_contact(extra)
    if problem is None and ("@" in extra) == ("@" in first):
        problem = N_(
            "Give the other kind here: an e-mail address if above is a phone number, "
            "or a phone number if above is an e-mail address."
        )
    return extra, problem


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
    else:
        contact, problem = check_contact(contact)
        if problem:
            errors["contact"] = problem
    extra, problem = check_second_contact(form.get("contact_extra", ""), contact)
    if problem:
        errors["contact_extra"] = problem
    if form.get("terms") != "yes":
        errors["terms"] = N_("To book, accept the booking terms.")
    if form.get("privacy") != "yes":
        errors["privacy"] = N_("To book, confirm that you have read the personal data notice.")
    if errors:
        return None, errors
    return Details(name, contact, extra), {}


def check_code(text: str) -> str | None:
    """Six digits (spaces and dashes typed between them are ignored), or None."""
    digits = re.sub(r"[\s-]", "", text)
    return digits if re.fullmatch(r"[0-9]{6}", digits) else None


def masked(contact: str) -> str:
    """Where the code went, enough to recognise it and not to read it off a screen:
    a•••@example.org, +48 ••• ••• 200, +49 ••• ••• 789."""
    if "@" in contact:
        user, _, domain = contact.partition("@")
        return f"{user[:1]}•••@{domain}"
    try:
        country = phonenumbers.parse(normalise_phone(contact)).country_code
    except SmsError:
        country = 48
    return f"+{country} ••• ••• {contact[-3:]}"
