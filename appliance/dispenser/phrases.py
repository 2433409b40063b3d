"""What the dispenser says to a visitor who cannot see the screen: the choices, the help, the
ticket. Pure functions of the screen's data and a gettext (the session's language)."""

from __future__ import annotations

import math
from collections.abc import Callable

from hub.contract import messages as msg

Gettext = Callable[[str], str]
NGettext = Callable[[str, str, int], str]


def spell(code: str) -> str:
    """ "TTM4" -> "T T M 4": each sign on its own, as a visitor checks it against paper."""
    return " ".join(code)


def code_so_far(code: str, _: Gettext) -> str:
    if not code:
        return _("The code is empty.")
    return _("Code so far: {code}.").format(code=spell(code))


def wait(seconds: float | None, _: Gettext, n_: NGettext) -> str:
    if seconds is None:
        return _("The waiting time is not known.")
    minutes = math.ceil(seconds / 60)
    if minutes <= 1:
        return _("No waiting.")
    return n_(
        "Estimated wait about {n} minute.", "Estimated wait about {n} minutes.", minutes
    ).format(n=minutes)


def waiting(n: int, n_: NGettext) -> str:
    """ "3 osoby czekają", "5 осіб чекають": the number agrees with its noun in each language."""
    return n_("{n} person waiting", "{n} people waiting", n).format(n=n)


def service(
    name: str, waiting_: int, wait_s: float | None, reason: str, _: Gettext, n_: NGettext
) -> str:
    if reason:
        return _("{name}. Unavailable: {reason}.").format(name=name, reason=reason)
    return f"{name}. {waiting(waiting_, n_)}. {wait(wait_s, _, n_)}"


def ahead(n: int, n_: NGettext) -> str:
    return n_("{n} person is ahead of you.", "{n} people are ahead of you.", n).format(n=n)


def keys_help(_: Gettext) -> str:
    return " ".join(
        (
            _(
                "Arrows or keys 8 and 2 move between the choices. Enter or 5 chooses. "
                "0 repeats the help. The star key turns large text and high contrast on or off."
            ),
            _("Plus and minus make the voice louder or quieter."),
        )
    )


def volume(percent: int, louder: bool, _: Gettext, n_: NGettext) -> str:
    """ "Głośniej. Głośność 70 procent." after the keypad's + or -."""
    change = _("Louder.") if louder else _("Quieter.")
    level = n_("Volume {n} percent.", "Volume {n} percent.", percent).format(n=percent)
    return f"{change} {level}"


def volume_limit(louder: bool, _: Gettext) -> str:
    return _("This is the loudest setting.") if louder else _("This is the quietest setting.")


def code_help(_: Gettext) -> str:
    return _(
        "Enter the code from your confirmation, one sign at a time. Keys 4 and 6 move by one "
        "sign, 8 and 2 by a row. Enter or 5 types the sign you hear. The signs are the digits "
        "2 to 9, then the letters A to Z without I, L and O; after them: delete, back and OK."
    )


def number(ticket_number: str) -> str:
    """ "A012" -> "A 12": the letters one by one, the number as a number ("dwanaście")."""
    letters = ticket_number.rstrip("0123456789")
    digits = ticket_number[len(letters) :]
    return f"{spell(letters)} {int(digits)}" if letters and digits else ticket_number


def ticket(t: msg.TicketInfo, _: Gettext, n_: NGettext, service_name: str | None = None) -> str:
    """`service_name`: the service in the session's language (the ticket carries Polish)."""
    return " ".join(
        (
            _("Your number is {number}, {service}.").format(
                number=number(t.number), service=service_name or t.service_name
            ),
            ahead(t.people_ahead, n_),
            _("Please take the ticket from the slot and wait in the waiting room."),
            _("Your number will be called aloud and shown on the screen."),
            _("Press 0 to hear this again."),
        )
    )
