"""The awaria@ mailbox (Procedura § 3 ust. 2): an inbound SMTP endpoint (aiosmtpd) that turns
each message to the mailbox into a report for the operators — channel e-mail, the subject as
the report's subject, the text as its description, the whole message as the source message,
image attachments as photos and the sender as the contact who wants a reply (given on their
own initiative: § 26 ust. 2). The operator classifies it (§ 9): until then it sits in the
"to be classified" subcategory. The sender gets the report's number and status link (§ 8
ust. 2), unless the message was itself automatic (no mail loops with auto-replies and
bounces). ``okienko faults-mail`` runs it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from web.faults import notices, store
from web.faults import tables as t
from web.faults.domain import Channel, FaultError
from web.faults.settings import FaultSettings
from web.notify.outbox import Notifier

log = logging.getLogger("okienko.web.faults.mailbox")
UNCLASSIFIED = ("inne", "Inne", "do-klasyfikacji", "Do sklasyfikowania")
MAX_MESSAGE = 30 * 1024 * 1024


async def unclassified(conn: AsyncConnection) -> int:
    """The "to be classified" subcategory, made on first use (an office may rename it)."""
    cat_code, cat_name, code, name = UNCLASSIFIED
    found = await conn.scalar(select(t.subcategories.c.id).where(t.subcategories.c.code == code))
    if found is not None:
        return int(found)
    cat = await conn.scalar(select(t.categories.c.id).where(t.categories.c.code == cat_code))
    if cat is None:
        result = await conn.execute(
            insert(t.categories).values(code=cat_code, name=cat_name, active=True)
        )
        cat = result.inserted_primary_key[0]  # type: ignore[index]
    result = await conn.execute(
        insert(t.subcategories).values(
            category_id=cat, code=code, name=name, attributes="[]", active=True
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    return str(content).strip()


def _photos(message: EmailMessage) -> list[store.File]:
    found = []
    for part in message.iter_attachments():
        mime = part.get_content_type()
        data = part.get_payload(decode=True)
        if mime in store.PHOTO_TYPES and isinstance(data, bytes) and len(data) <= store.MAX_FILE:
            found.append(store.File(part.get_filename() or "zdjecie", mime, data))
    return found[: store.MAX_FILES]


def automatic(message: EmailMessage) -> bool:
    """An auto-reply, a bounce or a list's mail (RFC 3834): never answered."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    return (
        auto != "no"
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or message.get("List-Id") is not None
        or sender.split("@")[0] in ("mailer-daemon", "postmaster", "no-reply", "noreply")
    )


async def file_message(
    engine: AsyncEngine,
    raw: bytes,
    now: datetime,
    settings: FaultSettings | None = None,
    *,
    notifier: Notifier | None = None,
    public_url: str = "",
) -> int:
    """The message as a report; with a ``notifier``, the sender's acknowledgement (links
    under ``public_url``, the address residents use)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    sender = parseaddr(str(message.get("From", "")))
    subject = str(message.get("Subject", "")).strip()
    text = _text(message) or subject
    async with engine.begin() as conn:
        sub_id = await unclassified(conn)
    source = raw.decode("utf-8", "replace")[:20000]
    report_id, token = await store.file_report(
        engine,
        store.Draft(
            sub_id,
            text or "(bez treści)",
            Channel.EMAIL,
            title=subject[:200],
            reply_wanted=bool(sender[1]),
            name=sender[0],
            email=sender[1],
            source_message=source,
            files=_photos(message),
        ),
        now,
        settings,
    )
    if notifier is not None and not automatic(message):
        await notices.acknowledge(engine, notifier, public_url, report_id, token)
    return report_id


class Handler:
    """aiosmtpd handler: accepts mail for the mailbox's addresses only."""

    def __init__(
        self,
        database_url: str | None,
        addresses: list[str],
        settings: FaultSettings | None = None,
        notifier: Notifier | None = None,
        public_url: str = "",
    ) -> None:
        self.database_url = database_url
        self.addresses = {a.lower() for a in addresses}
        self.settings = settings
        self.notifier = notifier
        self.public_url = public_url
        self.engine: AsyncEngine | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() not in self.addresses:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from web.db.engine import make_engine

        if self.engine is None:
            self.engine = make_engine(self.database_url)
        try:
            number = await file_message(
                self.engine,
                envelope.content,
                datetime.now(UTC),
                self.settings,
                notifier=self.notifier,
                public_url=self.public_url,
            )
        except FaultError:
            log.exception("a mailbox message could not become a report")
            return "554 5.6.0 Message not accepted"
        log.info("mailbox message registered as report %d", number)
        return f"250 OK report {number}"


async def serve(
    host: str,
    port: int,
    database_url: str | None,
    addresses: list[str],
    settings: FaultSettings | None = None,
    notifier: Notifier | None = None,
    public_url: str = "",
) -> None:
    from aiosmtpd.controller import Controller

    from web.db.engine import make_engine
    from web.db.migrate import upgrade

    engine = make_engine(database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    controller = Controller(
        Handler(database_url, addresses, settings, notifier, public_url),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE,
    )
    controller.start()
    print(f"faults mailbox listening on {host}:{port} for {', '.join(addresses)}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()
