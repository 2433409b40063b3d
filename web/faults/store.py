"""Citizen fault reports in the database: filing (any channel, outage entries with their real
times), the workflow steps through the pure domain, notes, replies, duplication, deletion and
the scope-checked reads. Every read goes through ``load`` or ``scope_clause``: a report out of
the person's scope is "not found", by list, link or number."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, insert, or_, select, true, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from web.faults import tables as t
from web.faults.domain import (
    FINISHED,
    Action,
    Actor,
    Channel,
    FaultError,
    Missing,
    NotAllowed,
    Part,
    Place,
    Role,
    Status,
    Step,
    can_delete,
    can_edit,
    can_see,
    decide,
)
from web.faults.settings import DEFAULT, FaultSettings

MAX_FILE = 5 * 1024 * 1024
MAX_FILES = 5
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
KEEP_MONTHS = 6  # § 27: six months, not counting the month of registration
WARSAW = ZoneInfo("Europe/Warsaw")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def utc(moment: datetime) -> datetime:
    """SQLite keeps the wall-clock digits only: everything is written in UTC."""
    return aware(moment).astimezone(UTC)


def forget_on(received: datetime) -> date:
    """The first day personal data may no longer be kept: registered in March (Warsaw time),
    kept April to September, gone from 1 October."""
    received = aware(received).astimezone(WARSAW)
    index = received.month - 1 + KEEP_MONTHS + 1
    return date(received.year + index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class File:
    filename: str
    mime: str
    content: bytes


def check_photo(f: File) -> None:
    if f.mime not in PHOTO_TYPES or not _looks_like_image(f.content):
        raise Missing("Photos must be JPEG, PNG, WebP or GIF images.")
    if len(f.content) > MAX_FILE:
        raise Missing("A photo may have at most 5 MB.")


def _looks_like_image(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


@dataclass
class Draft:
    """A new report as any channel brings it."""

    subcategory_id: int
    description: str
    channel: Channel
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    title: str = ""
    reply_wanted: bool = False
    name: str = ""
    email: str = ""
    phone: str = ""
    received_at: datetime | None = None  # outage entries: the real time; else now
    created_by: int | None = None
    rpw_id: str = ""
    precinct: str = ""
    parcel: str = ""
    source_message: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    files: list[File] = field(default_factory=list)
    device_key: str | None = None
    language: str = "pl"  # the reporter's, for the e-mails to them


async def subcategory(conn: AsyncConnection, subcategory_id: int) -> Row[Any] | None:
    return (
        await conn.execute(
            select(t.subcategories).where(
                t.subcategories.c.id == subcategory_id, t.subcategories.c.active.is_(True)
            )
        )
    ).first()


def check_attributes(spec: str, given: dict[str, str]) -> dict[str, str]:
    """The subcategory's own fields (Open311 attributes): required ones present, numbers
    numeric; unknown keys dropped."""
    found = {}
    for attr in json.loads(spec or "[]"):
        value = str(given.get(attr["code"], "")).strip()[:200]
        if not value:
            if attr.get("required"):
                raise Missing("Fill in every required field of the subcategory.")
            continue
        if attr.get("datatype") == "number":
            try:
                float(value.replace(",", "."))
            except ValueError as exc:
                raise Missing("A field of the subcategory needs a number.") from exc
        found[attr["code"]] = value
    return found


async def file_report(
    engine: AsyncEngine, draft: Draft, now: datetime, settings: FaultSettings | None = None
) -> tuple[int, str]:
    """The new report's number and the token of its status link (only its digest is kept).
    ``settings``: the app's calendar and limits (``web.faults.settings.of(app)``)."""
    settings = settings or DEFAULT
    now = utc(now)
    received = utc(draft.received_at or now)
    if received > now:
        raise Missing("The time of receipt cannot be in the future.")
    if not draft.description.strip():
        raise Missing("Describe the problem.")
    if draft.lat is not None and not (-90 <= draft.lat <= 90):
        raise Missing("The latitude must be between -90 and 90.")
    if draft.lon is not None and not (-180 <= draft.lon <= 180):
        raise Missing("The longitude must be between -180 and 180.")
    # A resident's form or app must say where; a mail or a call may be placed by the operator.
    needs_place = draft.channel in (Channel.WEB, Channel.OPEN311)
    if needs_place and not draft.address.strip() and (draft.lat is None or draft.lon is None):
        raise Missing("Give the address or pick the place on the map.")
    email = draft.email.strip().lower()[:200]
    phone = draft.phone.strip()[:40]
    if draft.reply_wanted and not (email or phone):
        raise Missing("To get a reply, give an e-mail address or a phone number.")
    if len(draft.files) > MAX_FILES:
        raise Missing("At most five photos.")
    token = secrets.token_urlsafe(24)
    async with engine.begin() as conn:
        sub = await subcategory(conn, draft.subcategory_id)
        if sub is None:
            raise Missing("Choose the category and the subcategory.")
        attributes = check_attributes(sub.attributes, draft.attributes)
        personal = draft.reply_wanted  # § 26: personal data only when a reply is wanted
        values = dict(
            token_digest=digest(token),
            status=str(Status.NEW),
            finished=False,
            channel=str(draft.channel),
            category_id=sub.category_id,
            subcategory_id=sub.id,
            # The subject the operator or the mail gave (§ 8 ust. 1 pkt 1); pages show the
            # subcategory when there is none, so a later reclassification shows too.
            title=draft.title.strip()[:200],
            description=draft.description.strip()[:5000],
            scope="",
            address=draft.address.strip()[:300],
            lat=draft.lat,
            lon=draft.lon,
            precinct=draft.precinct.strip()[:60],
            parcel=draft.parcel.strip()[:60],
            rpw_id=draft.rpw_id.strip()[:60] or None,
            attributes=json.dumps(attributes, ensure_ascii=False),
            source_message=draft.source_message[:20000],
            reply_wanted=draft.reply_wanted,
            reporter_name=draft.name.strip()[:120] or None if personal else None,
            reporter_email=email or None if personal else None,
            reporter_phone=phone or None if personal else None,
            consent_at=now if personal else None,
            received_at=received,
            created_at=now,
            created_by=draft.created_by,
            taken=False,
            realise_hours=settings.sla.hours.get(sub.code),
            realise_due=utc(
                settings.sla.realise_due(
                    settings.calendar, received, settings.sla.hours.get(sub.code)
                )
            ),
            device_key=draft.device_key,
            language=draft.language,
            forget_on=forget_on(received),
            last_change_at=now,
        )
        report_id = int(
            (await conn.execute(insert(t.reports).values(**values))).inserted_primary_key[0]  # type: ignore[index]
        )
        await _event(conn, report_id, received, now, draft.created_by, "filed", Status.NEW, "")
        for f in draft.files:
            await conn.execute(
                insert(t.attachments).values(
                    report_id=report_id,
                    filename=f.filename[:200],
                    mime=f.mime[:100],
                    size=len(f.content),
                    content=f.content,
                    uploaded_by=draft.created_by,
                    created_at=now,
                )
            )
    return report_id, token


async def _event(
    conn: AsyncConnection,
    report_id: int,
    at: datetime,
    now: datetime,
    actor_id: int | None,
    kind: str,
    status: Status | None,
    note: str,
    group_id: int | None = None,
) -> None:
    await conn.execute(
        insert(t.events).values(
            report_id=report_id,
            at=at,
            recorded_at=now,
            actor_id=actor_id,
            kind=kind,
            status=str(status) if status else None,
            group_id=group_id,
            note=note[:5000],
        )
    )


# -- who ---------------------------------------------------------------------------------------


async def actor_of(conn: AsyncConnection, user_id: int, helpdesk_role: str) -> Actor | None:
    """A helpdesk administrator is the reports' administrator; anyone else needs a role in
    fault_members (a coordinator's or realizer's department is their group's)."""
    row = (await conn.execute(select(t.members).where(t.members.c.user_id == user_id))).first()
    if row is None:
        return Actor(user_id, Role.ADMIN) if helpdesk_role == "admin" else None
    department = row.department_id
    if row.group_id is not None:
        department = await conn.scalar(
            select(t.groups.c.department_id).where(t.groups.c.id == row.group_id)
        )
    return Actor(user_id, Role(row.role), department, row.group_id)


async def set_member(
    engine: AsyncEngine,
    user_id: int,
    role: Role,
    *,
    department_id: int | None = None,
    group_id: int | None = None,
) -> None:
    kind = {Role.COORDINATOR: "coordinator", Role.REALIZER: "realizer"}.get(role)
    async with engine.begin() as conn:
        if kind is not None:
            g = (await conn.execute(select(t.groups).where(t.groups.c.id == group_id))).first()
            if g is None or g.kind != kind:
                raise Missing("Choose a group of the right kind.")
            department_id = g.department_id
        elif role == Role.SUPERVISOR and department_id is None:
            raise Missing("Choose the department.")
        elif role != Role.SUPERVISOR:
            department_id = group_id = None
        await conn.execute(delete(t.members).where(t.members.c.user_id == user_id))
        await conn.execute(
            insert(t.members).values(
                user_id=user_id, role=str(role), department_id=department_id, group_id=group_id
            )
        )


def scope_clause(actor: Actor) -> ColumnElement[bool]:
    r = t.reports.c
    if actor.sees_all:
        return true()
    if actor.role == Role.SUPERVISOR and actor.department_id is not None:
        return r.department_id == actor.department_id
    if actor.role == Role.COORDINATOR and actor.group_id is not None:
        return r.coordinator_group_id == actor.group_id
    if actor.role == Role.REALIZER and actor.group_id is not None:
        return r.realizer_group_id == actor.group_id
    return r.id < 0  # nothing


def place_of(row: Any, past: frozenset[int] = frozenset()) -> Place:
    return Place(
        Status(row.status),
        row.department_id,
        row.coordinator_group_id,
        row.realizer_group_id,
        bool(row.taken),
        past,
    )


async def load(engine: AsyncEngine, actor: Actor, report_id: int) -> Row[Any] | None:
    """The report, or None when it does not exist or is out of the person's scope (a
    coordinator group that handed it on still sees it)."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
        past = await past_groups(conn, report_id) if row is not None else frozenset()
    if row is None or not can_see(actor, place_of(row, past)):
        return None
    return row


def handed_clause(actor: Actor) -> ColumnElement[bool]:
    """The reports the person's coordinator group handed on and holds no more ("przekazane")."""
    r = t.reports.c
    if actor.role != Role.COORDINATOR or actor.group_id is None:
        return r.id < 0
    mine = select(t.past_holders.c.report_id).where(t.past_holders.c.group_id == actor.group_id)
    return and_(
        r.id.in_(mine),
        or_(r.coordinator_group_id.is_(None), r.coordinator_group_id != actor.group_id),
    )


async def by_token(engine: AsyncEngine, token: str) -> Row[Any] | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(select(t.reports).where(t.reports.c.token_digest == digest(token)))
        ).first()


async def group_departments(conn: AsyncConnection, kind: str) -> dict[int, int]:
    rows = await conn.execute(
        select(t.groups.c.id, t.groups.c.department_id).where(
            t.groups.c.kind == kind, t.groups.c.active.is_(True)
        )
    )
    return {r.id: r.department_id for r in rows}


# -- steps -------------------------------------------------------------------------------------


async def act(
    engine: AsyncEngine,
    actor: Actor,
    report_id: int,
    step: Step,
    now: datetime,
    *,
    at: datetime | None = None,
    settings: FaultSettings | None = None,
) -> Status:
    """One workflow step; ``at`` is its real time when entered after an outage (§ 31)."""
    settings = settings or DEFAULT
    now = utc(now)
    when = utc(at or now)
    if when > now:
        raise Missing("The time of the step cannot be in the future.")
    async with engine.begin() as conn:
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
        if row is None or not can_see(actor, place_of(row)):
            raise NotAllowed()
        kind = "realizer" if step.action.value == "assign" else "coordinator"
        move = decide(
            actor,
            place_of(row),
            step,
            group_department=await group_departments(conn, kind),
            handed_at=aware(row.handed_at) if row.handed_at else None,
            now=when,
            calendar=settings.calendar,
            sla=settings.sla,
            received_at=aware(row.received_at),
            delay_reason=row.delay_reason,
            planned_on=row.planned_on,
            realise_hours=row.realise_hours,
            paused=timedelta(seconds=row.paused_s or 0),
        )
        p = move.place
        values: dict[str, Any] = {
            "status": str(p.status),
            "department_id": p.department_id,
            "coordinator_group_id": p.coordinator_group_id,
            "realizer_group_id": p.realizer_group_id,
            "taken": p.taken,
            "last_change_at": now,
            **move.extra,
        }
        if "closure" in values:
            values["close_reason"] = move.note
            if values.get("rpw_id") is None:
                values.pop("rpw_id")
        if move.handed:
            # A new holder: a new take-up clock, so a new reminder may go out.
            values.update(
                handed_at=when, taken=False, handler_id=None, taken_at=None, reminded_at=None
            )
        if move.taken:
            values.update(handler_id=actor.id, taken_at=when)
        if move.finished:
            values.update(finished=True, finished_at=when)
        values.update(_pause(settings, row, p.status, when))
        done = await conn.execute(
            update(t.reports)
            .where(t.reports.c.id == report_id, t.reports.c.status == row.status)
            .values(**values)
        )
        if done.rowcount != 1:
            raise FaultError("Someone else changed the report; look again.")
        if step.action in _HANDING_ON and row.coordinator_group_id is not None:
            await _remember_holder(conn, report_id, row.coordinator_group_id, when)
        await _event(
            conn,
            report_id,
            when,
            now,
            actor.id,
            step.action.value,
            p.status,
            move.note,
            step.group_id,
        )
    return p.status


# A coordinator group that forwards a report to another group or returns it to the operator
# keeps read-only sight of it (it may be asked about it later).
_HANDING_ON = frozenset({Action.FORWARD_COORDINATOR, Action.RETURN_TO_OPERATOR})


async def _remember_holder(
    conn: AsyncConnection, report_id: int, group_id: int, when: datetime
) -> None:
    p = t.past_holders.c
    known = await conn.scalar(
        select(func.count()).where(p.report_id == report_id, p.group_id == group_id)
    )
    if not known:
        await conn.execute(
            insert(t.past_holders).values(report_id=report_id, group_id=group_id, at=when)
        )


def _pause(settings: FaultSettings, row: Any, status: Status, when: datetime) -> dict[str, Any]:
    """A suspension stops the realisation clock (``domain.effective_due``): its start is kept;
    on resumption its working time is added to the pause and to the stored deadline."""
    was = Status(row.status) == Status.SUSPENDED
    if status == Status.SUSPENDED and not was:
        return {"suspended_at": when}
    if was and status != Status.SUSPENDED and row.suspended_at is not None:
        spent = settings.calendar.elapsed(aware(row.suspended_at), when)
        return {
            "suspended_at": None,
            "paused_s": int(row.paused_s or 0) + int(spent.total_seconds()),
            "realise_due": utc(settings.calendar.add(aware(row.realise_due), spent)),
        }
    return {}


async def past_groups(conn: AsyncConnection, report_id: int) -> frozenset[int]:
    rows = await conn.scalars(
        select(t.past_holders.c.group_id).where(t.past_holders.c.report_id == report_id)
    )
    return frozenset(int(g) for g in rows)


async def _editable(conn: AsyncConnection, actor: Actor, report_id: int) -> Row[Any]:
    row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
    if row is None or not can_edit(actor, place_of(row)):
        raise NotAllowed()
    return row


async def add_note(
    engine: AsyncEngine, actor: Actor, report_id: int, text: str, now: datetime, *, at=None
) -> None:  # type: ignore[no-untyped-def]
    """An activity (consultation, site visit, a phone call with the reporter) — § 17 ust. 2."""
    if not text.strip():
        raise Missing("Write what was done.")
    async with engine.begin() as conn:
        row = await _editable(conn, actor, report_id)
        await conn.execute(
            update(t.reports).where(t.reports.c.id == report_id).values(last_change_at=now)
        )
        when = utc(at or now)
        await _event(conn, report_id, when, now, actor.id, "note", Status(row.status), text)


async def set_delay(
    engine: AsyncEngine,
    actor: Actor,
    report_id: int,
    reason: str,
    planned_on: date | None,
    now: datetime,
) -> None:
    """§ 18 ust. 2: why late and until when."""
    if not reason.strip() or planned_on is None:
        raise Missing("Give the reason for the delay and the planned date.")
    async with engine.begin() as conn:
        row = await _editable(conn, actor, report_id)
        await conn.execute(
            update(t.reports)
            .where(t.reports.c.id == report_id)
            .values(delay_reason=reason.strip()[:2000], planned_on=planned_on, last_change_at=now)
        )
        note = f"{reason.strip()} → {planned_on.isoformat()}"
        await _event(conn, report_id, now, now, actor.id, "delay", Status(row.status), note)


async def record_reply(
    engine: AsyncEngine,
    actor: Actor,
    report_id: int,
    replied_on: date | None,
    channel: str,
    note: str,
    now: datetime,
) -> None:
    """§ 16 ust. 3, § 17 ust. 2 pkt 8: the reporter was told, when and how."""
    if replied_on is None or not channel.strip():
        raise Missing("Give the date and the way of the reply.")
    async with engine.begin() as conn:
        row = await _editable(conn, actor, report_id)
        await conn.execute(
            insert(t.replies).values(
                report_id=report_id,
                replied_on=replied_on,
                channel=channel.strip()[:20],
                note=note.strip()[:2000],
                actor_id=actor.id,
                recorded_at=now,
            )
        )
        await conn.execute(
            update(t.reports)
            .where(t.reports.c.id == report_id)
            .values(replied_at=now, last_change_at=now)
        )
        await _event(conn, report_id, now, now, actor.id, "reply", Status(row.status), channel)


async def reply_sent(
    engine: AsyncEngine, report_id: int, channel: str, note: str, now: datetime
) -> None:
    """The system told the reporter (§ 14 ust. 2): recorded as a reply (§ 17 ust. 2 pkt 8)."""
    async with engine.begin() as conn:
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
        if row is None:
            return
        await conn.execute(
            insert(t.replies).values(
                report_id=report_id,
                replied_on=aware(now).astimezone(WARSAW).date(),
                channel=channel[:20],
                note=note[:2000],
                actor_id=None,
                recorded_at=now,
            )
        )
        await conn.execute(
            update(t.reports).where(t.reports.c.id == report_id).values(replied_at=now)
        )
        await _event(conn, report_id, now, now, None, "reply", Status(row.status), channel)


NOTICE_FORMS = ("phone", "email")  # § 19 ust. 4 pkt 2: "telefonicznie lub pocztą elektroniczną"


async def part_elsewhere(
    engine: AsyncEngine,
    actor: Actor,
    report_id: int,
    part: str,
    form: str,
    told_at: datetime | None,
    now: datetime,
) -> None:
    """§ 19 ust. 4 pkt 2: the coordinator told the operator that part of the report belongs
    to another unit; the report keeps the part, the form and the time of the notice, so the
    operator duplicates it (§ 20 ust. 2)."""
    if not part.strip() or form not in NOTICE_FORMS:
        raise Missing("Say which part belongs elsewhere and how the operator was told.")
    when = utc(told_at or now)
    if when > utc(now):
        raise Missing("The time of the notice cannot be in the future.")
    async with engine.begin() as conn:
        row = await _editable(conn, actor, report_id)
        if actor.role != Role.COORDINATOR and not actor.sees_all:
            raise NotAllowed()
        await conn.execute(
            update(t.reports).where(t.reports.c.id == report_id).values(last_change_at=now)
        )
        note = json.dumps({"form": form, "part": part.strip()[:2000]}, ensure_ascii=False)
        await _event(
            conn, report_id, when, now, actor.id, "part_elsewhere", Status(row.status), note
        )


DETAIL_FIELDS = (
    "rpw_id",
    "precinct",
    "parcel",
    "title",
    "address",
    "lat",
    "lon",
    "channel",
    "subcategory_id",
)
FIELD_LENGTHS = {"title": 200, "address": 300}  # the others: 60
MAX_STAFF_FILES = 20  # per report: the source message's attachments, letters, photos


def details_for(actor: Actor) -> tuple[str, ...]:
    """The report fields a person may change besides the workflow."""
    if actor.sees_all:
        return DETAIL_FIELDS
    # § 6 ust. 2: the RPW id; § 21 ust. 2 pkt 1: the final classification (an investment
    # report goes to the investment group).
    return ("rpw_id", "subcategory_id") if actor.role == Role.REALIZER else ()


def check_file(f: File) -> None:
    """A file the staff add (§ 8 ust. 1 pkt 5, § 9 pkt 4): any kind, 5 MB at most."""
    if not f.content:
        raise Missing("The file is empty.")
    if len(f.content) > MAX_FILE:
        raise Missing("A file may have at most 5 MB.")


def _coordinates(clean: dict[str, Any]) -> None:
    lat, lon = clean.get("lat"), clean.get("lon")
    if (lat is None) != (lon is None) or any(v != v for v in (lat, lon) if v is not None):
        raise Missing("Give both coordinates as numbers, or neither.")
    if lat is not None and not (-90 <= lat <= 90):
        raise Missing("The latitude must be between -90 and 90.")
    if lon is not None and not (-180 <= lon <= 180):
        raise Missing("The longitude must be between -180 and 180.")


async def update_details(
    engine: AsyncEngine,
    actor: Actor,
    report_id: int,
    changes: dict[str, Any],
    now: datetime,
    files: list[File] | None = None,
) -> None:
    """The operator completes and reclassifies the report (§ 9 pkt 2-4): RPW id, precinct,
    parcel, subject, address and map point, channel, subcategory, files. The realizer enters
    the RPW id of the case registered in EZD (§ 6 ust. 2) and makes the final classification
    (§ 21 ust. 2 pkt 1). Only what really changed goes into the history."""
    files = files or []
    clean = {k: v for k, v in changes.items() if k in details_for(actor)}
    if not clean and not files:
        raise NotAllowed()
    if "lat" in clean or "lon" in clean:
        _coordinates(clean)
    for f in files:
        check_file(f)
    async with engine.begin() as conn:
        row = await _editable(conn, actor, report_id)
        if "subcategory_id" in clean:
            sub = await subcategory(conn, int(clean["subcategory_id"]))
            if sub is None:
                raise Missing("Choose the category and the subcategory.")
            clean["category_id"] = sub.category_id
        if "channel" in clean:
            clean["channel"] = str(Channel(clean["channel"]))
        for key in ("rpw_id", "precinct", "parcel", "title", "address"):
            if key in clean:
                clean[key] = str(clean[key]).strip()[: FIELD_LENGTHS.get(key, 60)]
        if clean.get("rpw_id") == "":
            clean["rpw_id"] = None
        changed = {k: v for k, v in clean.items() if getattr(row, k) != v}
        if changed:
            await conn.execute(
                update(t.reports)
                .where(t.reports.c.id == report_id)
                .values(**changed, last_change_at=now)
            )
            # The new values, so the history says what each became (web/faults/history.py).
            note = json.dumps(
                {k: v for k, v in changed.items() if k != "category_id"}, ensure_ascii=False
            )
            await _event(conn, report_id, now, now, actor.id, "details", Status(row.status), note)
        if files:
            held = await conn.scalar(
                select(func.count())
                .select_from(t.attachments)
                .where(t.attachments.c.report_id == report_id)
            )
            if int(held or 0) + len(files) > MAX_STAFF_FILES:
                raise Missing("A report may have at most 20 files.")
            for f in files:
                await conn.execute(
                    insert(t.attachments).values(
                        report_id=report_id,
                        filename=f.filename[:200],
                        mime=f.mime[:100],
                        size=len(f.content),
                        content=f.content,
                        uploaded_by=actor.id,
                        created_at=now,
                    )
                )
            await conn.execute(
                update(t.reports).where(t.reports.c.id == report_id).values(last_change_at=now)
            )
            names = ", ".join(f.filename[:200] for f in files)
            await _event(conn, report_id, now, now, actor.id, "files", Status(row.status), names)


async def duplicate(
    engine: AsyncEngine, actor: Actor, report_id: int, parts: list[Part], now: datetime
) -> list[int]:
    """§ 11, § 13 ust. 2: one report per event. The original keeps the first event; each
    copy has the same data, photos and history start, its own scope, and the family's number
    (each page lists the others and their addressees)."""
    found = [p for p in parts if p.scope.strip()]
    if len(found) < 2:
        raise Missing("A duplicated report needs at least two events.")
    async with engine.begin() as conn:
        row = await _editable(conn, actor, report_id)
        if not actor.sees_all or Status(row.status) not in (Status.NEW, Status.RETURNED):
            raise NotAllowed()
        family = row.family_id or row.id
        ids = [report_id]
        base = {k: v for k, v in row._mapping.items() if k != "id"}
        for part in found[1:]:
            values = {**base, "scope": part.scope.strip()[:2000], "family_id": family}
            values["token_digest"] = None  # the reporter's link shows the original
            if part.subcategory_id:
                sub = await subcategory(conn, part.subcategory_id)
                if sub is not None:
                    values.update(subcategory_id=sub.id, category_id=sub.category_id)
            values["last_change_at"] = now
            new_id = int(
                (await conn.execute(insert(t.reports).values(**values))).inserted_primary_key[0]  # type: ignore[index]
            )
            ids.append(new_id)
            files = await conn.execute(
                select(t.attachments).where(t.attachments.c.report_id == report_id)
            )
            for f in files:
                copy = {k: v for k, v in f._mapping.items() if k not in ("id", "report_id")}
                await conn.execute(insert(t.attachments).values(report_id=new_id, **copy))
        first = found[0]
        values = {"scope": first.scope.strip()[:2000], "family_id": family, "last_change_at": now}
        if first.subcategory_id and (sub := await subcategory(conn, first.subcategory_id)):
            values.update(subcategory_id=sub.id, category_id=sub.category_id)
        await conn.execute(update(t.reports).where(t.reports.c.id == report_id).values(**values))
        numbers = ", ".join(f"#{i}" for i in ids)
        for i in ids:
            await _event(conn, i, now, now, actor.id, "duplicated", Status(row.status), numbers)
    return ids


async def family(engine: AsyncEngine, actor: Actor, row: Any) -> list[Row[Any]]:
    """The other reports of the same events (their number, scope and addressee); the ones
    out of scope are listed too — only number, scope and group, as § 13 ust. 2 wants."""
    if row.family_id is None:
        return []
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(
                    t.reports.c.id,
                    t.reports.c.scope,
                    t.reports.c.status,
                    t.groups.c.name.label("group_name"),
                )
                .outerjoin(t.groups, t.groups.c.id == t.reports.c.coordinator_group_id)
                .where(t.reports.c.family_id == row.family_id, t.reports.c.id != row.id)
                .order_by(t.reports.c.id)
            )
        )


async def delete_report(engine: AsyncEngine, actor: Actor, report_id: int) -> None:
    """The super-supervisor deletes (§ 28); a finished report's counts stay in the statistics."""
    if not can_delete(actor):
        raise NotAllowed()
    async with engine.begin() as conn:
        row = (await conn.execute(select(t.reports).where(t.reports.c.id == report_id))).first()
        if row is None:
            raise NotAllowed()
        if Status(row.status) in FINISHED:
            await count_in_stats(conn, row)
        await purge(conn, [report_id])


async def count_in_stats(conn: AsyncConnection, row: Any) -> None:
    month = aware(row.received_at).strftime("%Y-%m")
    key = and_(
        t.stats.c.month == month,
        t.stats.c.category_id == row.category_id,
        t.stats.c.department_id == (row.department_id or 0),
        t.stats.c.channel == row.channel,
    )
    on_time = 1 if row.finished_at and aware(row.finished_at) <= aware(row.realise_due) else 0
    done = await conn.execute(
        update(t.stats)
        .where(key)
        .values(finished=t.stats.c.finished + 1, on_time=t.stats.c.on_time + on_time)
    )
    if done.rowcount == 0:
        await conn.execute(
            insert(t.stats).values(
                month=month,
                category_id=row.category_id,
                department_id=row.department_id or 0,
                channel=row.channel,
                finished=1,
                on_time=on_time,
            )
        )


async def purge(conn: AsyncConnection, ids: list[int]) -> None:
    """Everything a report left anywhere: history, replies, mail records, files, the row."""
    for table in (t.events, t.replies, t.mails, t.attachments, t.past_holders):
        await conn.execute(delete(table).where(table.c.report_id.in_(ids)))
    await conn.execute(delete(t.reports).where(t.reports.c.id.in_(ids)))


async def withdraw_consent(engine: AsyncEngine, token: str, now: datetime) -> bool:
    """The reporter withdraws consent (§ 27 ust. 1): their data go now, the report stays."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                select(t.reports.c.id, t.reports.c.family_id).where(
                    t.reports.c.token_digest == digest(token)
                )
            )
        ).first()
        if row is None:
            return False
        ids = select(t.reports.c.id).where(
            t.reports.c.family_id == row.family_id if row.family_id else t.reports.c.id == row.id
        )
        await forget_people(conn, [r.id for r in await conn.execute(ids)] or [row.id], now)
    return True


async def forget_people(conn: AsyncConnection, ids: list[int], now: datetime) -> None:
    await conn.execute(
        update(t.reports)
        .where(t.reports.c.id.in_(ids))
        .values(
            reporter_name=None,
            reporter_email=None,
            reporter_phone=None,
            consent_at=None,
            source_message="",
            last_change_at=now,
        )
    )
    await conn.execute(update(t.mails).where(t.mails.c.report_id.in_(ids)).values(recipient="—"))


# -- reads -------------------------------------------------------------------------------------


async def history(engine: AsyncEngine, report_id: int) -> list[Row[Any]]:
    from web.helpdesk import tables as hd

    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(t.events, hd.users.c.name.label("actor_name"))
                .outerjoin(hd.users, hd.users.c.id == t.events.c.actor_id)
                .where(t.events.c.report_id == report_id)
                .order_by(t.events.c.at, t.events.c.id)
            )
        )


async def person_name(engine: AsyncEngine, user_id: int | None) -> str | None:
    """Who handles or handled a report (§ 17 ust. 2 pkt 1); None for nobody or the system."""
    from web.helpdesk import tables as hd

    if user_id is None:
        return None
    async with engine.connect() as conn:
        name = await conn.scalar(select(hd.users.c.name).where(hd.users.c.id == user_id))
    return str(name) if name else None


async def replies(engine: AsyncEngine, report_id: int) -> list[Row[Any]]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(t.replies)
                .where(t.replies.c.report_id == report_id)
                .order_by(t.replies.c.replied_on, t.replies.c.id)
            )
        )


async def files(engine: AsyncEngine, report_id: int) -> list[Row[Any]]:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                select(
                    t.attachments.c.id,
                    t.attachments.c.filename,
                    t.attachments.c.mime,
                    t.attachments.c.size,
                ).where(t.attachments.c.report_id == report_id)
            )
        )


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(t.reports)) or 0)
