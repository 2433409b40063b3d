"""The request list: one indexed query for any mix of filters, newest change first.

Active requests by default; "show inactive too" replaces that with a period of last changes,
and a chosen status or a number with just that status or number. A page is fetched one row
longer than shown, so "next page" needs no count over a million rows. What is bold (changed
since I last looked) and the message mark (one since then) comes from my read marks, joined to the
page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select

from web.helpdesk import tables as t
from web.helpdesk.domain import NOT_ACCEPTED_RED, Actor, Status

PAGE = 50
PERIODS = (30, 90, 365, 3650)  # days of "show inactive too"
TZ = ZoneInfo("Europe/Warsaw")
FLAGS = ("due", "overdue", "message", "files", "recurring", "scheduled", "late")


@dataclass
class ListFilter:
    statuses: list[str] = field(default_factory=list)
    number: int | None = None
    unit_id: int | None = None
    service_id: int | None = None
    text: str = ""
    created_from: date | None = None
    created_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    flags: list[str] = field(default_factory=list)
    inactive_days: int | None = None  # None: active only
    page: int = 0


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), TZ)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def query(actor: Actor, f: ListFilter, now: datetime, limit: int = PAGE) -> Select[Any]:
    r = t.requests
    read = t.reads.alias("my_read")
    q = (
        select(
            r.c.id,
            r.c.status,
            r.c.unit_id,
            r.c.text,
            r.c.created_at,
            r.c.published_at,
            r.c.publish_at,
            r.c.due_on,
            r.c.last_change_at,
            r.c.last_message_at,
            r.c.message_count,
            r.c.attachment_count,
            r.c.recurring,
            t.units.c.name.label("unit_name"),
            t.services.c.name.label("service_name"),
            read.c.seen_at,
        )
        .join(t.units, t.units.c.id == r.c.unit_id)
        .join(t.services, t.services.c.id == r.c.service_id)
        .outerjoin(read, and_(read.c.request_id == r.c.id, read.c.user_id == actor.id))
    )
    if not actor.is_staff:
        q = q.where(r.c.unit_id == actor.unit_id)
    # What the person asked for wins over the active-only default: a number names one request,
    # and a chosen status ("only the rated ones") finds closed requests without the extra tick.
    if f.number is not None:
        q = q.where(r.c.id == f.number)
    elif f.inactive_days is not None:
        q = q.where(r.c.last_change_at >= now - timedelta(days=f.inactive_days))
    elif not f.statuses:
        q = q.where(r.c.active.is_(True))
    if f.statuses:
        q = q.where(r.c.status.in_(f.statuses))
    if f.unit_id is not None:
        q = q.where(r.c.unit_id == f.unit_id)
    if f.service_id is not None:
        q = q.where(r.c.service_id == f.service_id)
    if f.text.strip():
        q = q.where(func.lower(r.c.text).like(_like(f.text.strip()[:100]), escape="\\"))
    if f.created_from:
        q = q.where(r.c.created_at >= _day_start(f.created_from))
    if f.created_to:
        q = q.where(r.c.created_at < _day_start(f.created_to + timedelta(days=1)))
    if f.due_from:
        q = q.where(r.c.due_on >= f.due_from)
    if f.due_to:
        q = q.where(r.c.due_on <= f.due_to)
    today = now.astimezone(TZ).date()
    for flag in f.flags:
        if flag == "due":
            q = q.where(r.c.due_on.is_not(None))
        elif flag == "overdue":
            q = q.where(
                r.c.due_on < today,
                r.c.status.in_([str(Status.NEW), str(Status.IN_PROGRESS)]),
            )
        elif flag == "message":
            q = q.where(
                r.c.last_message_at.is_not(None),
                or_(read.c.seen_at.is_(None), read.c.seen_at < r.c.last_message_at),
            )
        elif flag == "files":
            q = q.where(r.c.attachment_count > 0)
        elif flag == "recurring":
            q = q.where(r.c.recurring.is_(True))
        elif flag == "scheduled":
            q = q.where(r.c.status == str(Status.SCHEDULED))
        elif flag == "late":
            q = q.where(r.c.status == str(Status.NEW), r.c.published_at < now - NOT_ACCEPTED_RED)
    return (
        q.order_by(r.c.last_change_at.desc(), r.c.id.desc()).limit(limit + 1).offset(f.page * limit)
    )
