"""The e-ticket page and the information board follow the site live: a change that lands while a
stream reads the database is not lost, the board updates by itself, and the page says plainly
when the office is offline and when the ticket is finished. The cloud runs in process; the
streams are the routes' own server-sent events, read chunk by chunk."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Table, update
from starlette.requests import Request
from starlette.responses import StreamingResponse

from tests.sync.conftest import SITE, Cloud, called, event, issued, snapshot
from web.db.models import SiteSync
from web.eticket import routes

SS = cast(Table, SiteSync.__table__)


async def open_stream(
    cloud: Cloud, handler: Callable[[Request], Awaitable[Any]], **params: str
) -> AsyncIterator[str | bytes]:
    scope = {
        "type": "http",
        "app": cloud.app,
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "headers": [],
        "path_params": params,
    }
    response = await handler(Request(scope))
    assert isinstance(response, StreamingResponse)
    return cast(AsyncIterator[str | bytes], response.body_iterator)


async def next_html(stream: AsyncIterator[str | bytes], seconds: float) -> str:
    """The next update's HTML (keep-alives skipped), or a TimeoutError."""

    async def read() -> str:
        async for chunk in stream:
            text = chunk if isinstance(chunk, str) else chunk.decode()
            if text.startswith("data:"):
                return str(json.loads(text[5:])["html"])
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(read(), seconds)


async def test_a_call_during_the_streams_query_reaches_the_page_at_once(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
):
    assert (await cloud.push(issued(1, "t1", "tok-race-1", "A001"), snap=snapshot())).is_success
    real = routes.ticket_view
    calls = 0

    async def slow_view(*args: Any, **kwargs: Any) -> Any:
        """The stream's first query reads "waiting"; the call lands before it renders."""
        nonlocal calls
        view = await real(*args, **kwargs)
        calls += 1
        if calls == 2:  # 1: the route's own check; 2: the stream's first read
            assert (await cloud.push(called(2, "t1"), snap=snapshot())).is_success
        return view

    monkeypatch.setattr(routes, "ticket_view", slow_view)
    stream = await open_stream(cloud, routes.ticket_stream, token="tok-race-1")
    assert "Osób przed Tobą" in await next_html(stream, 5)
    # Not at the hub's next push (or the 15 s heartbeat): now.
    assert "Zapraszamy do stanowiska 3" in await next_html(stream, 1)


async def test_a_change_during_the_boards_query_reaches_the_board_at_once(
    cloud: Cloud, monkeypatch: pytest.MonkeyPatch
):
    assert (
        await cloud.push(issued(1, "t1", "tok-b-1", "A001"), snap=snapshot(waiting=1))
    ).is_success
    real = routes.site_state
    calls = 0

    async def slow_state(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        state = await real(*args, **kwargs)
        calls += 1
        if calls == 1:
            snap = snapshot(waiting=0, calls=["A001"])
            assert (await cloud.push(called(2, "t1"), snap=snap)).is_success
        return state

    monkeypatch.setattr(routes, "site_state", slow_state)
    stream = await open_stream(cloud, routes.board_stream, site=SITE)
    assert "Dziś nie było jeszcze wywołań." in await next_html(stream, 5)
    assert "A001" in await next_html(stream, 1)


async def test_the_board_shows_each_call_and_the_waiting_as_they_happen(cloud: Cloud):
    await cloud.push(
        issued(1, "t1", "tok-b-1", "A001"),
        issued(2, "t2", "tok-b-2", "A002"),
        snap=snapshot(waiting=2),
    )
    stream = await open_stream(cloud, routes.board_stream, site=SITE)
    first = await next_html(stream, 5)
    assert "Dowody osobiste" in first and "<td>2</td>" in first and "A001" not in first
    await cloud.push(called(3, "t1"), snap=snapshot(waiting=1, calls=["A001"]))
    second = await next_html(stream, 1)
    assert "A001" in second and "Stanowisko 3" in second and "<td>1</td>" in second
    await cloud.push(called(4, "t2"), snap=snapshot(waiting=0, calls=["A002", "A001"]))
    third = await next_html(stream, 1)
    assert third.index("A002") < third.index("A001")  # the newest call first
    assert "<td>0</td>" in third


async def test_the_page_says_when_the_office_is_offline(cloud: Cloud):
    await cloud.push(issued(1, "t1", "tok-off-1", "A001"), snap=snapshot())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=cloud.app), base_url="http://cloud"
    ) as web:
        online = (await web.get("/e/tok-off-1")).text
        assert "Osób przed Tobą" in online and "bez połączenia" not in online
        # The hub has not been heard from for two minutes.
        async with cloud.app.state.engine.begin() as conn:
            await conn.execute(
                update(SS)
                .where(SS.c.location_id == SITE)
                .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=2))
            )
        page = (await web.get("/e/tok-off-1")).text
        assert "Urząd jest w tej chwili bez połączenia." in page
        assert "Twoje miejsce w kolejce jest zachowane." in page
        board = (await web.get(f"/board/{SITE}")).text
        assert "Urząd jest w tej chwili bez połączenia. Wyświetlane dane" in board
    stream = await open_stream(cloud, routes.ticket_stream, token="tok-off-1")
    assert "bez połączenia" in await next_html(stream, 5)
    # The hub is back: the page says so without a reload.
    await cloud.push(snap=snapshot())
    assert "bez połączenia" not in await next_html(stream, 1)


async def test_a_finished_ticket_says_so_and_its_stream_ends(cloud: Cloud):
    await cloud.push(issued(1, "t1", "tok-fin-1", "A001"), called(2, "t1"), snap=snapshot())
    stream = await open_stream(cloud, routes.ticket_stream, token="tok-fin-1")
    assert "Zapraszamy do stanowiska 3" in await next_html(stream, 5)
    await cloud.push(
        event(3, {"type": "service_started", "ticket_id": "t1", "counter": "s3"}),
        event(4, {"type": "service_finished", "ticket_id": "t1", "counter": "s3"}),
        snap=snapshot(),
    )
    assert "Obsługa zakończona. Dziękujemy." in await next_html(stream, 1)
    rest = [c async for c in stream]
    assert rest == ["event: end\ndata: {}\n\n"]  # the browser stops listening
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=cloud.app), base_url="http://cloud"
    ) as web:
        page = (await web.get("/e/tok-fin-1")).text
    assert "Obsługa zakończona. Dziękujemy." in page
    assert "Powiadom mnie" not in page  # no alerts for a finished ticket
    # Even if the office is offline, a finished ticket is not told to wait for it.
    assert "bez połączenia" not in page


async def test_an_unknown_sites_stream_is_refused_and_leaves_nothing_behind(cloud: Cloud):
    """The attack: streams opened for made-up sites, each of which the process would keep a
    waiting entry for (and hold a connection open for ever)."""
    live = cloud.app.state.live
    for n in range(20):
        scope = {"type": "http", "app": cloud.app, "method": "GET", "path": "/", "headers": []}
        response = await routes.board_stream(
            Request({**scope, "query_string": b"", "path_params": {"site": f"nie-ma-{n}"}})
        )
        assert response.status_code == 404
    assert not live._events and not live._waiting


async def test_a_closed_stream_leaves_nothing_behind(cloud: Cloud):
    await cloud.push(issued(1, "t1", "tok-gone-1", "A001"), snap=snapshot())
    stream = await open_stream(cloud, routes.board_stream, site=SITE)
    assert "A001" not in await next_html(stream, 5)
    waiting = asyncio.ensure_future(anext(aiter(stream)))
    await eventually_waiting(cloud)
    waiting.cancel()  # the browser went away while the stream waited for a change
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    live = cloud.app.state.live
    assert not live._events and not live._waiting


async def eventually_waiting(cloud: Cloud) -> None:
    for _ in range(500):
        if cloud.app.state.live._waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the stream never waited")
