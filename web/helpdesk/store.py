"""Requests in the database: filing, status changes, messages, rating, attachments (of the
request and of its messages, stored and opened alike), read marks, and the timed work
(publication, repetition, the rating window closing). Each change is one transaction with its
history row; a status change is a conditional UPDATE on the status it started from, so two staff
members clicking at once change it once."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from web.helpdesk import crypto
from web.helpdesk import tables as t
from web.helpdesk.accounts import digest, fields_of
from web.helpdesk.domain import (
    ACTIVE,
    RATING_WINDOW,
    Action,
    Actor,
    ChatClosed,
    NotAllowed,
    RepeatUnit,
    Status,
    WorkflowError,
    aware,
    can_file,
    can_rate,
    can_see,
    chat_open,
    check_rating,
    decide,
    initial_status,
    next_repeat,
)

MAX_TEXT = 10_000
MAX_FILE = 10 * 1024 * 1024
MAX_FILES = 10


class NotFound(Exception):
    """No such request, or not one this person may see (the same answer, on purpose)."""


@dataclass(frozen=True)
class NewFile:
    filename: str
    mime: str
    data: bytes


@dataclass(frozen=True)
class Filing:
    unit_id: int
    address_id: int
    service_id: int
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    due_on: date | None = None
    publish_at: datetime | None = None
    repeat: tuple[int, RepeatUnit] | None = None
    files: tuple[NewFile, ...] = ()
    encrypt: bool = False


@dataclass(frozen=True)
class Filed:
    id: int
    status: Status
    password: str | None  # of the encrypted files: for the recipients' e-mail, never stored


async def _event(
    conn: AsyncConnection,
    request_id: int,
    now: datetime,
    actor_id: int | None,
    kind: str,
    status: str | None = None,
    note: str = "",
) -> None:
    await conn.execute(
        insert(t.events).values(
            request_id=request_id, at=now, actor_id=actor_id, kind=kind, status=status, note=note
        )
    )


async def mark_read(conn: AsyncConnection, user_id: int, request_id: int, now: datetime) -> None:
    changed = await conn.execute(
        update(t.reads)
        .where(t.reads.c.user_id == user_id, t.reads.c.request_id == request_id)
        .values(seen_at=now)
    )
    if changed.rowcount == 0:
        await conn.execute(
            insert(t.reads).values(user_id=user_id, request_id=request_id, seen_at=now)
        )


def _check_fields(service: Row[Any], given: dict[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for f in fields_of(service.fields):
        value = given.get(f.key, "").strip()[:200]
        if f.required and not value:
            raise WorkflowError("Fill in every required field.")
        if value and f.number and not (value.isdigit() and int(value) <= 1_000_000):
            raise WorkflowError("Enter a whole number.")
        if value:
            kept[f.key] = value
    return kept


async def file_request(engine: AsyncEngine, actor: Actor, filing: Filing, now: datetime) -> Filed:
    f = filing
    if not can_file(actor, f.unit_id):
        raise NotAllowed()
    text = f.text.strip()
    if not text or len(text) > MAX_TEXT:
        raise WorkflowError("Describe the request (at most 10,000 characters).")
    check_files(f.files)
    async with engine.connect() as conn:
        service = (
            await conn.execute(
                select(t.services)
                .join(t.unit_services, t.unit_services.c.service_id == t.services.c.id)
                .where(
                    t.services.c.id == f.service_id,
                    t.services.c.active.is_(True),
                    t.unit_services.c.unit_id == f.unit_id,
                )
            )
        ).first()
        address = await conn.scalar(
            select(t.addresses.c.id).where(
                t.addresses.c.id == f.address_id,
                t.addresses.c.unit_id == f.unit_id,
                t.addresses.c.active.is_(True),
            )
        )
    if service is None or address is None:
        raise WorkflowError("Choose one of your unit's addresses and services.")
    values = _check_fields(service, f.fields)
    if (f.due_on and not service.allow_due) or (f.publish_at and not service.allow_schedule):
        raise WorkflowError("This service does not offer that option.")
    if f.repeat and not service.allow_repeat:
        raise WorkflowError("This service does not offer that option.")
    if f.publish_at is not None and f.publish_at <= now:
        raise WorkflowError("The publication time must be in the future.")
    status = initial_status(f.publish_at, now)
    password = _password(f.files, f.encrypt)
    start = f.publish_at or now
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(t.requests).values(
                unit_id=f.unit_id,
                address_id=f.address_id,
                service_id=f.service_id,
                filed_by=actor.id,
                text=text,
                fields=json.dumps(values, ensure_ascii=False),
                status=str(status),
                active=True,
                created_at=now,
                publish_at=f.publish_at,
                published_at=now if status == Status.NEW else None,
                due_on=f.due_on,
                recurring=f.repeat is not None,
                repeat_every=f.repeat[0] if f.repeat else None,
                repeat_unit=str(f.repeat[1]) if f.repeat else None,
                repeat_start=start if f.repeat else None,
                repeat_n=0,
                repeat_next_at=next_repeat(start, *f.repeat, 1) if f.repeat else None,
                last_change_at=now,
                message_count=0,
                attachment_count=len(f.files),
            )
        )
        request_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        await _event(conn, request_id, now, actor.id, "filed", str(status))
        for x in f.files:
            await _store_file(conn, request_id, actor.id, x, password, now)
        await mark_read(conn, actor.id, request_id, now)
    return Filed(request_id, status, password)


def check_files(files: tuple[NewFile, ...]) -> None:
    """The same limits for the files of a request and of a message."""
    if len(files) > MAX_FILES or any(len(x.data) > MAX_FILE for x in files):
        raise WorkflowError("At most 10 files of up to 10 MB each.")


def _password(files: tuple[NewFile, ...], encrypt: bool) -> str | None:
    """One generated password for the files sent together: for the recipients' e-mail only."""
    return crypto.generate_password() if encrypt and files else None


def _context(request_id: int, filename: str) -> bytes:
    return f"{request_id}/{filename}".encode()


async def _store_file(
    conn: AsyncConnection,
    request_id: int,
    user_id: int,
    x: NewFile,
    password: str | None,
    now: datetime,
    message_id: int | None = None,
) -> None:
    name = x.filename.replace("/", "_").replace("\\", "_")[-200:] or "file"
    values: dict[str, Any] = {"content": x.data, "encrypted": False}
    if password is not None:
        sealed = await asyncio.to_thread(
            crypto.seal, password, x.data, context=_context(request_id, name)
        )
        values = {
            "content": sealed.ciphertext,
            "salt": sealed.salt,
            "nonce": sealed.nonce,
            "encrypted": True,
        }
    await conn.execute(
        insert(t.attachments).values(
            request_id=request_id,
            message_id=message_id,
            filename=name,
            mime=x.mime[:100] or "application/octet-stream",
            size=len(x.data),
            uploaded_by=user_id,
            created_at=now,
            **values,
        )
    )


async def load(engine: AsyncEngine, actor: Actor, request_id: int) -> Row[Any]:
    """The request with its unit, address and service names, if the actor may see it."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    t.requests,
                    t.units.c.name.label("unit_name"),
                    t.addresses.c.label.label("address"),
                    t.services.c.name.label("service_name"),
                    t.services.c.fields.label("service_fields"),
                )
                .join(t.units, t.units.c.id == t.requests.c.unit_id)
                .join(t.addresses, t.addresses.c.id == t.requests.c.address_id)
                .join(t.services, t.services.c.id == t.requests.c.service_id)
                .where(t.requests.c.id == request_id)
            )
        ).first()
    if row is None or not can_see(actor, row.unit_id):
        raise NotFound()
    return row


@dataclass(frozen=True)
class Changed:
    id: int
    status: Status
    rating_token: str | None = None


async def change_status(
    engine: AsyncEngine, actor: Actor, request_id: int, action: Action, comment: str, now: datetime
) -> Changed:
    row = await load(engine, actor, request_id)
    target = decide(actor, action, Status(row.status), comment)
    values: dict[str, Any] = {
        "status": str(target),
        "active": target in ACTIVE,
        "last_change_at": now,
    }
    token = None
    if action is Action.ACCEPT:
        values.update(handler_id=actor.id, accepted_at=now)
    elif action is Action.REJECT:
        values.update(reject_reason=comment.strip()[:2000], repeat_next_at=None)
    elif action is Action.COMPLETE:
        token = secrets.token_urlsafe(32)
        values.update(completed_at=now, rating_token_digest=digest(token))
        if row.handler_id is None:
            values["handler_id"] = actor.id
    async with engine.begin() as conn:
        done = await conn.execute(
            update(t.requests)
            .where(t.requests.c.id == request_id, t.requests.c.status == row.status)
            .values(**values)
        )
        if done.rowcount != 1:
            raise WorkflowError("The request was changed meanwhile; look at it again.")
        await _event(conn, request_id, now, actor.id, str(action), str(target), comment.strip())
        await mark_read(conn, actor.id, request_id, now)
    return Changed(request_id, target, token)


@dataclass(frozen=True)
class Posted:
    message_id: int
    password: str | None  # of the message's encrypted files: for the recipients, never stored


async def add_message(
    engine: AsyncEngine,
    actor: Actor,
    request_id: int,
    body: str,
    now: datetime,
    files: tuple[NewFile, ...] = (),
    encrypt: bool = False,
) -> Posted:
    row = await load(engine, actor, request_id)
    if not chat_open(Status(row.status), row.completed_at, now):
        raise ChatClosed()
    body = body.strip()
    if not body or len(body) > MAX_TEXT:
        raise WorkflowError("Write the message (at most 10,000 characters).")
    check_files(files)
    password = _password(files, encrypt)
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(t.messages).values(
                request_id=request_id, author_id=actor.id, body=body, created_at=now
            )
        )
        message_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        for x in files:
            await _store_file(conn, request_id, actor.id, x, password, now, message_id)
        await conn.execute(
            update(t.requests)
            .where(t.requests.c.id == request_id)
            .values(
                message_count=t.requests.c.message_count + 1,
                attachment_count=t.requests.c.attachment_count + len(files),
                last_message_at=now,
                last_change_at=now,
            )
        )
        await mark_read(conn, actor.id, request_id, now)
    return Posted(message_id, password)


async def _rate(
    conn: AsyncConnection,
    row: Row[Any],
    actor_id: int | None,
    stars: int,
    text: str,
    now: datetime,
) -> None:
    check_rating(Status(row.status), row.completed_at, now, stars, text)
    done = await conn.execute(
        update(t.requests)
        .where(t.requests.c.id == row.id, t.requests.c.status == str(Status.COMPLETED))
        .values(
            status=str(Status.RATED),
            active=False,
            rating=stars,
            rating_text=text.strip()[:2000],
            rated_at=now,
            # The digest stays: the used link then says "already rated", not "unknown".
            last_change_at=now,
        )
    )
    if done.rowcount != 1:
        raise WorkflowError("The request was changed meanwhile; look at it again.")
    await _event(conn, row.id, now, actor_id, "rated", str(Status.RATED), f"{stars}/5")


async def rate(
    engine: AsyncEngine, actor: Actor, request_id: int, stars: int, text: str, now: datetime
) -> None:
    row = await load(engine, actor, request_id)
    if not can_rate(actor, row.unit_id):
        raise NotAllowed()
    async with engine.begin() as conn:
        await _rate(conn, row, actor.id, stars, text, now)
        await mark_read(conn, actor.id, request_id, now)


async def by_rating_token(engine: AsyncEngine, token: str) -> Row[Any] | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(t.requests, t.services.c.name.label("service_name"))
                .join(t.services, t.services.c.id == t.requests.c.service_id)
                .where(t.requests.c.rating_token_digest == digest(token))
            )
        ).first()


async def rate_by_token(
    engine: AsyncEngine, token: str, stars: int, text: str, now: datetime
) -> int:
    """Rating through the e-mailed link: the link is the filer's authority, used once."""
    row = await by_rating_token(engine, token)
    if row is None:
        raise NotFound()
    async with engine.begin() as conn:
        await _rate(conn, row, row.filed_by, stars, text, now)
    return int(row.id)


@dataclass(frozen=True)
class Detail:
    request: Row[Any]
    events: list[Row[Any]]
    messages: list[Row[Any]]
    attachments: list[Row[Any]]
    people: dict[int, Row[Any]]  # everyone who took part, with contact details


async def detail(engine: AsyncEngine, actor: Actor, request_id: int, now: datetime) -> Detail:
    row = await load(engine, actor, request_id)
    async with engine.begin() as conn:
        events = list(
            await conn.execute(
                select(t.events).where(t.events.c.request_id == request_id).order_by(t.events.c.id)
            )
        )
        messages = list(
            await conn.execute(
                select(t.messages)
                .where(t.messages.c.request_id == request_id)
                .order_by(t.messages.c.id)
            )
        )
        files = list(
            await conn.execute(
                select(
                    t.attachments.c.id,
                    t.attachments.c.filename,
                    t.attachments.c.size,
                    t.attachments.c.encrypted,
                    t.attachments.c.message_id,
                )
                .where(t.attachments.c.request_id == request_id)
                .order_by(t.attachments.c.id)
            )
        )
        ids = {row.filed_by, row.handler_id} | {e.actor_id for e in events}
        ids |= {m.author_id for m in messages}
        people = {
            p.id: p
            for p in await conn.execute(
                select(
                    t.users.c.id, t.users.c.name, t.users.c.email, t.users.c.phone, t.users.c.role
                ).where(t.users.c.id.in_([i for i in ids if i]))
            )
        }
        await mark_read(conn, actor.id, request_id, now)
    return Detail(row, events, messages, files, people)


async def attachment(
    engine: AsyncEngine, actor: Actor, request_id: int, attachment_id: int, password: str | None
) -> tuple[str, str, bytes]:
    """(file name, MIME type, content); an encrypted file only with its password."""
    await load(engine, actor, request_id)
    async with engine.connect() as conn:
        a = (
            await conn.execute(
                select(t.attachments).where(
                    t.attachments.c.id == attachment_id,
                    t.attachments.c.request_id == request_id,
                )
            )
        ).first()
    if a is None:
        raise NotFound()
    if not a.encrypted:
        return a.filename, a.mime, a.content
    if not password:
        raise crypto.WrongPassword()
    sealed = crypto.Sealed(a.salt, a.nonce, a.content)
    data = await asyncio.to_thread(
        crypto.unseal, password, sealed, context=_context(request_id, a.filename)
    )
    return a.filename, a.mime, data


# -- timed work (web/jobs.py runs these in every worker) ---------------------------------------


async def publish_due(engine: AsyncEngine, now: datetime) -> list[int]:
    """Scheduled requests whose time has come become New; returns the ones this worker did."""
    async with engine.connect() as conn:
        due = list(
            await conn.scalars(
                select(t.requests.c.id).where(
                    t.requests.c.status == str(Status.SCHEDULED), t.requests.c.publish_at <= now
                )
            )
        )
    done: list[int] = []
    for request_id in due:
        async with engine.begin() as conn:
            claimed = await conn.execute(
                update(t.requests)
                .where(t.requests.c.id == request_id, t.requests.c.status == str(Status.SCHEDULED))
                .values(status=str(Status.NEW), published_at=now, last_change_at=now)
            )
            if claimed.rowcount == 1:
                await _event(conn, request_id, now, None, "published", str(Status.NEW))
                done.append(request_id)
    return done


async def repeat_due(engine: AsyncEngine, now: datetime) -> list[int]:
    """For every repeating request whose next time has come, a new request (New) with the same
    unit, address, service, text and fields; returns the new ones this worker made."""
    made: list[int] = []
    for _ in range(100):  # catching up after a long stop: one repetition a round
        async with engine.connect() as conn:
            due = list(
                await conn.execute(
                    select(t.requests).where(t.requests.c.repeat_next_at <= now).limit(100)
                )
            )
        if not due:
            break
        for origin in due:
            if (new_id := await _repeat_once(engine, origin, now)) is not None:
                made.append(new_id)
    return made


async def _repeat_once(engine: AsyncEngine, origin: Row[Any], now: datetime) -> int | None:
    n = origin.repeat_n + 1
    unit = RepeatUnit(origin.repeat_unit)
    at = next_repeat(origin.repeat_start, origin.repeat_every, unit, n)
    following = next_repeat(origin.repeat_start, origin.repeat_every, unit, n + 1)
    async with engine.begin() as conn:
        claimed = await conn.execute(
            update(t.requests)
            .where(t.requests.c.id == origin.id, t.requests.c.repeat_n == origin.repeat_n)
            .values(repeat_n=n, repeat_next_at=following)
        )
        if claimed.rowcount != 1:
            return None  # another worker made this one
        shift = at - aware(origin.repeat_start)
        result = await conn.execute(
            insert(t.requests).values(
                unit_id=origin.unit_id,
                address_id=origin.address_id,
                service_id=origin.service_id,
                filed_by=origin.filed_by,
                text=origin.text,
                fields=origin.fields,
                status=str(Status.NEW),
                active=True,
                created_at=now,
                published_at=now,
                due_on=origin.due_on + timedelta(days=shift.days) if origin.due_on else None,
                recurring=True,
                repeat_of=origin.id,
                repeat_n=0,
                last_change_at=now,
                message_count=0,
                attachment_count=0,
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        await _event(conn, new_id, now, None, "repeated", str(Status.NEW), f"#{origin.id}")
    return new_id


async def close_rating_windows(engine: AsyncEngine, now: datetime) -> int:
    """Completed requests not rated within 30 days stop being active; their link dies."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(t.requests)
            .where(
                and_(
                    t.requests.c.status == str(Status.COMPLETED),
                    t.requests.c.active.is_(True),
                    t.requests.c.completed_at < now - RATING_WINDOW,
                )
            )
            # The link stays known, to say that its 30 days passed (it rates nothing now).
            .values(active=False)
        )
    return int(result.rowcount)


async def stop_repeating(engine: AsyncEngine, actor: Actor, request_id: int, now: datetime) -> None:
    row = await load(engine, actor, request_id)
    if not (actor.is_staff or can_file(actor, row.unit_id)) or row.repeat_next_at is None:
        raise NotAllowed()
    async with engine.begin() as conn:
        await conn.execute(
            update(t.requests)
            .where(t.requests.c.id == request_id)
            .values(repeat_next_at=None, last_change_at=now)
        )
        await _event(conn, request_id, now, actor.id, "repeat_stopped")


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(t.requests)) or 0)
