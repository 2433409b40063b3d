"""The fault reports' e-mails: the reporter's confirmation (number and status link, only when a
reply was wanted), and reminders and escalations — sent only in working hours, once per hand-over
(the mail records are the marker). Every mail is recorded in fault_mails (purged with the report);
a failed send is logged without its content and never undoes anything."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select
from starlette.applications import Starlette

from web.faults import tables as t
from web.faults.domain import Role, Status
from web.faults.store import aware, utc
from web.faults.workdays import Sla, WorkCalendar, lodz_calendar
from web.helpdesk import tables as hd

log = logging.getLogger("okienko.web.faults")
REMINDER = "Przypomnienie"
ESCALATION = "Zgłoszenie po terminie"


def _url(app: Starlette, path: str) -> str:
    base = (getattr(app.state, "public_url", None) or "http://127.0.0.1:8000").rstrip("/")
    return base + path


async def _send(app: Starlette, report_id: int, to: str, subject: str, text: str) -> None:
    now = utc(datetime.now().astimezone())
    try:
        await app.state.notifier.send(to, subject, text)
    except Exception:
        log.exception("fault report mail could not be sent")
        return
    async with app.state.engine.begin() as conn:
        await conn.execute(
            insert(t.mails).values(
                report_id=report_id, at=now, recipient=to[:200], subject=subject[:200]
            )
        )


async def filed(app: Starlette, report_id: int, token: str) -> None:
    async with app.state.engine.connect() as conn:
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
    if row is None or not row.reply_wanted or not row.reporter_email:
        return
    subject = f"Zgłoszenie nr {report_id} zostało przyjęte"
    text = (
        f"Dziękujemy. Zgłoszenie zarejestrowano pod numerem {report_id}.\n\n"
        f"Stan zgłoszenia: {_url(app, f'/usterka/s/{token}')}\n\n"
        "Na tej stronie możesz też cofnąć zgodę na przetwarzanie danych kontaktowych.\n"
        "Wiadomość wysłano automatycznie; nie odpowiadaj na nią."
    )
    await _send(app, report_id, row.reporter_email, subject, text)


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


async def remind(
    app: Starlette,
    now: datetime,
    calendar: WorkCalendar | None = None,
    sla: Sla = Sla(),  # noqa: B008
) -> int:
    """Not taken up within a working day → the holding group; past the realisation deadline →
    the department's supervisors. Outside working hours nothing is sent (it waits)."""
    calendar = calendar or lodz_calendar()
    if not calendar.is_working(now):
        return 0
    r, sent = t.reports.c, 0
    async with app.state.engine.connect() as conn:
        waiting = list(
            await conn.execute(
                select(t.reports).where(
                    r.status.in_([str(Status.COORDINATOR), str(Status.REALIZER)]),
                    r.taken.is_(False),
                    r.handed_at.is_not(None),
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
                )
            )
        )
        jobs: list[tuple[int, list[str], str, str]] = []
        for row in waiting:
            if now <= calendar.add_days(aware(row.handed_at), sla.take_up_days):
                continue
            if await _already(conn, row.id, REMINDER, aware(row.handed_at)):
                continue
            coordinator = row.status == str(Status.COORDINATOR)
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
            jobs.append((row.id, to, f"{REMINDER}: zgłoszenie nr {row.id}", text))
        for row in late:
            if await _already(conn, row.id, ESCALATION, aware(row.received_at)):
                continue
            to = await _emails(
                conn, Role.SUPERVISOR, group_id=None, department_id=row.department_id
            )
            text = (
                f"Zgłoszenie nr {row.id} przekroczyło termin realizacji.\n\n"
                f"{_url(app, f'/usterki/r/{row.id}')}"
            )
            jobs.append((row.id, to, f"{ESCALATION}: nr {row.id}", text))
    for report_id, recipients, subject, text in jobs:
        for to in recipients:
            await _send(app, report_id, to, subject, text)
            sent += 1
    return sent


async def _already(conn: Any, report_id: int, prefix: str, since: datetime) -> bool:
    found = await conn.scalar(
        select(t.mails.c.id).where(
            and_(
                t.mails.c.report_id == report_id,
                t.mails.c.subject.like(f"{prefix}%"),
                t.mails.c.at >= utc(since),
            )
        )
    )
    return found is not None
