"""Check-in of a booked visit at the dispenser ("Potwierdzenie wizyty", seeds 002 and 004):
whether an access code may enter the queue now, and as what.

The visitor enters the queue at the booked hour with reservation priority, under the visit's
own number (R007, the one on the confirmation, the docket and at reception), so the hall
calls the number the visitor was sent; too early or too late (configurable windows) is
refused with the reason; a cancelled reservation cannot check in and each code checks in once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.domain import commands as cmd
from hub.domain import errors as err
from hub.domain.events import TicketKind


@dataclass(frozen=True)
class LocalReservation:
    """The hub's copy of a confirmed reservation (filled by the cloud sync)."""

    code: str
    service: str
    start: datetime
    cancelled: bool = False
    # The visit's number (R007), sent with the confirmation: the ticket carries it. None for
    # a reservation synced before the cloud sent numbers (the ticket then gets the next A004).
    number: str | None = None


class UnknownCode(err.QueueError):
    code = "unknown_code"


class TooEarly(err.QueueError):
    code = "too_early"


class TooLate(err.QueueError):
    code = "too_late"


class ReservationCancelled(err.QueueError):
    code = "reservation_cancelled"


class AlreadyCheckedIn(err.QueueError):
    code = "already_checked_in"


def check_in(
    reservation: LocalReservation | None,
    now: datetime,
    *,
    early_min: int,
    late_min: int,
    already: bool,
) -> cmd.IssueTicket:
    if reservation is None:
        raise UnknownCode("no reservation with this code today")
    if reservation.cancelled:
        raise ReservationCancelled("this reservation was cancelled")
    if already:
        raise AlreadyCheckedIn("this code has already been used")
    if now < reservation.start - timedelta(minutes=early_min):
        raise TooEarly(f"check-in opens {early_min} min before the booked hour")
    if now > reservation.start + timedelta(minutes=late_min):
        raise TooLate(f"check-in closed {late_min} min after the booked hour")
    return cmd.IssueTicket(
        reservation.service,
        TicketKind.RESERVATION,
        not_before=reservation.start,
        reservation_code=reservation.code,
        number=reservation.number,
    )
