"""A visitor's booking, the same whether it comes through the JSON API or the public pages:
hold a slot with a fresh 6-digit code (limited per contact), send the code, and after the code
is confirmed send the access code, time, place and manage link (with the .ics by e-mail).

Messages say no more than needed: the code message carries the code and its validity only,
because an SMS is read by whoever holds the phone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date, format_time

from hub.contract.access_code import grouped
from web.catalog import Catalog
from web.db.models import Reservation
from web.i18n import translations
from web.notify.mail import MailError
from web.notify.sms import SmsError, normalise_phone
from web.ratelimit import shared
from web.reservations import store
from web.reservations.booking import TZ, BookingError, confirmation_code
from web.reservations.ics import visit_ics
from web.reservations.slots import hold_at

log = logging.getLogger("okienko.web.reservations")
SEND_ERRORS = (MailError, SmsError, OSError)


class ContactLimited(BookingError):
    """Too many codes went to this phone number or e-mail address lately."""

    code = "too_many_requests"


class CodeNotSent(BookingError):
    """The code could not be handed to the mail server or the SMS gateway."""

    code = "cannot_send_code"


def contact_key(contact: str) -> str:
    """One key per person however the number was typed: 600 100 200 and +48600100200 alike."""
    text = contact.strip().lower()
    if "@" not in text:
        try:
            text = normalise_phone(text)
        except SmsError:
            pass  # not a phone number: refused by the checks, still limited as typed
    return f"contact:{text}"


async def confirm_limited(app: Any, client_ip: str, contact: str | None) -> str | None:
    """Count one code try; "address" or "contact" when that one has used up its tries.

    Per IP against a script; per phone or e-mail against guessing from many addresses (each
    reservation also locks after five wrong codes, but one person may hold several)."""
    if not await app.state.confirm_limit.allow(f"confirm:{client_ip}"):
        return "address"
    if contact is None:  # no such reservation: nobody's contact to protect
        return None
    per_contact = shared(app.state, "confirm_contact", 10, 600)
    if not await per_contact.allow(f"confirm:{contact_key(contact)}"):
        return "contact"
    return None


async def hold_with_code(
    app: Any,
    catalog: Catalog,
    *,
    service: str,
    location: str | None,
    start: datetime,
    name: str,
    contact: str,
    now: datetime,
    language: str = "pl",
    contact_extra: str = "",
) -> Reservation:
    """Hold ``start`` and send its confirmation code to ``contact``.

    Raises ContactLimited, the hold's BookingErrors (SlotFull, OutsideWindow, NotASlot), or
    CodeNotSent (the hold is then cancelled at once, so the hour is not blocked for nothing)."""
    limit = app.state.contact_limit
    key = contact_key(contact)
    if not await limit.open(key):  # a look first: a limited contact holds nothing
        raise ContactLimited("too many codes sent to this contact")
    code = confirmation_code()
    reservation = await hold_at(
        app.state.engine,
        catalog,
        service,
        location,
        start,
        now,
        name=name,
        contact=contact,
        contact_extra=contact_extra,
        confirm_code=code,
        language=language,
    )
    # Counted only once the place is held (holds with a code count, not a full slot), and
    # atomically: of concurrent bookings past the limit, each gives its place straight back.
    if await limit.take(key) is None:
        await _release(app, reservation, now)
        raise ContactLimited("too many codes sent to this contact")
    t = translations(language)
    minutes = catalog.services[service].hold_min
    text = t.gettext("Booking confirmation code: %(code)s. Valid for %(minutes)s min.") % {
        "code": code,
        "minutes": minutes,
    }
    try:
        await app.state.notifier.send(contact, t.gettext("Booking confirmation code"), text)
    except SEND_ERRORS as exc:
        log.warning("confirmation code not sent: %s", type(exc).__name__)
        await _release(app, reservation, now)
        raise CodeNotSent("the code could not be sent") from exc
    return reservation


async def _release(app: Any, reservation: Reservation, now: datetime) -> None:
    """Cancel a hold at once, so the hour is not blocked for nothing."""
    try:
        await store.cancel(app.state.engine, reservation.access_code, now, actor="system")
    except BookingError:
        pass  # already expired or swept: the place is free either way


@dataclass(frozen=True)
class VisitFacts:
    """What a visitor is told about a visit: on pages, in messages and in the .ics."""

    reservation: Reservation
    service: str
    location: str
    address: str
    point: str
    room: str
    end: datetime

    @property
    def place(self) -> str:
        where = ", ".join(x for x in (self.location, self.address) if x)
        desk = " ".join(x for x in (self.point, self.room) if x)
        return f"{where} — {desk}" if desk else where


def visit_facts(catalog: Catalog, r: Reservation, language: str) -> VisitFacts:
    service = catalog.services.get(r.service)
    loc = catalog.locations.get(r.location)
    point = catalog.points.get(r.service_point)
    duration = service.duration_min if service else 15
    return VisitFacts(
        reservation=r,
        service=service.label(language) if service else r.service,
        location=loc.name if loc else r.location,
        address=loc.address if loc else "",
        point=point.name if point else r.service_point,
        room=point.room if point else "",
        end=r.start + timedelta(minutes=duration),
    )


def when_text(start: datetime, language: str) -> str:
    """ "środa, 14 maja 2025, 10:00" in the visitor's language, Europe/Warsaw."""
    local = start.astimezone(TZ)
    day = format_date(local.date(), "full", locale=language)
    return f"{day}, {format_time(local, 'HH:mm', locale=language)}"


def manage_url(base_url: str, r: Reservation) -> str:
    return f"{base_url.rstrip('/')}/visit/{r.manage_token}"


def ics_of(facts: VisitFacts, link: str, language: str) -> bytes:
    t = translations(language)
    r = facts.reservation
    description = "\n".join(
        (
            t.gettext("Access code: %(code)s") % {"code": grouped(r.access_code)},
            t.gettext("Visit number: %(number)s") % {"number": store.ticket_label(r.number)},
            t.gettext("Change or cancel: %(link)s") % {"link": link},
        )
    )
    return visit_ics(
        uid=r.id,
        start=r.start,
        end=facts.end,
        summary=facts.service,
        location=facts.place,
        description=description,
    )


def confirmation_text(facts: VisitFacts, link: str, language: str, *, sms: bool) -> str:
    t = translations(language)
    r = facts.reservation
    values = {
        "code": grouped(r.access_code),  # read aloud in two halves; typed back either way
        "number": store.ticket_label(r.number),
        "when": when_text(r.start, language),
        "place": facts.place,
        "service": facts.service,
        "link": link,
    }
    if sms:  # short, and no name: whoever holds the phone reads it
        return (
            t.gettext(
                "Visit %(when)s, %(place)s. Access code %(code)s, number %(number)s. "
                "Cancel: %(link)s"
            )
            % values
        )
    lines = (
        t.gettext("Your visit at the city office is confirmed."),
        "",
        t.gettext("Access code (virtual ticket): %(code)s") % values,
        t.gettext("Visit number: %(number)s") % values,
        t.gettext("Matter: %(service)s") % values,
        t.gettext("Date and time: %(when)s") % values,
        t.gettext("Place: %(place)s") % values,
        "",
        t.gettext("Please come 5–10 minutes before the time of your visit."),
        t.gettext("To see, change or cancel the visit: %(link)s") % values,
    )
    return "\n".join(lines)


async def send_confirmation(
    app: Any, catalog: Catalog, r: Reservation, base_url: str, language: str
) -> bool:
    """The confirmation with the access code; False (logged) when it could not be sent: the
    visitor sees the same facts on the page, so the booking stands."""
    facts = visit_facts(catalog, r, language)
    link = manage_url(base_url, r)
    t = translations(language)
    subject = t.gettext("Your visit at the city office: %(when)s") % {
        "when": when_text(r.start, language)
    }
    notifier = app.state.notifier
    sent = True
    for contact in r.contacts():  # both, when the visitor gave an e-mail and a phone
        try:
            if "@" in contact:
                message = notifier.mailer.compose(
                    contact,
                    subject,
                    confirmation_text(facts, link, language, sms=False),
                    attachments=(("wizyta.ics", "text/calendar", ics_of(facts, link, language)),),
                )
                await notifier.mailer.send(message)
            else:
                await notifier.sms.send(contact, confirmation_text(facts, link, language, sms=True))
        except SEND_ERRORS as exc:
            log.warning("confirmation not sent for reservation %s: %s", r.id, type(exc).__name__)
            sent = False
    return sent
