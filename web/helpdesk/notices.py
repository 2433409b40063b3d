"""The helpdesk's e-mails, in Polish from the installation's no-reply sender: confirmation to
the filer, "Nowe zgłoszenie" to service staff, the files' password to the recipients only, status
changes, new messages, the rating link, and the account links. A failed send is logged and
never undoes the change that caused it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from starlette.applications import Starlette

from web.helpdesk import tables as t
from web.helpdesk.accounts import staff_emails
from web.helpdesk.domain import STATUS_LABELS, Role, Status
from web.i18n import _

log = logging.getLogger("okienko.web.helpdesk")


def _url(app: Starlette, path: str) -> str:
    base = (getattr(app.state, "public_url", None) or "http://127.0.0.1:8000").rstrip("/")
    return base + path


async def _send(app: Starlette, to: str, subject: str, text: str) -> None:
    try:
        await app.state.notifier.send(to, subject, text)
    except Exception:  # the request changed; the mail is secondary (logged without content)
        log.exception("helpdesk mail could not be sent")


async def _request(app: Starlette, request_id: int) -> Any:
    async with app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    t.requests,
                    t.services.c.name.label("service_name"),
                    t.units.c.name.label("unit_name"),
                    t.users.c.email.label("filer_email"),
                )
                .join(t.services, t.services.c.id == t.requests.c.service_id)
                .join(t.units, t.units.c.id == t.requests.c.unit_id)
                .join(t.users, t.users.c.id == t.requests.c.filed_by)
                .where(t.requests.c.id == request_id)
            )
        ).first()
        staff = await staff_emails(conn)
    return row, staff


def _about(row: Any) -> str:
    return _("Request no. %(n)s · %(unit)s · %(service)s") % {
        "n": row.id,
        "unit": row.unit_name,
        "service": row.service_name,
    }


async def filed(app: Starlette, request_id: int, password: str | None) -> None:
    """After filing: the filer's confirmation; when published, the staff's "Nowe zgłoszenie"."""
    row, staff = await _request(app, request_id)
    link = _url(app, f"/helpdesk/r/{row.id}")
    status = _(STATUS_LABELS[Status(row.status)])
    await _send(
        app,
        row.filer_email,
        _("Request no. %(n)s received") % {"n": row.id},
        f"{_about(row)}\n{_('Request status')}: {status}\n\n{row.text}\n\n{link}\n",
    )
    if row.status == Status.NEW:
        await published(app, request_id)
    if password:
        # Only the recipients (service staff) get the password; the filer and the server don't.
        for to in staff:
            await _send(
                app,
                to,
                _("Password for the files of request no. %(n)s") % {"n": row.id},
                _("The files attached to this request are encrypted. Their password:")
                + f"\n\n{password}\n\n{_about(row)}\n{link}\n",
            )


async def published(app: Starlette, request_id: int) -> None:
    row, staff = await _request(app, request_id)
    link = _url(app, f"/helpdesk/r/{row.id}")
    for to in staff:
        await _send(app, to, _("New request"), f"{_about(row)}\n\n{row.text}\n\n{link}\n")


async def status_changed(
    app: Starlette, request_id: int, comment: str, rating_token: str | None
) -> None:
    row, _staff = await _request(app, request_id)
    status = _(STATUS_LABELS[Status(row.status)])
    text = f"{_about(row)}\n{_('Request status')}: {status}\n"
    if comment.strip():
        text += f"{_('Comment')}: {comment.strip()}\n"
    text += f"\n{_url(app, f'/helpdesk/r/{row.id}')}\n"
    subject = _("Request no. %(n)s: %(status)s") % {"n": row.id, "status": status}
    if rating_token:
        subject = _("Rate request no. %(n)s") % {"n": row.id}
        text += "\n" + _(
            "Please rate how the request was handled (1–5 stars with a justification) within "
            "30 days:"
        )
        text += f"\n{_url(app, f'/helpdesk/rate/{rating_token}')}\n"
    await _send(app, row.filer_email, subject, text)


async def new_message(
    app: Starlette,
    request_id: int,
    author_id: int,
    body: str,
    filenames: Sequence[str] = (),
    password: str | None = None,
) -> None:
    """To the other side: from the unit → the handler (or all service staff before anyone took
    it); from the staff → the unit's people on the request. The password of the message's
    encrypted files goes apart, to the recipients only: from the unit, the staff handling it;
    from the staff, every user of the unit (each of them sees the request)."""
    row, staff = await _request(app, request_id)
    async with app.state.engine.connect() as conn:
        author = (await conn.execute(select(t.users).where(t.users.c.id == author_id))).first()
        ids = {row.filed_by, row.handler_id}
        ids |= set(
            await conn.scalars(
                select(t.messages.c.author_id).where(t.messages.c.request_id == request_id)
            )
        )
        people = list(
            await conn.execute(
                select(t.users).where(
                    t.users.c.id.in_([i for i in ids if i]), t.users.c.active.is_(True)
                )
            )
        )
        unit_users = list(
            await conn.scalars(
                select(t.users.c.email).where(
                    t.users.c.unit_id == row.unit_id,
                    t.users.c.role == str(Role.UNIT),
                    t.users.c.active.is_(True),
                )
            )
        )
    if author is None:
        return
    from_unit = author.role == Role.UNIT
    if from_unit:
        to = [p.email for p in people if p.role != Role.UNIT] or staff
    else:
        to = [p.email for p in people if p.role == Role.UNIT]
    link = _url(app, f"/helpdesk/r/{row.id}")
    files = f"{_('Attachments')}: {', '.join(filenames)}\n\n" if filenames else ""
    text = f"{_about(row)}\n{author.name}:\n\n{body}\n\n{files}{link}\n"
    for address in sorted(set(to) - {author.email}):
        await _send(app, address, _("New message on request no. %(n)s") % {"n": row.id}, text)
    if password:
        keys = _("The files attached to the message of %(name)s are encrypted. Their password:")
        text = f"{keys % {'name': author.name}}\n\n{password}\n\n{files}{_about(row)}\n{link}\n"
        for address in sorted(set(to if from_unit else unit_users) - {author.email}):
            subject = _("Password for the files of request no. %(n)s") % {"n": row.id}
            await _send(app, address, subject, text)


async def account_link(app: Starlette, email: str, token: str, *, new: bool) -> None:
    link = _url(app, f"/password/reset/{token}")
    if new:
        subject = _("User registration")
        text = _("An account in the request system was created for you. Set your password:")
    else:
        subject = _("Password reset")
        text = _("To set a new password open this link (valid for 60 minutes, once):")
    await _send(app, email, subject, f"{text}\n\n{link}\n")
