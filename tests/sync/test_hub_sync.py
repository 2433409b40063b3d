"""The hub's side of the sync, hub and cloud in one process (the real Hub on its SQLite store,
the real cloud app over httpx's ASGI transport): a fault of its own never ends the sync; a
revoked site token is refused; a reservation cancelled online reaches the hub in the next
incremental pull and can no longer check in."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import inspect
import json
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from hub.config import CloudSettings, load_site, parse_site_file
from hub.contract import messages as msg
from hub.contract import sync as contract
from hub.contract.topics import Operation
from hub.service import Hub, Inbound
from hub.store.database import EventStore
from hub.sync import CloudSync
from tests.support.sitefile import site_toml, write_site_file
from tests.support.webproc import okienko, six_digit_code
from tests.sync.conftest import SITE, Cloud, issued
from web.catalog import import_site
from web.notify.outbox import Notifier
from web.reservations import store as reservations
from web.reservations.booking import TZ
from web.sync import tokens


@dataclass
class Replies:
    """The hub's publisher: keeps what it says to each device."""

    got: dict[str, asyncio.Queue[bytes]] = field(default_factory=dict)

    async def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, correlation: bytes | None = None
    ) -> None:
        self.got.setdefault(topic, asyncio.Queue()).put_nowait(payload)


@dataclass
class Site:
    hub: Hub
    replies: Replies
    settings: CloudSettings

    async def ask(self, device: str, operation: str, request: msg.Request) -> msg.Reply:
        self.hub.submit(Inbound(device, operation, request.model_dump_json().encode()))
        topic = self.hub.topics.reply(device)
        queue = self.replies.got.setdefault(topic, asyncio.Queue())
        return msg.Reply.model_validate_json(await asyncio.wait_for(queue.get(), 5))

    async def issue(self) -> msg.TicketInfo:
        reply = await self.ask(
            "dispenser-1",
            Operation.ISSUE_TICKET,
            msg.IssueTicketRequest(request_id=f"r{id(object())}", service="dowody"),
        )
        assert reply.ok and reply.ticket, reply
        return reply.ticket

    async def check_in(self, code: str) -> msg.Reply:
        return await self.ask(
            "dispenser-1",
            Operation.CHECK_IN,
            msg.CheckInRequest(request_id=f"c{id(object())}", code=code),
        )

    def sync(self, cloud: Cloud, **options: Any) -> CloudSync:
        settings = self.settings.model_copy(update=options)
        return CloudSync(self.hub, settings, transport=httpx.ASGITransport(app=cloud.app))


@pytest.fixture
async def site(tmp_path: Path, cloud: Cloud) -> AsyncIterator[Site]:
    toml = site_toml(
        site_id=SITE, database=tmp_path / "hub.sqlite3", mqtt_port=1, hub_password="x"
    ).replace("priority_streak = 2", "priority_streak = 2\ncheckin_early_minutes = 180")
    (tmp_path / "site.toml").write_text(toml, encoding="utf-8")
    site_file = load_site(tmp_path / "site.toml")
    await import_site(cloud.app.state.engine, site_file.site)
    hub = Hub(site_file.site, EventStore(tmp_path / "hub.sqlite3"))
    await hub.start()
    replies = Replies()
    hub.publisher = replies
    worker = asyncio.create_task(hub.run())
    settings = CloudSettings(url="http://cloud", token=cloud.token, interval_s=0.2)
    yield Site(hub, replies, settings)
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    await hub.store.close()


async def cloud_seqs(cloud: Cloud) -> list[int]:
    async with cloud.app.state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT hub_seq FROM queue_events ORDER BY hub_seq"))
        return [r[0] for r in rows]


async def eventually(check: Callable[[], object], what: str, seconds: float = 10) -> None:
    """Until ``check()`` (a value or an awaitable) is true."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await _value(check()):
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _value(result: object) -> object:
    return await result if inspect.isawaitable(result) else result


async def test_a_fault_of_the_hubs_own_store_does_not_end_the_sync(site: Site, cloud: Cloud):
    await site.issue()
    real = site.hub.store.events_since
    failures = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise sqlite3.OperationalError("disk I/O error")
        return await real(*args, **kwargs)

    site.hub.store.events_since = flaky  # type: ignore[method-assign]
    reports: list[msg.SyncHealth] = []

    def report(health: msg.SyncHealth) -> None:
        reports.append(health)
        if len(reports) == 1:
            raise RuntimeError("the broker is away too")

    sync = site.sync(cloud)
    sync.on_health = report
    task = asyncio.create_task(sync.run())
    try:
        await eventually(lambda: reports, "the failure reported")
        assert not reports[0].online and "OperationalError" in (reports[0].last_error or "")
        # After the backoff the sync carries on: the event reaches the cloud, health is back.
        await eventually(lambda: sync.health.online, "the sync healthy again")
        assert await cloud_seqs(cloud) == [1] and not task.done()
        assert reports[-1].online and reports[-1].backlog == 0
        # And it keeps going: the next ticket arrives too.
        await site.issue()

        async def two() -> bool:
            return len(await cloud_seqs(cloud)) == 2

        await eventually(two, "the next event in the cloud")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def site_token(database_url: str, *args: str) -> str:
    """``okienko site-token …``, as the administrator runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "okienko.cli",
        "site-token",
        *args,
        "--database-url",
        database_url,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    return out.decode().strip()


async def test_a_revoked_site_token_is_refused_for_push_and_pull(
    site: Site, cloud: Cloud, tmp_path: Path
):
    url = str(cloud.app.state.engine.url)
    token = await site_token(url, "create", "--site", SITE)
    await import_site(
        cloud.app.state.engine,
        parse_site_file(write_site_file(tmp_path, "inny-urzad").read_text()).site,
    )
    other = await site_token(url, "create", "--site", "inny-urzad")
    empty = contract.PushRequest().model_dump_json()
    async with cloud.client(token) as hub:
        assert (await hub.get(contract.PULL_PATH, params={"after": 0})).status_code == 200
        assert (await hub.post(contract.PUSH_PATH, content=empty)).status_code == 200
        said = await site_token(url, "revoke", "--site", SITE)
        assert said.startswith("2 token(s)")  # the fixture's and this one
        pull = await hub.get(contract.PULL_PATH, params={"after": 0})
        push = await hub.post(contract.PUSH_PATH, content=empty)
        assert (pull.status_code, push.status_code) == (401, 401)
        assert push.headers["www-authenticate"] == "Bearer"
    async with cloud.client(other) as neighbour:  # another site's hub is not affected
        assert (await neighbour.get(contract.PULL_PATH, params={"after": 0})).status_code == 200
    # The hub says so in its health, keeps its events, and takes a new token from its file.
    await site.issue()
    token_file = tmp_path / "token"
    token_file.write_text(token, encoding="utf-8")
    sync = site.sync(cloud, token=None, token_file=token_file)
    task = asyncio.create_task(sync.run())
    try:
        await eventually(lambda: "401" in (sync.health.last_error or ""), "a 401")
        assert not sync.health.online and sync.health.backlog == 1
        assert await cloud_seqs(cloud) == []
        token_file.write_text(await site_token(url, "create", "--site", SITE), encoding="utf-8")
        await eventually(lambda: sync.health.online, "the new token accepted", seconds=40)
        assert await cloud_seqs(cloud) == [1]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def mailed_code(outbox: Path, contact: str) -> str:
    (mail,) = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in outbox.glob("*.eml")
        if contact in p.read_text(encoding="utf-8", errors="replace")
    ]
    return six_digit_code(mail)  # type: ignore[arg-type]


async def book(cloud: Cloud, outbox: Path, start: datetime, contact: str) -> str:
    """A visit booked and confirmed through the cloud's booking API; its access code."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=cloud.app), base_url="http://cloud"
    ) as web:
        held = await web.post(
            "/api/v1/reservations",
            json={
                "service": "dowody",
                "start": start.isoformat(),
                "name": "Jan",
                "contact": contact,
                "terms": True,
                "privacy": True,
            },
        )
        assert held.status_code == 201, held.text
        done = await web.post(
            f"/api/v1/reservations/{held.json()['id']}/confirm",
            json={"code": mailed_code(outbox, contact)},
        )
        assert done.status_code == 200, done.text
        return str(done.json()["access_code"])


async def test_a_hubs_token_cannot_check_in_another_sites_reservation(
    site: Site, cloud: Cloud, tmp_path: Path
):
    """The attack: a hub of another office (or its stolen token) sends a ticket that names
    this office's access code; the visit must stay confirmed. Its own hub's event checks in."""
    cloud.app.state.notifier = Notifier.outbox(tmp_path / "outbox")
    start = datetime.now(TZ).replace(second=0, microsecond=0) + timedelta(hours=2)
    start = start.replace(minute=(start.minute // 10) * 10)
    code = await book(cloud, tmp_path / "outbox", start, "jan.obcy@example.org")
    engine = cloud.app.state.engine
    await import_site(engine, load_site(write_site_file(tmp_path, "inny-urzad")).site)
    other = await tokens.create(engine, "inny-urzad")

    def ticket(seq: int) -> contract.PushRequest:
        body = issued(seq, f"t{seq}", f"tok-{seq}", f"R{seq:03d}").body
        return contract.PushRequest(
            events=[
                contract.SyncEvent(
                    seq=seq, body={**body, "kind": "reservation", "reservation_code": code}
                )
            ]
        )

    async with cloud.client(other) as foreign:
        r = await foreign.post(contract.PUSH_PATH, content=ticket(1).model_dump_json())
        assert r.status_code == 200, r.text
    stays = await reservations.get(engine, code=code)
    assert stays is not None and stays.status == "confirmed"
    async with cloud.client() as own:
        r = await own.post(contract.PUSH_PATH, content=ticket(1).model_dump_json())
        assert r.status_code == 200, r.text
    arrived = await reservations.get(engine, code=code)
    assert arrived is not None and arrived.status == "checked_in"


@dataclass
class Recorder(httpx.AsyncBaseTransport):
    """The cloud's transport, noting each pull's cursor and the codes it brought."""

    inner: httpx.AsyncBaseTransport
    pulls: list[tuple[int, list[str]]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path == contract.PULL_PATH:
            await response.aread()
            page = contract.PullReply.model_validate_json(response.content)
            after = int(request.url.params["after"])
            self.pulls.append((after, [r.code for r in page.items]))
        return response


async def test_a_reservation_cancelled_online_reaches_the_hub_and_cannot_check_in(
    site: Site, cloud: Cloud, tmp_path: Path
):
    cloud.app.state.notifier = Notifier.outbox(tmp_path / "outbox")
    start = datetime.now(TZ).replace(second=0, microsecond=0) + timedelta(hours=2)
    start = start.replace(minute=(start.minute // 10) * 10)
    kept = await book(cloud, tmp_path / "outbox", start, "jan.kept@example.org")
    gone = await book(cloud, tmp_path / "outbox", start, "jan.gone@example.org")
    sync = site.sync(cloud)
    recorder = Recorder(httpx.ASGITransport(app=cloud.app))
    async with httpx.AsyncClient(
        base_url="http://cloud",
        transport=recorder,
        headers={"Authorization": f"Bearer {cloud.token}"},
    ) as client:
        await sync.pull(client)
        first = recorder.pulls[0]
        assert first[0] == 0 and sorted(first[1]) == sorted([kept, gone])
        assert (await site.hub.store.reservation(gone)) is not None
        recorder.pulls.clear()
        # The visitor cancels online; the hub's next pull brings that change and nothing else.
        await reservations.cancel(cloud.app.state.engine, gone, datetime.now(UTC))
        await sync.pull(client)
    cursor = await site.hub.store.sync_value("reservations")
    assert recorder.pulls[0][0] > 0 and recorder.pulls[0][1] == [gone]
    assert all(codes == [] for _, codes in recorder.pulls[1:])
    assert recorder.pulls[-1][0] == cursor
    refused = await site.check_in(gone)
    assert not refused.ok and refused.error and refused.error.code == "reservation_cancelled"
    admitted = await site.check_in(kept)
    assert admitted.ok and admitted.ticket and admitted.ticket.kind == "reservation", admitted
    # The ticket carries the number the visitor was sent with the access code (R00x).
    visit = await reservations.get(cloud.app.state.engine, code=kept)
    assert visit is not None and visit.number is not None
    assert admitted.ticket.number == reservations.ticket_label(visit.number)


async def test_tickets_issued_while_the_cloud_is_away_show_in_the_backlog_at_once(site: Site):
    """The hub's status (what reception and the technician see) counts the unsent events as
    they are made, not only at the sync's next try, which may be a minute away."""
    attempts = 0

    def unreachable(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("All connection attempts failed", request=request)

    reports: list[msg.SyncHealth] = []
    sync = CloudSync(site.hub, site.settings, transport=httpx.MockTransport(unreachable))
    sync.on_health = reports.append
    task = asyncio.create_task(sync.run())
    try:
        await eventually(lambda: reports, "the outage reported")
        assert not reports[-1].online and reports[-1].backlog == 0 and attempts == 1
        await site.issue()
        await eventually(lambda: reports[-1].backlog == 1, "the backlog of one", seconds=3)
        assert attempts == 1, "the backlog waited for a retry instead of being told at once"
        for _ in range(2):  # then at most once a second, and at every try
            await site.issue()
        await eventually(lambda: reports[-1].backlog == 3, "the backlog of three", seconds=5)
        assert not reports[-1].online and "connection" in (reports[-1].last_error or "")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_token_for_a_site_the_cloud_does_not_have_is_refused(cloud: Cloud) -> None:
    """A typo (`--site bydgoszcz-uc`) would sync a hub into nowhere: refused in one line."""
    url = str(cloud.app.state.engine.url)
    run = okienko(
        "site-token", "create", "--site", "bydgoszcz-uc", "--database-url", url, check=False
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == f"no site 'bydgoszcz-uc' in this cloud; its sites: {SITE}"


async def test_a_hub_of_another_site_is_told_its_token_is_not_its_own(
    site: Site, cloud: Cloud, tmp_path: Path
) -> None:
    """The token is the cloud's site 'urzad', the hub is configured as another site: no
    event lands in the wrong site, and the hub's status names both."""
    other = tmp_path / "other"
    other.mkdir()
    site_file = load_site(write_site_file(other, "bydgoszcz-uc"))
    hub = Hub(site_file.site, EventStore(other / "hub.sqlite3"))
    await hub.start()
    replies = Replies()
    hub.publisher = replies
    worker = asyncio.create_task(hub.run())
    stranger = Site(hub, replies, site.settings)
    await stranger.issue()
    sync = stranger.sync(cloud)
    task = asyncio.create_task(sync.run())
    try:
        await eventually(lambda: "409" in (sync.health.last_error or ""), "a 409")
        said = sync.health.last_error or ""
        assert f"belongs to site '{SITE}'" in said and "the hub is site 'bydgoszcz-uc'" in said
        assert not sync.health.online
        assert await cloud_seqs(cloud) == []
    finally:
        for t in (task, worker):
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await hub.store.close()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://root@127.0.0.1/okienko", "database URL"),
        ("postgresql://okienko:s3cret@127.0.0.1:1/okienko", "cannot connect to the database"),
    ],
)
def test_site_token_with_a_database_it_cannot_use_says_so_in_one_line(url: str, said: str) -> None:
    run = okienko("site-token", "create", "--site", SITE, "--database-url", url, check=False)
    assert run.returncode == 2 and said in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and "s3cret" not in run.stderr


async def test_a_clerk_lockout_reaches_the_cloud_as_an_event(site: Site, cloud: Cloud):
    """Five wrong PINs lock the clerk; the lockout is stored like the queue's events and the
    sync ships it, so the cloud's reports can count lockouts per site and terminal."""
    for i in range(5):
        wrong = msg.SignInRequest(request_id=f"wrong-pin-{i}", clerk="ewa", pin="0000")
        reply = await site.ask("terminal-1", Operation.SIGN_IN, wrong)
    assert reply.error and reply.error.code == "clerk_locked"
    sync = site.sync(cloud)
    task = asyncio.create_task(sync.run())
    try:
        await eventually(lambda: sync.health.online and sync.health.backlog == 0, "the push")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    async with cloud.app.state.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT type, body FROM queue_events"))).all()
    assert [r.type for r in rows] == ["clerk_locked"]
    body = json.loads(rows[0].body)
    assert (body["clerk"], body["device"], body["counter"]) == ("ewa", "terminal-1", "s1")
