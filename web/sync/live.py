"""Live updates for pages (e-ticket, information board) whichever worker serves them.

A page's stream waits on its site's ``asyncio.Event``. Ingest of a site's events sets it: in
this process directly, and on PostgreSQL through NOTIFY/LISTEN, so a page served by one
worker (or host) updates from events ingested by another. No state lives in the process
beyond who is waiting and a counter of notifications per site.

A stream takes the site's ``generation()`` before it reads the database and waits ``since``
it: a notification that lands while it reads and renders is then not lost (the wait returns
at once) instead of being seen only at the hub's next push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from web.sync.ingest import CHANNEL

log = logging.getLogger("okienko.web.live")


class Live:
    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiting: dict[str, int] = {}  # a site's entries go with its last waiter
        self._generations: dict[str, int] = {}
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None

    def generation(self, site: str) -> int:
        """How many times the site has changed; take it before reading what to show."""
        return self._generations.get(site, 0)

    def notify(self, site: str) -> None:
        self._generations[site] = self._generations.get(site, 0) + 1
        event = self._events.pop(site, None)
        if event is not None:
            event.set()  # everyone waiting wakes; the next waiters get a fresh event

    async def wait(self, site: str, seconds: float, since: int | None = None) -> bool:
        """True when the site changed within ``seconds`` (or already, after ``since``)."""
        if since is not None and self.generation(site) != since:
            return True
        event = self._events.setdefault(site, asyncio.Event())
        self._waiting[site] = self._waiting.get(site, 0) + 1
        try:
            await asyncio.wait_for(event.wait(), seconds)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiting[site] -= 1
            if not self._waiting[site]:
                del self._waiting[site]
                if self._events.get(site) is event:
                    del self._events[site]

    async def start(self, engine: AsyncEngine) -> None:
        if engine.dialect.name != "postgresql":
            return  # SQLite: one worker; ingest notifies in process
        self._task = asyncio.create_task(self._listen(engine), name="live-listen")

    async def _listen(self, engine: AsyncEngine) -> None:
        import asyncpg

        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        delay = 1.0
        while True:
            try:
                closed = asyncio.Event()
                self._conn = await asyncpg.connect(dsn)
                self._conn.add_termination_listener(lambda _c, ev=closed: ev.set())
                await self._conn.add_listener(CHANNEL, self._on_notify)
                delay = 1.0
                for site in list(self._events):  # what changed while we were not listening
                    self.notify(site)
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarts: listen again, pages poll meanwhile
                log.warning("live updates: LISTEN failed (%s); retrying", exc)
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.notify(payload)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
