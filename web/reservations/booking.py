"""Booking rules (seeds 003 and 004): the free slots of a service at a service point, how far
ahead one may book, holds that expire, and the states of a reservation.

Pure: the caller passes ``now`` and what is already taken; the database adapter makes the
capacity check atomic (a conditional insert), so these rules are the one place that says what
"free" means.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hub.contract import access_code as access_code_format
from web.reservations.calendar import Calendar

TZ = ZoneInfo("Europe/Warsaw")
# No 0/O, 1/I/L: an access code is read aloud at reception and typed on a dispenser.
CODE_ALPHABET = access_code_format.ALPHABET


class Status(StrEnum):
    PENDING = "pending"  # slot held until the visitor confirms with the code
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # never confirmed
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


HOLDS_CAPACITY = frozenset({Status.PENDING, Status.CONFIRMED, Status.CHECKED_IN})


class BookingError(Exception):
    code = "booking_error"


class OutsideWindow(BookingError):
    code = "outside_window"


class NotASlot(BookingError):
    code = "not_a_slot"


class SlotFull(BookingError):
    code = "slot_full"


class InvalidTransition(BookingError):
    code = "invalid_transition"


@dataclass(frozen=True)
class Offer:
    """A service as bookable at one service point."""

    service: str
    service_point: str
    duration_min: int = 15
    capacity: int = 1  # visitors per slot
    horizon_days: int = 30  # seed 004: up to 30 days ahead
    notice_min: int = 60  # no booking for the next hour
    hold_min: int = 15  # an unconfirmed booking frees its slot after this


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, Europe/Warsaw
    end: datetime


def slots_of_day(calendar: Calendar, offer: Offer, day: date) -> list[Slot]:
    out = []
    step = timedelta(minutes=offer.duration_min)
    for span in calendar.open_spans(day):
        t = datetime.combine(day, span.start, TZ)
        end = datetime.combine(day, span.end, TZ)
        while t + step <= end:
            out.append(Slot(t, t + step))
            t += step
    return out


def bookable_days(offer: Offer, now: datetime) -> list[date]:
    today = now.astimezone(TZ).date()
    return [today + timedelta(days=i) for i in range(offer.horizon_days + 1)]


def in_window(offer: Offer, start: datetime, now: datetime) -> bool:
    earliest = now + timedelta(minutes=offer.notice_min)
    latest_day = now.astimezone(TZ).date() + timedelta(days=offer.horizon_days)
    return earliest <= start and start.astimezone(TZ).date() <= latest_day


@dataclass(frozen=True)
class FreeSlot:
    slot: Slot
    free: int


Span = tuple[datetime, datetime]


def peak_inside(visits: Iterable[Span], start: datetime, end: datetime) -> int:
    """The most visits in the building at one moment of [start, end) (seed 003: "ile osób
    może jednocześnie przebywać w budynku"). A visit occupies [its start, its end); the count
    only rises where a visit begins, so it is enough to look at ``start`` and at those."""
    inside = [(s, e) for s, e in visits if s < end and start < e]
    moments = [start, *(s for s, _ in inside if s > start)]
    return max(sum(1 for s, e in inside if s <= t < e) for t in moments)


def building_room(limit: int | None, visits: Iterable[Span], start: datetime, end: datetime) -> int:
    """How many more visitors fit in the building throughout [start, end)."""
    if limit is None:
        return 10**9
    return limit - peak_inside(visits, start, end)


def free_slots(
    calendar: Calendar,
    offer: Offer,
    day: date,
    now: datetime,
    taken: Mapping[datetime, int],
    *,
    building_limit: int | None = None,
    building_visits: Sequence[Span] = (),
) -> list[FreeSlot]:
    """Slots of ``day`` one can still book, with how many places are left.

    ``taken``: holding reservations per slot start for this offer; ``building_visits``: the
    (start, end) of every holding reservation in the building that day, for its limit."""
    out = []
    for slot in slots_of_day(calendar, offer, day):
        if not in_window(offer, slot.start, now):
            continue
        free = offer.capacity - taken.get(slot.start, 0)
        if building_limit is not None:
            free = min(free, building_room(building_limit, building_visits, slot.start, slot.end))
        if free > 0:
            out.append(FreeSlot(slot, free))
    return out


def check_request(calendar: Calendar, offer: Offer, start: datetime, now: datetime) -> Slot:
    """The slot a visitor asks for, if it is a real slot inside the booking window."""
    if not in_window(offer, start, now):
        raise OutsideWindow(
            f"bookings are taken {offer.notice_min} min to {offer.horizon_days} days ahead"
        )
    for slot in slots_of_day(calendar, offer, start.astimezone(TZ).date()):
        if slot.start == start:
            return slot
    raise NotASlot("no such slot")


def count_holding(statuses: Iterable[tuple[Status, datetime | None]], now: datetime) -> int:
    """Reservations that occupy a place: confirmed ones, and pending ones whose hold is on."""
    n = 0
    for status, hold_until in statuses:
        if status is Status.PENDING:
            n += hold_until is not None and hold_until > now
        else:
            n += status in HOLDS_CAPACITY
    return n


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.CANCELLED, Status.EXPIRED}),
    Status.CONFIRMED: frozenset({Status.CANCELLED, Status.CHECKED_IN, Status.NO_SHOW}),
    Status.CHECKED_IN: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.NO_SHOW: frozenset({Status.CONFIRMED}),  # undone by staff, the same day only
}

# The check-in window of the hub's dispensers (hub/config.py's defaults): a visitor may check
# in from an hour before the booked time until 15 minutes after it.
CHECKIN_EARLY_MIN = 60
CHECKIN_LATE_MIN = 15


class NotYet(BookingError):
    """Too early for this: the visitor cannot have arrived yet, or may still come."""

    code = "not_yet"


class UndoTooLate(BookingError):
    """A visit marked as not kept can be put back only on the day of the visit."""

    code = "undo_too_late"


def transition(current: Status, new: Status) -> Status:
    if new not in TRANSITIONS[current]:
        raise InvalidTransition(f"a {current} reservation cannot become {new}")
    return new


def check_timing(current: Status, new: Status, start: datetime, now: datetime) -> None:
    """When staff may say what happened: "arrived" once the check-in window has opened, "not
    kept" once it has closed, and "not kept" undone on the day of the visit."""
    if new is Status.CHECKED_IN and now < start - timedelta(minutes=CHECKIN_EARLY_MIN):
        raise NotYet(f"check-in opens {CHECKIN_EARLY_MIN} min before the visit")
    if new is Status.NO_SHOW and now <= start + timedelta(minutes=CHECKIN_LATE_MIN):
        raise NotYet(f"the visitor may come until {CHECKIN_LATE_MIN} min after the hour")
    if current is Status.NO_SHOW and now.astimezone(TZ).date() != start.astimezone(TZ).date():
        raise UndoTooLate("a visit not kept can be put back on its day only")


def may_change(current: Status, new: Status, start: datetime, now: datetime) -> bool:
    """Whether the change is allowed now (the pages offer only what is)."""
    try:
        transition(current, new)
        check_timing(current, new, start, now)
    except BookingError:
        return False
    return True


def access_code(length: int = 8) -> str:
    """The visitor's "wirtualny bilet": 31^8 ≈ 8.5e11 codes, drawn by ``secrets``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def confirmation_code() -> str:
    """Six digits sent by SMS or e-mail; only worth anything together with rate limits."""
    return f"{secrets.randbelow(10**6):06d}"
