"""Reception (seed 003's "Recepcja"): who may come in. The access code, typed or scanned,
gives the time, the place (location, desk, room), the service, the status and the number.

The page first says what to do: let in, "do not let in" or "not today", with the reason and
the way on (mostly: a ticket from the dispenser), so a cancelled, unconfirmed or other-day
visit never looks like a valid one.

Looked up by GET so a scanner that "types" the code and Enter works, and the page can be
reloaded; limited per staff account, because a code is the key to a visit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from web.auth.session import current_staff, requires
from web.catalog import get_catalog
from web.db.models import Reservation
from web.i18n import language_of
from web.privacy import access
from web.privacy.access import Action
from web.reservations import store
from web.reservations.booking import CHECKIN_EARLY_MIN, CHECKIN_LATE_MIN, TZ, Status
from web.reservations.flow import visit_facts
from web.staff.common import limiter, now, page
from web.staff.filters import normalise_code
from web.staff.scope import scope_of
from web.staff.texts import N_

LOOKUPS_PER_10_MIN = 120

GO, STOP, NOT_TODAY = "go", "stop", "not-today"
TO_DISPENSER = N_("Direct the visitor to the ticket dispenser for an ordinary ticket.")


@dataclass(frozen=True)
class Verdict:
    """What reception does with this code now; texts are message ids, ``values`` fill them."""

    kind: str  # GO, STOP or NOT_TODAY
    title: str
    reason: str
    advice: str
    values: dict[str, str] = field(default_factory=dict)


def _day(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%-d.%m")


def _time(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%H:%M")


def verdict(r: Reservation, at: datetime, changed_at: datetime | None = None) -> Verdict:
    """Pure: the reservation, the time now and when its status last changed (cancelled, …)."""
    status = Status(r.status)
    values = {
        "day": _day(r.start),
        "time": _time(r.start),
        "changed": _day(changed_at) if changed_at else "",
        "from": _time(r.start - timedelta(minutes=CHECKIN_EARLY_MIN)),
        "until": _time(r.start + timedelta(minutes=CHECKIN_LATE_MIN)),
    }
    stop = N_("Do not let in")
    if status is Status.CANCELLED:
        reason = N_("Visit cancelled on %(changed)s.") if changed_at else N_("Visit cancelled.")
        return Verdict(STOP, stop, reason, TO_DISPENSER, values)
    if status in (Status.PENDING, Status.EXPIRED):
        reason = N_("The booking was never confirmed with its code, so there is no visit.")
        return Verdict(STOP, stop, reason, TO_DISPENSER, values)
    if status is Status.NO_SHOW:
        reason = N_("The visit on %(day)s at %(time)s was marked as not kept.")
        return Verdict(STOP, stop, reason, TO_DISPENSER, values)
    if status is Status.CHECKED_IN:
        return Verdict(
            GO,
            N_("May come in"),
            N_("Already checked in: the visitor has a ticket for this visit."),
            N_("Let them wait for their number in the hall."),
            values,
        )
    today = at.astimezone(TZ).date()
    day = r.start.astimezone(TZ).date()
    if day > today:
        return Verdict(
            NOT_TODAY,
            N_("Not today"),
            N_("The visit is on %(day)s at %(time)s."),
            N_(
                "Ask the visitor to come on that day, or direct them to the ticket dispenser "
                "for an ordinary ticket today."
            ),
            values,
        )
    if day < today:
        return Verdict(
            STOP, stop, N_("The visit was on %(day)s at %(time)s."), TO_DISPENSER, values
        )
    if at > r.start + timedelta(minutes=CHECKIN_LATE_MIN):
        return Verdict(
            STOP,
            stop,
            N_("Too late: check-in for the visit at %(time)s closed at %(until)s."),
            TO_DISPENSER,
            values,
        )
    return Verdict(
        GO,
        N_("May come in"),
        N_("A confirmed visit today at %(time)s."),
        N_("The visitor checks in at the dispenser with this code from %(from)s to %(until)s."),
        values,
    )


async def _changed_at(engine: AsyncEngine, r: Reservation) -> datetime | None:
    """When the reservation got its present status (the last such entry of its history)."""
    entries = [e for e in await store.history(engine, r.id) if e.action == str(r.status)]
    if not entries:
        return None
    at: datetime = entries[-1].at
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite keeps no offset


@requires("reception")
async def reception(request: Request) -> Response:
    user = await current_staff(request)
    assert user is not None
    typed = request.query_params.get("code", "")[:40]
    code = normalise_code(typed)
    context: dict[str, object] = {"typed": typed, "code": code}
    status_code = 200
    if code:
        if not await limiter(request, "reception", LOOKUPS_PER_10_MIN, 600).allow(
            f"staff:{user.id}"
        ):
            context["problem"] = N_("Too many look-ups. Wait a few minutes and try again.")
            status_code = 429
        elif (r := await store.get(request.app.state.engine, code=code)) is None or not (
            await scope_of(request)
        ).allows(r.location):
            context["problem"] = N_(
                "No reservation has this access code. Check the code with the visitor."
            )
            status_code = 404
        else:
            await access.opened(request, user.email, f"reservation {r.id}", Action.LOOKED_UP)
            catalog = await get_catalog(request.app)
            context["r"] = r
            context["facts"] = visit_facts(catalog, r, language_of(request))
            engine = request.app.state.engine
            context["verdict"] = verdict(r, now(), await _changed_at(engine, r))
    return page(request, "staff/reception.html", context, status_code=status_code)
