"""A visitor's alert survives a failed send: an SMTP server that refuses once gets the message
on the next round, one that always refuses is not tried for ever; and the visitor's N for
"N people ahead" holds for Web Push as for SMS and e-mail. The cloud in process, on SQLite
and PostgreSQL, with a real SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Table, select

from hub.contract import sync as contract
from tests.support.webproc import Inbox, body_text, free_port
from tests.sync.conftest import Cloud, issued, snapshot
from web.db.models import TicketAlert
from web.notify.mail import Mailer, SmtpSettings
from web.notify.outbox import Notifier
from web.notify.sms import FileGateway
from web.sync.alerts import MAX_TRIES, send_alerts

AL = cast(Table, TicketAlert.__table__)
TOKEN = "tok-alert-1"


class Refusing(Inbox):
    """An SMTP server that answers "try again later" to the first ``refusals`` messages."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.refusals = refusals
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.attempts += 1
        if self.attempts <= self.refusals:
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


def smtp(refusals: int) -> Iterator[Refusing]:
    inbox, port = Refusing(refusals), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def refuses_once() -> Iterator[Refusing]:
    yield from smtp(1)


@pytest.fixture
def refuses_always() -> Iterator[Refusing]:
    yield from smtp(10_000)


def web(cloud: Cloud) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=cloud.app), base_url="http://cloud")


async def ask_for_an_alert(
    cloud: Cloud, server: Refusing, contact: str, ahead: int, lang: str = "pl"
) -> None:
    """A waiting ticket (2 ahead) whose visitor asks, on the page, to be told at ``ahead``."""
    port = server.port  # type: ignore[attr-defined]
    cloud.app.state.notifier = Notifier(
        Mailer(SmtpSettings(port=port, sender="Urząd <no-reply@um.example>", timeout=5)),
        FileGateway(Path("/dev/null")),  # no SMS in these tests
    )
    tickets = [contract.TicketLive(token=TOKEN, ahead=2, wait_s=300)]
    await cloud.push(issued(1, "t1", TOKEN, "A007"), snap=snapshot(tickets=tickets))
    async with web(cloud) as client:
        page = (await client.get(f"/e/{TOKEN}?lang={lang}")).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form = await client.post(
            f"/e/{TOKEN}/alert", data={"contact": contact, "ahead": ahead, "csrf_token": csrf}
        )
        assert form.status_code == 303


async def test_a_message_the_smtp_server_refused_once_is_sent_on_the_next_round(
    any_cloud: Cloud, refuses_once: Refusing
):
    await ask_for_an_alert(any_cloud, refuses_once, "ola@example.org", ahead=2)
    assert await send_alerts(any_cloud.app, datetime.now(UTC)) == 0  # "451: try again later"
    assert refuses_once.attempts == 1 and refuses_once.to("ola@example.org") == []
    assert await send_alerts(any_cloud.app, datetime.now(UTC)) == 1
    (mail,) = refuses_once.to("ola@example.org")
    assert "A007" in body_text(mail) and "2" in body_text(mail)
    # Sent once: later rounds leave it alone.
    assert await send_alerts(any_cloud.app, datetime.now(UTC)) == 0
    assert refuses_once.attempts == 2


async def test_a_message_always_refused_is_given_up_after_a_few_tries(
    cloud: Cloud, refuses_always: Refusing
):
    await ask_for_an_alert(cloud, refuses_always, "ola@example.org", ahead=3)
    for _ in range(MAX_TRIES + 3):
        assert await send_alerts(cloud.app, datetime.now(UTC)) == 0
    assert refuses_always.attempts == MAX_TRIES
    async with cloud.app.state.engine.connect() as conn:
        claimed = await conn.scalar(select(AL.c.sent_ahead_at))
    assert claimed is not None  # not offered again in this worker or another


async def test_an_alert_asked_on_the_ukrainian_page_is_sent_in_ukrainian(
    cloud: Cloud, refuses_once: Refusing
):
    await ask_for_an_alert(cloud, refuses_once, "olena@example.org", ahead=2, lang="uk")
    assert await send_alerts(cloud.app, datetime.now(UTC)) == 0  # refused once
    assert await send_alerts(cloud.app, datetime.now(UTC)) == 1
    (mail,) = refuses_once.to("olena@example.org")
    assert body_text(mail).strip() == "Наближається ваша черга: перед талоном A007 — 2 особи."


def subscription(n: int) -> dict[str, Any]:
    return {
        "endpoint": f"https://push.example/visitor-{n}",
        "keys": {"p256dh": "B" * 87, "auth": "a" * 22},
    }


async def test_the_visitor_chooses_n_for_web_push_too(cloud: Cloud):
    # Trusted as a development service would be: the test resolves no name in the network.
    cloud.app.state.push_trusted = frozenset({"https://push.example:443"})
    await cloud.push(issued(1, "t1", TOKEN, "A007"), snap=snapshot())
    async with web(cloud) as client:
        page = (await client.get(f"/e/{TOKEN}")).text
        csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        # One N on the page, asked before either way of being told.
        assert page.index('id="ahead"') < page.index('id="push-subscribe"')
        assert page.index('id="ahead"') < page.index('id="contact"')
        headers = {"X-CSRF-Token": csrf}
        url = f"/e/{TOKEN}/push"
        chosen = await client.post(
            url, json={"subscription": subscription(1), "ahead": 5}, headers=headers
        )
        assert chosen.status_code == 201
        bare = await client.post(url, json=subscription(2), headers=headers)  # an older page
        assert bare.status_code == 201
        for wrong in (0, 31, "x", 2.5):
            refused = await client.post(
                url, json={"subscription": subscription(3), "ahead": wrong}, headers=headers
            )
            assert refused.status_code == 422, wrong
    async with cloud.app.state.engine.connect() as conn:
        wanted = [r.ahead for r in await conn.execute(select(AL.c.ahead).order_by(AL.c.id))]
    assert wanted == [5, 3]
