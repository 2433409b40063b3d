"""The queries of a data-subject request: find everything the cloud holds about one contact
(an e-mail address or a phone number) in every part, export it, and erase it.

Every part is narrowed in SQL by a stem of the contact (``Contact.hint``) and then matched
exactly in Python (``web/privacy/contact.py``), so a number typed with spaces or a +48 is
found however it was stored. Erasing anonymises rather than deletes: a visit still counts in
the statistics and the register, a helpdesk request keeps its history; only the person goes.
Fault reports are the register § 27 of the procedure (seed 001) keeps: the request withdraws
the consent, so the reporter's data go now, and the report itself stays until its
``forget_on`` date, when the retention job deletes it (web/faults/retention.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from web.db.models import Reservation, ReservationEvent, SigninEvent, TicketAlert
from web.faults import store as fault_store
from web.faults import tables as ft
from web.helpdesk import tables as ht
from web.identity import accounts as identity
from web.privacy.contact import ERASED, Contact
from web.reservations.retention import ERASED_CONTACT, ERASED_NAME

R = cast(Table, Reservation.__table__)
RE = cast(Table, ReservationEvent.__table__)
TA = cast(Table, TicketAlert.__table__)
SA = cast(Table, SigninEvent.__table__)

RETENTION_NOTICE = {
    "pl": "Zgłoszenia usterek są rejestrem urzędu (Procedura § 27): dane osobowe zgłaszającego "
    "usuwamy na żądanie (cofnięcie zgody), a samo zgłoszenie, bez nich, przechowujemy do daty "
    "podanej w polu kept_until; potem zgłoszenie zakończone jest usuwane i zostaje tylko jego "
    "liczba w statystyce.",
    "en": "Fault reports are the office's register (Procedure § 27): the reporter's personal "
    "data are removed on request (withdrawal of consent), and the report itself, without them, "
    "is kept until the date in kept_until; then a finished report is deleted and only its count "
    "stays in the statistics.",
}


def _when(value: object) -> object:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _plain(row: Any, *names: str) -> dict[str, Any]:
    return {n: _when(getattr(row, n)) for n in names}


def _near(contact: Contact, *columns: Any) -> ColumnElement[bool]:
    """The SQL prefilter: any of the columns holds the contact's stem."""
    hint = contact.hint()
    return or_(*(func.lower(c).contains(hint, autoescape=True) for c in columns))


@dataclass
class Findings:
    """What the cloud holds about one contact, part by part (rows as JSON-ready dicts), and
    the ids erase works on."""

    contact: Contact
    reservations: list[dict[str, Any]] = field(default_factory=list)
    ticket_alerts: list[dict[str, Any]] = field(default_factory=list)
    helpdesk_accounts: list[dict[str, Any]] = field(default_factory=list)
    helpdesk_requests: list[dict[str, Any]] = field(default_factory=list)
    helpdesk_messages: list[dict[str, Any]] = field(default_factory=list)
    fault_reports: list[dict[str, Any]] = field(default_factory=list)
    signins: list[dict[str, Any]] = field(default_factory=list)
    reservation_notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.parts().values())

    def parts(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "reservations": self.reservations,
            "reservation_notes": self.reservation_notes,
            "ticket_alerts": self.ticket_alerts,
            "helpdesk_accounts": self.helpdesk_accounts,
            "helpdesk_requests": self.helpdesk_requests,
            "helpdesk_messages": self.helpdesk_messages,
            "fault_reports": self.fault_reports,
            "signins": self.signins,
        }

    def export(self, now: datetime) -> dict[str, Any]:
        """The answer to an access request (art. 15), as one JSON document."""
        return {
            "contact": self.contact.value,
            "generated_at": _when(now),
            **self.parts(),
            "retention_notice": RETENTION_NOTICE if self.fault_reports else {},
        }


async def _reservations(conn: AsyncConnection, c: Contact, out: Findings) -> None:
    rows = await conn.execute(select(R).where(_near(c, R.c.contact, R.c.contact_extra)))
    mine = [r for r in rows if c.same(r.contact) or c.same(r.contact_extra)]
    for r in sorted(mine, key=lambda r: _when(r.start)):  # type: ignore[arg-type, return-value]
        history = await conn.execute(
            select(RE).where(RE.c.reservation_id == r.id).order_by(RE.c.at, RE.c.id)
        )
        out.reservations.append(
            {
                **_plain(r, "id", "start", "status", "kind", "location", "service"),
                **_plain(r, "service_point", "number", "access_code", "name", "contact"),
                **_plain(r, "contact_extra", "language", "created_at"),
                "history": [_plain(e, "id", "at", "actor", "action", "detail") for e in history],
            }
        )
    ids = {r["id"] for r in out.reservations}
    notes = await conn.execute(select(RE).where(_near(c, RE.c.detail)).order_by(RE.c.at))
    for e in notes:
        if e.reservation_id not in ids and c.within(e.detail):
            out.reservation_notes.append(
                _plain(e, "id", "reservation_id", "at", "actor", "action", "detail")
            )


async def _alerts(conn: AsyncConnection, c: Contact, out: Findings) -> None:
    rows = await conn.execute(select(TA).where(_near(c, TA.c.contact)).order_by(TA.c.created_at))
    out.ticket_alerts = [
        _plain(a, "id", "created_at", "contact", "ahead", "sent_ahead_at", "sent_called_at")
        for a in rows
        if c.same(a.contact)
    ]


async def _helpdesk(conn: AsyncConnection, c: Contact, out: Findings) -> None:
    u = ht.users.c
    users = [
        row
        for row in await conn.execute(select(ht.users).where(_near(c, u.email, u.phone)))
        if c.same(row.email) or c.same(row.phone)
    ]
    out.helpdesk_accounts = [
        _plain(row, "id", "email", "name", "phone", "role", "unit_id", "created_at")
        for row in users
    ]
    people = [row.id for row in users]
    q = ht.requests.c
    reqs = await conn.execute(
        select(ht.requests)
        .where(q.filed_by.in_(people) | _near(c, q.text, q.fields, q.rating_text))
        .order_by(q.id)
    )
    out.helpdesk_requests = [
        _plain(r, "id", "created_at", "status", "filed_by", "text", "fields", "rating_text")
        for r in reqs
        if r.filed_by in people or any(c.within(x) for x in (r.text, r.fields, r.rating_text))
    ]
    m = ht.messages.c
    msgs = await conn.execute(
        select(ht.messages).where(m.author_id.in_(people) | _near(c, m.body)).order_by(m.id)
    )
    out.helpdesk_messages = [
        _plain(x, "id", "request_id", "author_id", "created_at", "body")
        for x in msgs
        if x.author_id in people or c.within(x.body)
    ]


async def _faults(conn: AsyncConnection, c: Contact, out: Findings) -> None:
    f = ft.reports.c
    texts = (f.title, f.description, f.address, f.source_message)
    rows = await conn.execute(
        select(ft.reports)
        .where(_near(c, f.reporter_email, f.reporter_phone, *texts))
        .order_by(f.id)
    )
    for r in rows:
        reporter = c.same(r.reporter_email) or c.same(r.reporter_phone)
        if not (reporter or any(c.within(getattr(r, col.name)) for col in texts)):
            continue
        # Someone else's report that names the person: its text, never its reporter's data.
        theirs = ("reporter_name", "reporter_email", "reporter_phone", "consent_at")
        out.fault_reports.append(
            {
                **_plain(r, "id", "received_at", "status", "title", "description", "address"),
                **(_plain(r, *theirs) if reporter else dict.fromkeys(theirs)),
                "source_message": r.source_message if reporter else "",
                "you_reported": reporter,  # else the report names the contact in its text
                "kept_until": _when(r.forget_on),
            }
        )


async def _signins(conn: AsyncConnection, c: Contact, out: Findings) -> None:
    if c.is_phone:
        return  # the sign-in audit holds e-mail addresses only
    rows = await conn.execute(
        select(SA).where(func.lower(SA.c.email) == c.value).order_by(SA.c.at, SA.c.id)
    )
    out.signins = [_plain(s, "at", "realm", "email", "outcome", "source") for s in rows]


async def find(engine: AsyncEngine, contact: Contact) -> Findings:
    out = Findings(contact)
    async with engine.connect() as conn:
        for part in (_reservations, _alerts, _helpdesk, _faults, _signins):
            await part(conn, contact, out)
    return out


def _blot(c: Contact, text: str | None, *names: str) -> str | None:
    """The text without the contact, and without the person's name(s) where known."""
    if text is None:
        return None
    text = c.redact(text)
    for name in names:
        if name and len(name) > 2:
            text = re.sub(re.escape(name), ERASED, text, flags=re.IGNORECASE)
    return text


async def erase(engine: AsyncEngine, contact: Contact, now: datetime) -> Findings:
    """Anonymise everything ``find`` finds, in one transaction; what was erased."""
    found = await find(engine, contact)
    c = contact
    # The person's names and other contacts, as found beside this one: blotted out too
    # wherever a text is rewritten (a note naming the visitor, an e-mail next to the number).
    known = sorted(
        {r[k] for r in found.reservations for k in ("name", "contact", "contact_extra")}
        | {a[k] for a in found.helpdesk_accounts for k in ("name", "email", "phone")}
        | {
            f[k] or ""
            for f in found.fault_reports
            if f["you_reported"]
            for k in ("reporter_name", "reporter_email", "reporter_phone")
        },
        key=len,
        reverse=True,  # "Jan Kowalski" before "Jan"
    )
    async with engine.begin() as conn:
        for r in found.reservations:
            await conn.execute(
                update(R)
                .where(R.c.id == r["id"])
                .values(name=ERASED_NAME, contact=ERASED_CONTACT, contact_extra="")
            )
            for e in r["history"]:
                detail = _blot(c, e["detail"], *known)
                if detail != e["detail"]:
                    await conn.execute(update(RE).where(RE.c.id == e["id"]).values(detail=detail))
        for e in found.reservation_notes:
            await conn.execute(
                update(RE).where(RE.c.id == e["id"]).values(detail=_blot(c, e["detail"], *known))
            )
        if found.ticket_alerts:
            gone = [a["id"] for a in found.ticket_alerts]
            await conn.execute(delete(TA).where(TA.c.id.in_(gone)))
        for a in found.helpdesk_accounts:
            # The account of a unit's employee: it stops working and names nobody; the
            # requests it filed keep their history.
            account_id = await identity.account_of(conn, ht.users, a["id"])
            await conn.execute(
                update(ht.users).where(ht.users.c.id == a["id"]).values(active=False)
            )
            if account_id is not None:
                await identity.set_person(
                    conn, account_id, email=f"usunieto-{a['id']}@invalid", name=ERASED, phone="",
                    password_hash=None, active=False, directory_name=None,
                )  # fmt: skip
                await identity.sign_out_everywhere(conn, account_id)
        for q in found.helpdesk_requests:
            await conn.execute(
                update(ht.requests)
                .where(ht.requests.c.id == q["id"])
                .values(
                    text=_blot(c, q["text"], *known),
                    fields=_blot(c, q["fields"], *known),
                    rating_text=_blot(c, q["rating_text"], *known),
                )
            )
        for m in found.helpdesk_messages:
            await conn.execute(
                update(ht.messages)
                .where(ht.messages.c.id == m["id"])
                .values(body=_blot(c, m["body"], *known))
            )
        ids = [f["id"] for f in found.fault_reports]
        if ids:
            # Consent withdrawn (§ 27 ust. 1) on the reports the person made.
            theirs = [f["id"] for f in found.fault_reports if f["you_reported"]]
            await fault_store.forget_people(conn, theirs, now)
            for f in found.fault_reports:
                await conn.execute(
                    update(ft.reports)
                    .where(ft.reports.c.id == f["id"])
                    .values(
                        title=_blot(c, f["title"], *known),
                        description=_blot(c, f["description"], *known),
                        address=_blot(c, f["address"], *known),
                    )
                )
            notes = await conn.execute(
                select(ft.events.c.id, ft.events.c.note).where(ft.events.c.report_id.in_(ids))
            )
            for event_id, note in list(notes):
                if c.within(note):
                    await conn.execute(
                        update(ft.events)
                        .where(ft.events.c.id == event_id)
                        .values(note=_blot(c, note, *known))
                    )
        if found.signins:
            await conn.execute(
                update(SA).where(func.lower(SA.c.email) == c.value).values(email=ERASED, source="")
            )
    return found


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
