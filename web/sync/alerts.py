"""Telling visitors who asked (on their e-ticket page) that their turn is near, and that they
are called. Each message is claimed with a conditional UPDATE before it is sent, so several
workers never send it twice; a send that fails gives the claim back, so the next round (of
any worker) tries again, up to MAX_TRIES times per worker; the contact is deleted once the
ticket is finished."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update

from web.db.models import Setting, Ticket, TicketAlert
from web.eticket.state import FINISHED, site_state
from web.i18n import translations
from web.notify.push import PushGone, WebPushSender, vapid_key

log = logging.getLogger("okienko.web.alerts")
AL = cast(Table, TicketAlert.__table__)
TK = cast(Table, Ticket.__table__)
SET = cast(Table, Setting.__table__)
# Tries of one message in one worker: a refusing SMTP server or gateway is retried for about
# a minute (the job runs every 3 s), a dead address is not retried all day.
MAX_TRIES = 20


async def send_alerts(app: Any, now: datetime) -> int:
    engine = app.state.engine
    async with engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(
                    AL.c.id,
                    AL.c.contact,
                    AL.c.ahead.label("wanted"),
                    AL.c.sent_ahead_at,
                    AL.c.sent_called_at,
                    AL.c.language,
                    TK.c.number,
                    TK.c.status,
                    TK.c.ahead,
                    TK.c.counter,
                    TK.c.location_id,
                    TK.c.token.label("url"),
                ).join(TK, TK.c.token == AL.c.token)
            )
        )
    sent = 0
    snapshots: dict[str, dict[str, Any]] = {}
    for r in rows:
        t = translations(r.language or "pl")  # the language the alert was asked in
        if r.status in ("called", "serving") and r.sent_called_at is None:
            column, text = (
                "sent_called_at",
                t.gettext("Ticket %(number)s: please come to counter %(counter)s.")
                % {"number": r.number, "counter": await _counter_label(engine, snapshots, r)},
            )
        elif (
            r.status == "waiting"
            and r.sent_ahead_at is None
            and r.ahead is not None
            and r.ahead <= r.wanted
        ):
            column, text = (
                "sent_ahead_at",
                t.ngettext(
                    "Your turn is near: %(num)s person ahead of ticket %(number)s.",
                    "Your turn is near: %(num)s people ahead of ticket %(number)s.",
                    r.ahead,
                )
                % {"num": r.ahead, "number": r.number},
            )
        else:
            continue
        async with engine.begin() as conn:
            claimed = await conn.execute(
                update(AL).where((AL.c.id == r.id) & (AL.c[column].is_(None))).values({column: now})
            )
        if claimed.rowcount != 1:
            continue  # another worker took it
        tries = _tries(app)
        try:
            if r.contact.startswith(PUSH_PREFIX):
                await _push(app, r, text)
            else:
                await app.state.notifier.send(r.contact, text, text)
            sent += 1
            tries.pop((r.id, column), None)
        except PushGone:  # the visitor turned notifications off: forget the subscription
            await _forget(engine, [r.id])
        except Exception as exc:  # a failed message is logged, without the contact
            count = tries[(r.id, column)] = tries.get((r.id, column), 0) + 1
            if count >= MAX_TRIES:
                tries.pop((r.id, column))
                log.warning("ticket alert %s given up: %s", r.id, type(exc).__name__)
                continue
            log.warning("ticket alert %s not sent (try %d): %s", r.id, count, type(exc).__name__)
            async with engine.begin() as conn:  # our claim, and only ours, is given back
                await conn.execute(
                    update(AL)
                    .where((AL.c.id == r.id) & (AL.c[column] == now))
                    .values({column: None})
                )
    current = {r.id for r in rows}
    for key in [k for k in _tries(app) if k[0] not in current]:  # finished, forgotten
        del _tries(app)[key]
    await _forget_finished(engine)
    return sent


def _tries(app: Any) -> dict[tuple[int, str], int]:
    """Failed sends per (alert, message) in this worker; forgotten once sent or given up."""
    tries: dict[tuple[int, str], int] | None = getattr(app.state, "alert_tries", None)
    if tries is None:
        tries = app.state.alert_tries = {}
    return tries


# A Web Push subscription is too long for the contact column: it is kept in the settings
# table under "push:<random id>", and the alert's contact says which.
PUSH_PREFIX = "push:"


MAX_PUSH_PER_TICKET = 3  # a phone or two; a script's thousand sign-ups are refused


async def save_push(
    engine: Any,
    token: str,
    subscription: dict[str, Any],
    ahead: int,
    now: datetime,
    language: str = "pl",
) -> bool:
    """Keep a sign-up for ``token``'s alerts; False when the ticket has its
    MAX_PUSH_PER_TICKET already. The ticket's row is locked first (PostgreSQL) and SQLite
    serialises writers, so concurrent sign-ups cannot all see room for one more."""
    key = f"{PUSH_PREFIX}{secrets.token_urlsafe(16)}"
    async with engine.begin() as conn:
        await conn.execute(select(TK.c.token).where(TK.c.token == token).with_for_update())
        # An update of the ticket's own alerts takes SQLite's write lock before the count.
        await conn.execute(update(AL).where(AL.c.token == token).values(token=AL.c.token))
        taken = await conn.scalar(
            select(func.count())
            .select_from(AL)
            .where((AL.c.token == token) & AL.c.contact.startswith(PUSH_PREFIX))
        )
        if int(taken or 0) >= MAX_PUSH_PER_TICKET:
            return False
        await conn.execute(SET.insert().values(key=key, value=json.dumps(subscription)))
        await conn.execute(
            AL.insert().values(
                token=token, contact=key, ahead=ahead, created_at=now, language=language
            )
        )
    return True


async def _push(app: Any, row: Any, text: str) -> None:
    engine = app.state.engine
    async with engine.connect() as conn:
        stored = await conn.scalar(select(SET.c.value).where(SET.c.key == row.contact))
    if stored is None:
        raise PushGone("subscription forgotten")
    sender = WebPushSender(
        await vapid_key(engine),
        subject=_subject(app),
        trusted=getattr(app.state, "push_trusted", frozenset()),
    )
    payload = {"title": row.number, "body": text, "url": f"/e/{row.url}"}
    await sender.send(json.loads(stored), payload)


def _subject(app: Any) -> str:
    """VAPID's contact for the push service: the installation's no-reply address."""
    sender = str(app.state.notifier.mailer.settings.sender)
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return f"mailto:{address}" if "@" in address else "mailto:no-reply@localhost"


async def _forget(engine: Any, alert_ids: list[int]) -> None:
    async with engine.begin() as conn:
        keys = select(AL.c.contact).where(
            AL.c.id.in_(alert_ids) & AL.c.contact.startswith(PUSH_PREFIX)
        )
        await conn.execute(delete(SET).where(SET.c.key.in_(keys)))
        await conn.execute(delete(AL).where(AL.c.id.in_(alert_ids)))


async def _counter_label(engine: Any, snapshots: dict[str, dict[str, Any]], row: Any) -> str:
    """The counter's short number as the hall shows it ("3"), from the site's snapshot."""
    if row.location_id not in snapshots:
        snapshots[row.location_id] = (await site_state(engine, row.location_id))[0]
    for c in snapshots[row.location_id].get("counters", []):
        if c["id"] == row.counter:
            return str(c["number"])
    return str(row.counter or "")


async def _forget_finished(engine: Any) -> None:
    """Contacts (and push subscriptions) are kept only while their ticket is in the queue."""
    async with engine.connect() as conn:
        finished = select(TK.c.token).where(TK.c.status.in_(FINISHED))
        ids = [r.id for r in await conn.execute(select(AL.c.id).where(AL.c.token.in_(finished)))]
    if ids:
        await _forget(engine, ids)
