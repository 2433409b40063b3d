"""What the staff pages call things: statuses, kinds, history actions, and the sentences for
a refused action. English message ids, translated where they are shown."""

from __future__ import annotations

from web.reservations import store
from web.reservations.booking import (
    BookingError,
    InvalidTransition,
    NotASlot,
    NotYet,
    OutsideWindow,
    SlotFull,
    Status,
    UndoTooLate,
)


def N_(text: str) -> str:
    """Marks a message id for extraction; translated later, where it is shown."""
    return text


STATUS = {
    Status.PENDING: N_("Awaiting confirmation"),
    Status.CONFIRMED: N_("Confirmed"),
    Status.CANCELLED: N_("Cancelled"),
    Status.EXPIRED: N_("Expired"),
    Status.CHECKED_IN: N_("Checked in"),
    Status.NO_SHOW: N_("Not kept"),
}

KIND = {
    "online": N_("Online"),
    "phone": N_("By phone"),
    "desk": N_("At the desk"),
}

ACTION = {
    "created": N_("Booked online, awaiting confirmation"),
    "booked": N_("Booked by staff"),
    "confirmed": N_("Confirmed"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired unconfirmed"),
    "checked_in": N_("Checked in"),
    "no_show": N_("Not kept"),
    "no_show_undone": N_("'Not kept' undone: confirmed again"),
    "note": N_("Staff note"),
    "rescheduled": N_("Moved to another time"),
}

ACTOR = {
    "visitor": N_("the visitor"),
    "system": N_("the system"),
    "dispenser": N_("the ticket dispenser"),
}

# Shown after an action succeeded (?done=…): a fixed list, so a link cannot put any text on
# the page.
DONE = {
    "confirmed": N_("The reservation is confirmed and the visitor has been sent the access code."),
    "confirmed_unsent": N_(
        "The reservation is confirmed, but the message could not be sent. "
        "Please give the visitor the access code by phone."
    ),
    "cancelled": N_(
        "The reservation is cancelled, its hour is free again and the visitor has been notified."
    ),
    "cancelled_unsent": N_(
        "The reservation is cancelled, but the message to the visitor could not be sent. "
        "Please tell them by phone."
    ),
    "note": N_("The note is saved."),
    "rescheduled": N_("The visit is moved and the visitor has been notified."),
    "rescheduled_unsent": N_(
        "The visit is moved, but the message to the visitor could not be sent. "
        "Please tell them by phone."
    ),
    "checked_in": N_("The visitor is checked in."),
    "no_show": N_("The visit is marked as not kept."),
    "no_show_undone": N_("'Not kept' is undone: the visit is confirmed again."),
    "booked": N_("The visit is booked and the caller has been sent the details."),
    "booked_unsent": N_(
        "The visit is booked, but the message could not be sent. "
        "Please read the access code to the caller."
    ),
}


def refusal(exc: BookingError) -> str:
    """Why an action was refused, as a sentence for the clerk."""
    if isinstance(exc, store.BuildingFull):
        return N_("The building is full at this time. Choose another hour.")
    if isinstance(exc, SlotFull):
        return N_("This hour has just been taken. Choose another hour.")
    if isinstance(exc, store.HoldExpired):
        return N_("The hold has expired, so it can no longer be confirmed.")
    if isinstance(exc, NotYet):
        return N_(
            "Not yet: a visitor can be checked in from an hour before the visit, and a visit "
            "is not kept only once its check-in time (15 minutes after the hour) is over."
        )
    if isinstance(exc, UndoTooLate):
        return N_("'Not kept' can be undone only on the day of the visit.")
    if isinstance(exc, InvalidTransition):
        return N_("This is not possible for a reservation with this status.")
    if isinstance(exc, OutsideWindow):
        return N_("This hour is outside the booking window.")
    if isinstance(exc, NotASlot):
        return N_("There is no such hour in the calendar.")
    if isinstance(exc, store.NotFound):
        return N_("There is no such reservation.")
    return N_("The action could not be done.")
