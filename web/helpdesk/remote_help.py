"""The helpdesk's "Pomoc zdalna" page (seed 000): the services centre's contact details, the
remote-support program's download link (``okienko web --helpdesk-remote-url``; none unless
configured, nothing tied to a vendor) and a short FAQ the helpdesk administrator writes.

The FAQ is plain text with a little markdown: ``## `` starts a question, ``- `` a list item,
a blank line a paragraph. Everything is escaped first, so what the administrator types is
never markup; links are only the addresses typed in full (http/https)."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from web.helpdesk import tables as t

MAX_FAQ = 20_000
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


class HelpError(ValueError):
    pass


def check_remote_url(text: str) -> str:
    """The download link as configured: an absolute http(s) address, else a refusal."""
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise HelpError(f"--helpdesk-remote-url {text!r}: give an http:// or https:// address")
    return url


def file_name(url: str) -> str:
    """What the download link shows: the file's name, else the whole address."""
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return last or url


def _inline(text: str) -> Markup:
    escaped = str(escape(text))
    return Markup(
        _URL.sub(lambda m: f'<a href="{m.group(0)}" rel="noopener">{m.group(0)}</a>', escaped)
    )


def render_faq(source: str) -> Markup:
    """The FAQ's text as HTML: questions (``## ``) as headings, lists, paragraphs."""
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{Markup('<br>').join(_inline(x) for x in para)}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in items) + "</ul>")
            items.clear()

    for raw in source.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            out.append(f"<h3>{_inline(line.lstrip('#').strip())}</h3>")
        elif line.startswith(("- ", "* ")):
            if para:
                flush()
            items.append(line[2:].strip())
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return Markup("\n".join(out))


async def faq(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return str(
            await conn.scalar(select(t.help_pages.c.body).where(t.help_pages.c.id == 1)) or ""
        )


async def save_faq(engine: AsyncEngine, body: str, user_id: int, now: datetime) -> None:
    body = body.replace("\r\n", "\n").strip()
    if len(body) > MAX_FAQ:
        raise HelpError("The FAQ may have at most 20,000 characters.")
    async with engine.begin() as conn:
        done = await conn.execute(
            update(t.help_pages)
            .where(t.help_pages.c.id == 1)
            .values(body=body, updated_at=now, updated_by=user_id)
        )
        if done.rowcount == 0:
            await conn.execute(
                insert(t.help_pages).values(id=1, body=body, updated_at=now, updated_by=user_id)
            )
