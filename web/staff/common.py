"""What every staff page needs: rendering with the labels at hand, the clock, the site's
address for links, the rate limits of the staff pages, and which desks a person may choose."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from web.catalog import Catalog, PointInfo
from web.i18n import gettext
from web.notify.sms import SmsError, normalise_phone, show_phone
from web.ratelimit import RateLimit, shared
from web.reservations.booking import TZ
from web.reservations.store import ticket_label
from web.staff.texts import ACTION, ACTOR, KIND, STATUS
from web.templating import render

# Staff pages show personal data: never cached by the browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(TZ).date()


def base_url(request: Request) -> str:
    return str(request.app.state.public_url or request.base_url).rstrip("/")


def page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        template,
        {
            "STATUS": STATUS,
            "KIND": KIND,
            "ACTION": ACTION,
            "ACTOR": ACTOR,
            "ticket_label": ticket_label,
            "show_contact": show_contact,
            "tel": tel,
            "room_text": room_text,
            **context,
        },
        status_code=status_code,
        headers=NO_STORE,
    )


def show_contact(contact: str) -> str:
    """A stored phone (E.164, or 48XXXXXXXXX from before) as people read it: +48 600 100 200
    (kept on one line); an e-mail address as it is."""
    if "@" in contact or not contact:
        return contact
    return show_phone(contact).replace(" ", "\u00a0")


def room_text(room: str) -> str:
    """'pokój 3' for a room given as '3'; a room that names itself ('pokój 3, parter',
    'sala B') as it is, not 'pokój pokój 3, parter'."""
    if re.match(r"^\w*\d", room):  # begins with a number or code: 3, 12A, B2
        return gettext("room %(room)s") % {"room": room}
    return room


def tel(contact: str) -> str:
    """A tel: link's number (E.164), for numbers stored before E.164 too."""
    try:
        return normalise_phone(contact)
    except SmsError:
        return contact


def limiter(request: Request, name: str, limit: int, window_s: float) -> RateLimit:
    """A rate limit of the app's (made on first use, so app.py need not know it)."""
    return shared(request.app.state, f"staff_{name}", limit, window_s)


def points_for_staff(catalog: Catalog, location: str | None) -> list[PointInfo]:
    """Desks to choose from: those of the person's location, else all, by location and name."""
    points = [p for p in catalog.points.values() if p.active]
    if location and any(p.location == location for p in points):
        points = [p for p in points if p.location == location]
    return sorted(points, key=lambda p: (_location_name(catalog, p.location), p.name))


def _location_name(catalog: Catalog, location: str) -> str:
    loc = catalog.locations.get(location)
    return loc.name if loc else location


def parse_day(text: str | None) -> date | None:
    if not text:
        return today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
