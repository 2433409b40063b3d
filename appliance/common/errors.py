"""The hub's refusal codes as sentences a visitor or a clerk understands."""

from __future__ import annotations

from collections.abc import Callable

from hub.contract import messages as msg


def describe(error: msg.ErrorInfo | None, _: Callable[[str], str]) -> str:
    if error is None:
        return _("Something went wrong. Try again.")
    if error.code == "service_unavailable":
        return {
            "closed": _("This matter is not handled at this time."),
            "cutoff": _("Tickets for today are no longer issued: the office closes soon."),
            "daily_limit": _("Today's tickets for this matter have run out."),
            "building_full": _("The office is full. Please wait a moment."),
        }.get(error.reason or "", _("No tickets for this matter now."))
    texts = {
        "queue_empty": _("Nobody is waiting."),
        "counter_busy": _("Finish, start or mark the current visitor first."),
        "counter_not_open": _("The counter is not open."),
        "no_current_ticket": _("There is no current visitor."),
        "bad_pin": _("Wrong PIN or clerk. After 5 wrong PINs the clerk is locked for 15 minutes."),
        "clerk_locked": _(
            "Too many wrong PINs: this clerk cannot sign in for 15 minutes. Ask your manager."
        ),
        "terminal_locked": _("Too many wrong PINs on this terminal: try again in 15 minutes."),
        "invalid_transfer": _("This transfer is not possible."),
        "unknown_service": _("Unknown matter."),
        "unknown_counter": _("Unknown counter."),
        "storage_error": _("The server could not save this. Try again."),
        "forbidden": _("This device may not do that."),
        "bad_request": _("The server did not understand the request."),
        "unsupported": _("Not available yet."),
        "unknown_code": _("We do not know this code. Check it and try again."),
        "too_early": _(
            "It is too early to confirm this visit. Please come back closer to the booked hour."
        ),
        "too_late": _("The booked hour has passed. Please take a regular ticket."),
        "reservation_cancelled": _("This reservation was cancelled."),
        "already_checked_in": _("This code has already been used."),
    }
    return texts.get(error.code, _("The server refused: {code}").format(code=error.code))
