"""The hub's sync with the cloud: push the stored queue events (the outbox) with a live
snapshot, pull the site's reservations from a cursor, and carry on alone when the cloud is
away, catching up with backoff.

Exactly once, whatever fails in between: the events are the hub's own append-only table, the
cursor of what the cloud has ("pushed") moves only after the cloud's answer, and the cloud
keys each event by (site, seq), so a batch sent twice takes effect once. Events go in seq
order, so in order per ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import ValidationError

from hub.config import CloudSettings
from hub.contract import messages as msg
from hub.contract import sync as contract
from hub.contract.sync import Snapshot as SyncSnapshot
from hub.domain.checkin import LocalReservation
from hub.service import Hub

log = logging.getLogger("okienko.hub.sync")

PUSHED = "pushed"
RESERVATIONS = "reservations"
# After `okienko restore hub`: the copy's last event seq, until the cloud has been asked how far
# it got. OFFSET is added to every local seq sent, so events made after a restore never reuse a
# seq the cloud holds for an event of the lost timeline (it would ignore them as repeats).
RESTORED = "restored"  # stored as the seq + 1
OFFSET = "seq_offset"
BACKOFF_MAX_S = 60.0
REPORT_EVERY_S = 30.0  # the status's "last success" stays this fresh
# Reservations that can check in; anything else is stored as not usable.
USABLE = frozenset({"confirmed", "checked_in"})


class CloudRefused(Exception):
    """The cloud answered, but not with what the contract promises."""


# The cloud away, refusing or answering nonsense: expected, logged in one line.
CLOUD_FAULTS = (httpx.HTTPError, CloudRefused, ValidationError, ValueError)


class CloudSync:
    def __init__(
        self,
        hub: Hub,
        settings: CloudSettings,
        *,
        software: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.hub = hub
        self.settings = settings
        self.software = software
        self.clock = clock
        self.transport = transport
        self.health = msg.SyncHealth(online=False)
        self.on_health: Callable[[msg.SyncHealth], object] | None = None
        self.backlog = 0
        self._reported = float("-inf")

    async def run(self) -> None:
        """Until cancelled; never raises: whatever fails is reported, backed off and retried."""
        backoff = 1.0
        last_pull = 0.0
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(
            base_url=self.settings.url.rstrip("/"),
            timeout=self.settings.timeout_s,
            transport=self.transport,
        ) as client:
            while True:
                self.hub.changed.clear()
                try:
                    self._sign(client)
                    more = await self.push(client)
                    if loop.time() - last_pull >= self.settings.interval_s:
                        await self.pull(client)
                        last_pull = loop.time()
                    await self._healthy()
                    backoff = 1.0
                except Exception as exc:
                    if isinstance(exc, CLOUD_FAULTS):
                        log.warning("cloud sync failed (retrying in %.0f s): %s", backoff, exc)
                        error = str(exc) or type(exc).__name__
                    else:  # the store, the token file, a bug: logged in full, retried the same
                        log.exception("cloud sync failed (retrying in %.0f s)", backoff)
                        error = f"{type(exc).__name__}: {exc}"
                    await self._unhealthy(error)
                    await self._wait_out(backoff, error)
                    backoff = min(BACKOFF_MAX_S, backoff * 2)
                    continue
                if more:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.hub.changed.wait(), self.settings.interval_s)

    async def _wait_out(self, backoff: float, error: str) -> None:
        """Sleep ``backoff`` seconds without trying the cloud again, but keep the reported
        backlog true meanwhile: tickets issued during an outage show in the hub's status at
        once (at most once a second), not only at the next try."""
        loop = asyncio.get_running_loop()
        until = loop.time() + backoff
        while (left := until - loop.time()) > 0:
            self.hub.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.hub.changed.wait(), left)
                await self._unhealthy(error)
                await asyncio.sleep(min(1.0, max(0.0, until - loop.time())))

    def _sign(self, client: httpx.AsyncClient) -> None:
        # Read each round: a token file replaced after a revocation is used without a restart.
        token = self.settings.secret()
        if token:
            client.headers["Authorization"] = f"Bearer {token}"
        else:
            client.headers.pop("Authorization", None)

    async def push(self, client: httpx.AsyncClient) -> bool:
        """Send the next batch; True when more are waiting."""
        store = self.hub.store
        if marker := await store.sync_value(RESTORED):
            await self._rejoin(client, restored=marker - 1)
        pushed = await store.sync_value(PUSHED)
        offset = await store.sync_value(OFFSET)
        rows = await store.events_since(pushed, contract.MAX_BATCH)
        backlog = await store.count_events_after(rows[-1][0]) if rows else 0
        events = [contract.SyncEvent(seq=seq + offset, body=json.loads(b)) for seq, b in rows]
        # Only a caught-up snapshot: it must not show tickets the cloud has no event of.
        acked = await self._send(client, events, self.hub.snapshot() if backlog == 0 else None)
        if events and acked < events[-1].seq:
            raise CloudRefused(f"the cloud stored up to {acked} of {events[-1].seq}")
        if rows and rows[-1][0] > pushed:
            await store.set_sync_value(PUSHED, rows[-1][0])
        self.backlog = backlog
        return backlog > 0

    async def _send(
        self,
        client: httpx.AsyncClient,
        events: list[contract.SyncEvent],
        snapshot: SyncSnapshot | None,
        backlog: int = 0,
    ) -> int:
        request = contract.PushRequest(
            site=self.hub.site.id,
            events=events,
            snapshot=snapshot,
            backlog=backlog,
            software=self.software,
        )
        answer = await client.post(contract.PUSH_PATH, content=request.model_dump_json())
        if answer.status_code != 200:
            raise CloudRefused(f"push answered {answer.status_code}: {answer.text[:200]}")
        return contract.PushReply.model_validate_json(answer.content).acked

    async def _rejoin(self, client: httpx.AsyncClient, restored: int) -> None:
        """First push after a restore: ask the cloud how far it got (an empty push answers
        with its last seq). A cloud at or past the copy's last event has all of the copy (the
        copy is a prefix of what the hub had) and maybe events of the lost timeline after it:
        events from now on are numbered after those. Safe to repeat if interrupted."""
        store = self.hub.store
        offset = await store.sync_value(OFFSET)
        cloud_top = await self._send(client, [], None)
        if cloud_top >= restored + offset:
            await store.set_sync_value(OFFSET, cloud_top - restored)
            await store.set_sync_value(PUSHED, restored)
            log.warning(
                "restored hub: the cloud has events up to %d, this copy up to %d; "
                "new events are sent from %d",
                cloud_top,
                restored + offset,
                cloud_top + 1,
            )
        await store.set_sync_value(RESTORED, 0)

    async def pull(self, client: httpx.AsyncClient) -> None:
        """Every change of the site's reservations since the cursor, stored locally."""
        store = self.hub.store
        cursor = await store.sync_value(RESERVATIONS)
        while True:
            answer = await client.get(
                contract.PULL_PATH, params={"after": cursor, "site": self.hub.site.id}
            )
            if answer.status_code != 200:
                raise CloudRefused(f"pull answered {answer.status_code}: {answer.text[:200]}")
            page = contract.PullReply.model_validate_json(answer.content)
            if page.items:
                await store.save_reservations(
                    [
                        LocalReservation(
                            code=r.code,
                            service=r.service,
                            start=r.start,
                            cancelled=r.status not in USABLE,
                            number=r.number,
                        )
                        for r in page.items
                    ]
                )
            if page.cursor <= cursor:
                return
            cursor = page.cursor
            await store.set_sync_value(RESERVATIONS, cursor)

    async def _healthy(self) -> None:
        await self._set(
            msg.SyncHealth(online=True, last_success=self.clock(), backlog=self.backlog)
        )

    async def _unhealthy(self, error: str) -> None:
        try:
            pushed = await self.hub.store.sync_value(PUSHED)
            backlog = await self.hub.store.count_events_after(pushed)
        except Exception:  # the store may be what failed: report the last count known
            backlog = self.backlog
        await self._set(
            msg.SyncHealth(
                online=False,
                last_success=self.health.last_success,
                backlog=backlog,
                last_error=error[:200],
            )
        )

    async def _set(self, health: msg.SyncHealth) -> None:
        loop = asyncio.get_running_loop()
        changed = (health.online, health.backlog, health.last_error) != (
            self.health.online,
            self.health.backlog,
            self.health.last_error,
        ) or loop.time() - self._reported > REPORT_EVERY_S
        self.health = self.hub.sync_health = health
        if changed:
            self._reported = loop.time()
        if changed and self.on_health is not None:  # retained: the fleet and staff read it
            try:
                result = self.on_health(health)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # a report that fails is sent again with the next change
                log.exception("reporting the sync health failed")
                self._reported = float("-inf")


def mark_restored(database: Path) -> None:
    """Called by `okienko restore hub` on the restored file: the hub asks the cloud how far it
    got before it pushes again (``CloudSync._rejoin``)."""
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        top = db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        db.execute("DELETE FROM sync_state WHERE key = ?", (RESTORED,))
        # top + 1: a copy without events is marked too (0 is "no marker").
        db.execute("INSERT INTO sync_state (key, value) VALUES (?, ?)", (RESTORED, top + 1))
