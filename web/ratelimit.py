"""Sliding-window rate limits (per IP, per phone or e-mail, per account) for booking, code
confirmation, sign-in and the public forms, so codes cannot be guessed and slots not hoarded.

A ``RateLimit`` is a policy (how many in how long) and the store its hits are kept in. The
cloud keeps them in its database (``DatabaseHits``): it runs as several workers or hosts, and a
limit kept in one worker's memory would be multiplied by their number. ``MemoryHits`` is for a
single process that has no database (and the pure tests). Keys (addresses, phone numbers,
e-mails) are stored only as HMAC digests under the installation's secret, and hits older than
a day are deleted by a job.

A check and its count are one step (``HitStore.take``): the hit is written and the window
counted under one lock (SQLite's write lock, taken by the insert; on PostgreSQL an advisory
lock on the key), and taken back when it is one too many. N concurrent attempts thus get
exactly the limit's number through, whichever worker each reaches.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.db.models import RateHit

H = cast(Table, RateHit.__table__)
KEEP_S = 86_400.0  # longer than any window: the sweeper deletes what is older


Admit = Callable[[list[float]], bool]  # the earlier hits in the window → whether one more


class HitStore(Protocol):
    async def hits_since(self, key: str, since: float) -> list[float]:
        """The times (epoch seconds, oldest first) ``key`` was counted after ``since``."""

    async def take(self, key: str, since: float, at: float, admit: Admit) -> int | None:
        """Atomically: count a hit at ``at`` when ``admit`` says so of the hits after
        ``since``; the hit's id, or None (nothing counted)."""

    async def release(self, key: str, hit: int) -> None:
        """Forget one hit (an attempt that is not to count, e.g. a successful sign-in)."""


@dataclass
class MemoryHits:
    # One event loop: no await between the check and the count, so take is atomic.
    _hits: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def _since(self, key: str, since: float) -> list[float]:
        hits = self._hits.get(key)
        if hits is None:
            return []
        while hits and hits[0][0] <= since:
            hits.popleft()
        if not hits:
            del self._hits[key]  # forgotten keys do not pile up
        return [at for at, _id in hits]

    async def hits_since(self, key: str, since: float) -> list[float]:
        return self._since(key, since)

    async def take(self, key: str, since: float, at: float, admit: Admit) -> int | None:
        if not admit(self._since(key, since)):
            return None
        hit = next(self._ids)
        self._hits.setdefault(key, deque()).append((at, hit))
        return hit

    async def release(self, key: str, hit: int) -> None:
        hits = self._hits.get(key, deque())
        for entry in [e for e in hits if e[1] == hit]:
            hits.remove(entry)


class _Refused(Exception):
    """Rolls the counting transaction back."""


class DatabaseHits:
    """Hits in the ``rate_hits`` table, shared by every worker and host of the cloud."""

    def __init__(self, engine: AsyncEngine, secret: str) -> None:
        self.engine = engine
        self._secret = secret.encode()

    def digest(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    async def hits_since(self, key: str, since: float) -> list[float]:
        async with self.engine.connect() as conn:
            rows = await conn.scalars(
                select(H.c.at)
                .where((H.c.key_digest == self.digest(key)) & (H.c.at > since))
                .order_by(H.c.at)
            )
            return list(rows)

    async def take(self, key: str, since: float, at: float, admit: Admit) -> int | None:
        digest = self.digest(key)
        try:
            async with self.engine.begin() as conn:
                if self.engine.dialect.name == "postgresql":
                    lock = int.from_bytes(bytes.fromhex(digest[:16]), "big", signed=True)
                    await conn.execute(select(func.pg_advisory_xact_lock(lock)))
                # On SQLite the insert comes first: it takes the write lock, so the count
                # below sees every committed hit and no other writer until ours commits.
                result = await conn.execute(H.insert().values(key_digest=digest, at=at))
                hit = int(result.inserted_primary_key[0])  # type: ignore[index]
                earlier = await conn.scalars(
                    select(H.c.at)
                    .where((H.c.key_digest == digest) & (H.c.at > since) & (H.c.id != hit))
                    .order_by(H.c.at)
                )
                if not admit(list(earlier)):
                    raise _Refused()
        except _Refused:
            return None  # rolled back: the refused attempt is not counted
        return hit

    async def release(self, key: str, hit: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(H).where((H.c.id == hit) & (H.c.key_digest == self.digest(key)))
            )

    async def sweep(self, now: float) -> int:
        async with self.engine.begin() as conn:
            done = await conn.execute(delete(H).where(H.c.at < now - KEEP_S))
        return int(done.rowcount or 0)

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(H)) or 0)


@dataclass
class RateLimit:
    """At most ``limit`` hits per ``window_s``; with ``backoff``, after n hits the next waits
    ``backoff(n)`` seconds after the last one (a progressive delay; 0 = none)."""

    limit: int
    window_s: float
    name: str = ""
    store: HitStore = field(default_factory=MemoryHits)
    clock: Callable[[], float] = time.time
    backoff: Callable[[int], float] | None = None

    def _key(self, key: str) -> str:
        return f"{self.name}|{key}" if self.name else key

    def _wait(self, hits: list[float], now: float) -> float:
        """Seconds until one more hit is admitted (0: now)."""
        if len(hits) >= self.limit:
            return max(0.0, self.window_s - (now - hits[0]))
        if self.backoff is not None and hits:
            return max(0.0, self.backoff(len(hits)) - (now - hits[-1]))
        return 0.0

    async def allow(self, key: str) -> bool:
        """Count one attempt for ``key``; False when it is over the limit (not counted)."""
        return await self.take(key) is not None

    async def take(self, key: str) -> int | None:
        """Count one attempt; its id (for ``release``) or None when over the limit."""
        now = self.clock()
        return await self.store.take(
            self._key(key), now - self.window_s, now, lambda hits: self._wait(hits, now) == 0
        )

    async def release(self, key: str, hit: int) -> None:
        """Take back an attempt that is not to count (it succeeded, or did nothing)."""
        await self.store.release(self._key(key), hit)

    async def open(self, key: str) -> bool:
        """Whether ``key`` is under the limit now, without counting (a look, not a claim)."""
        return await self.retry_after(key) == 0

    async def retry_after(self, key: str) -> float:
        now = self.clock()
        return self._wait(await self.store.hits_since(self._key(key), now - self.window_s), now)


def shared(state: Any, name: str, limit: int, window_s: float) -> RateLimit:
    """The app's limit ``name``, made on first use in the app's shared store (so a module need
    not register its limits in app.py)."""
    attr = f"rate_limit_{name}"
    found = getattr(state, attr, None)
    if found is None:
        found = RateLimit(limit=limit, window_s=window_s, name=name, store=state.rate_hits)
        setattr(state, attr, found)
    return found  # type: ignore[no-any-return]


async def sweep(app: Any, now: Any) -> None:
    """The job that forgets hits older than a day (a job of web/jobs.py)."""
    hits = getattr(app.state, "rate_hits", None)
    if isinstance(hits, DatabaseHits):
        await hits.sweep(time.time())
