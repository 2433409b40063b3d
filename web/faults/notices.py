"""The fault reports' e-mails: the reporter's confirmation (number and status link, only when a
reply was wanted), written in the reporter's language like every mail to them; reminders and
escalations to staff (Polish), sent only in working hours, a reminder once per hand-over and
an escalation once per report (claimed on the report row first). Every mail is recorded in
fault_mails (purged with the report); a failed send is logged without its content and never
undoes anything."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from web.faults import store
from web.faults import tables as t
from web.faults.domain import Closure, Role, Status
from web.faults.settings import FaultSettings
from web.faults.settings import of as settings_of
from web.faults.store import aware, utc
from web.helpdesk import tables as hd
from web.i18n import N_, translations
from web.notify.outbox import Notifier

log = logging.getLogger("okienko.web.faults")
REMINDER = "Przypomnienie"
ESCALATION = "Zgłoszenie po terminie"


def _base(app: Starlette) -> str:
    return (getattr(app.state, "public_url", None) or "http://127.0.0.1:8000").rstrip("/")


def _url(app: Starlette, path: str) -> str:
    return _base(app) + path


async def deliver(
    engine: AsyncEngine, notifier: Notifier, report_id: int, to: str, subject: str, text: str
) -> bool:
    """One mail, recorded in fault_mails when it went out; a failure is logged, never raised."""
    now = utc(datetime.now().astimezone())
    try:
        await notifier.send(to, subject, text)
    except Exception:
        log.exception("fault report mail could not be sent")
        return False
    async with engine.begin() as conn:
        await conn.execute(
            insert(t.mails).values(
                report_id=report_id, at=now, recipient=to[:200], subject=subject[:200]
            )
        )
    return True


async def _send(app: Starlette, report_id: int, to: str, subject: str, text: str) -> bool:
    return await deliver(app.state.engine, app.state.notifier, report_id, to, subject, text)


async def acknowledge(
    engine: AsyncEngine, notifier: Notifier, base_url: str, report_id: int, token: str
) -> bool:
    """The reporter's confirmation (§ 8 ust. 2: the number is given to the reporter): the
    number and the status link, when a reply was wanted and an e-mail address is known."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
    if row is None or not row.reply_wanted or not row.reporter_email:
        return False
    tr = translations(row.language)
    subject = tr.gettext("Report no. %(n)s has been received") % {"n": report_id}
    status_url = f"{base_url.rstrip('/')}/usterka/s/{token}"
    text = "\n\n".join(
        [
            tr.gettext("Thank you. The report has been registered under number %(n)s.")
            % {"n": report_id},
            tr.gettext("Status of the report: %(url)s") % {"url": status_url},
            tr.gettext(
                "On that page you can also withdraw your consent to the processing of your "
                "contact data."
            )
            + "\n"
            + tr.gettext(AUTOMATIC),
        ]
    )
    return await deliver(engine, notifier, report_id, row.reporter_email, subject, text)


async def filed(app: Starlette, report_id: int, token: str) -> None:
    await acknowledge(app.state.engine, app.state.notifier, _base(app), report_id, token)


async def _emails(conn: Any, role: Role, *, group_id: int | None, department_id: int | None):  # type: ignore[no-untyped-def]
    q = (
        select(hd.users.c.email)
        .join(t.members, t.members.c.user_id == hd.users.c.id)
        .where(t.members.c.role == str(role), hd.users.c.active.is_(True))
    )
    if group_id is not None:
        q = q.where(t.members.c.group_id == group_id)
    if department_id is not None:
        q = q.where(t.members.c.department_id == department_id)
    return list(await conn.scalars(q))


async def remind(app: Starlette, now: datetime, settings: FaultSettings | None = None) -> int:
    """Not taken up within a working day → the holding group; past the realisation deadline →
    the department's supervisors. Outside working hours nothing is sent (it waits). Each mail
    is claimed first by a conditional UPDATE (``reminded_at`` once per hand-over,
    ``escalated_at`` once per report), so several workers never send it twice."""
    settings = settings or settings_of(app)
    calendar, sla = settings.calendar, settings.sla
    if not calendar.is_working(now):
        return 0
    engine, r, sent = app.state.engine, t.reports.c, 0
    async with engine.connect() as conn:
        waiting = list(
            await conn.execute(
                select(t.reports).where(
                    r.status.in_([str(Status.COORDINATOR), str(Status.REALIZER)]),
                    r.taken.is_(False),
                    r.handed_at.is_not(None),
                    r.reminded_at.is_(None),
                )
            )
        )
        late = list(
            await conn.execute(
                select(t.reports).where(
                    r.finished.is_(False),
                    r.status != str(Status.SUSPENDED),
                    r.realise_due < utc(now),
                    r.department_id.is_not(None),
                    r.escalated_at.is_(None),
                )
            )
        )
    for row in waiting:
        if now <= calendar.add_days(aware(row.handed_at), sla.take_up_days):
            continue
        # The same hand-over, still waiting, not claimed by another worker.
        mark = r.reminded_at
        claim = [
            r.reminded_at.is_(None),
            r.handed_at == row.handed_at,
            r.status == row.status,
            r.taken.is_(False),
        ]
        if not await _claim(engine, row.id, mark, claim, now):
            continue
        coordinator = row.status == str(Status.COORDINATOR)
        async with engine.connect() as conn:
            to = await _emails(
                conn,
                Role.COORDINATOR if coordinator else Role.REALIZER,
                group_id=row.coordinator_group_id if coordinator else row.realizer_group_id,
                department_id=None,
            )
        text = (
            f"Zgłoszenie nr {row.id} nie zostało podjęte w ciągu dnia roboczego.\n\n"
            f"{_url(app, f'/usterki/r/{row.id}')}"
        )
        sent += await _send_claimed(
            app, row.id, to, f"{REMINDER}: zgłoszenie nr {row.id}", text, mark, now
        )
    for row in late:
        mark = r.escalated_at
        if not await _claim(engine, row.id, mark, [mark.is_(None), r.finished.is_(False)], now):
            continue
        async with engine.connect() as conn:
            to = await _emails(
                conn, Role.SUPERVISOR, group_id=None, department_id=row.department_id
            )
        text = (
            f"Zgłoszenie nr {row.id} przekroczyło termin realizacji.\n\n"
            f"{_url(app, f'/usterki/r/{row.id}')}"
        )
        sent += await _send_claimed(app, row.id, to, f"{ESCALATION}: nr {row.id}", text, mark, now)
    return sent


async def _claim(
    engine: Any, report_id: int, mark: Any, conditions: list[Any], now: datetime
) -> bool:
    async with engine.begin() as conn:
        done = await conn.execute(
            update(t.reports)
            .where(t.reports.c.id == report_id, *conditions)
            .values({mark.name: utc(now)})
        )
    return bool(done.rowcount == 1)


async def _send_claimed(
    app: Starlette,
    report_id: int,
    recipients: list[str],
    subject: str,
    text: str,
    mark: Any,
    now: datetime,
) -> int:
    """Sends to everyone; when nobody could be reached the claim is given back, so the next
    run tries again."""
    sent = 0
    for to in recipients:
        sent += await _send(app, report_id, to, subject, text)
    if recipients and not sent:
        async with app.state.engine.begin() as conn:
            await conn.execute(
                update(t.reports)
                .where(t.reports.c.id == report_id, mark == utc(now))
                .values({mark.name: None})
            )
    return sent


AUTOMATIC = N_("This message was sent automatically; do not reply to it.")
ELSEWHERE = {  # English msgids; the reporter's language in faults.po
    Closure.OUT_OF_SCOPE: N_(
        "Report no. %(n)s does not concern the tasks of the city's departments and units, "
        "so we have handed it to the competent body."
    ),
    Closure.OUTSIDE: N_(
        "We have handed report no. %(n)s to the competent department or unit of the city, "
        "which will handle it outside our application."
    ),
}


async def closed_elsewhere(app: Starlette, report_id: int) -> bool:
    """§ 14 ust. 2 (and § 15): the reporter who left an e-mail address learns where the
    report went; the notice is recorded as a reply (§ 17 ust. 2 pkt 8)."""
    async with app.state.engine.connect() as conn:
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
    if row is None or not row.reply_wanted or not row.reporter_email:
        return False
    template = ELSEWHERE.get(Closure(row.closure)) if row.closure else None
    if template is None:
        return False
    tr = translations(row.language)
    lines = [
        tr.gettext(template) % {"n": report_id},
        "",
        tr.gettext("Where and why: %(reason)s") % {"reason": row.close_reason},
    ]
    if row.rpw_id:
        lines.append(tr.gettext("Letter number (RPW): %(rpw)s") % {"rpw": row.rpw_id})
    lines += ["", tr.gettext(AUTOMATIC)]
    subject = tr.gettext("Report no. %(n)s has been handed to the competent body") % {
        "n": report_id
    }
    sent = await _send(app, report_id, row.reporter_email, subject, "\n".join(lines))
    if sent:
        await store.reply_sent(
            app.state.engine, report_id, "e-mail", subject, utc(datetime.now().astimezone())
        )
    return sent


async def part_elsewhere(app: Starlette, report_id: int, part: str, coordinator: str) -> int:
    """§ 19 ust. 4 pkt 2 by e-mail: every operator learns which part belongs elsewhere."""
    async with app.state.engine.connect() as conn:
        to = await _emails(conn, Role.OPERATOR, group_id=None, department_id=None)
    text = (
        f"{coordinator} informuje, że część zgłoszenia nr {report_id} należy do właściwości "
        f"innej komórki lub jednostki:\n\n{part}\n\n"
        f"Powiel zgłoszenie i przekaż tę część właściwemu adresatowi (§ 20 ust. 2).\n\n"
        f"{_url(app, f'/usterki/r/{report_id}')}"
    )
    sent = 0
    for address in to:
        sent += await _send(
            app, report_id, address, f"Część zgłoszenia nr {report_id} do powielenia", text
        )
    return sent
