"""Sliding-window rate limits (per IP, per phone or e-mail, per account) for booking, code
confirmation, sign-in and the public forms, so codes cannot be guessed and slots not hoarded.

A ``RateLimit`` is a policy (how many in how long) and the store its hits are kept in. The
cloud keeps them in its database (``DatabaseHits``): it runs as several workers or hosts, and a
limit kept in one worker's memory would be multiplied by their number. ``MemoryHits`` is for a
single process that has no database (and the pure tests). Keys (addresses, phone numbers,
e-mails) are stored only as HMAC digests under the installation's secret, and hits older than
a day are deleted by a job.
"""

from __future__ import annotations

import hashlib
import hmac
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


class HitStore(Protocol):
    async def hits_since(self, key: str, since: float) -> list[float]:
        """The times (epoch seconds, oldest first) ``key`` was counted after ``since``."""

    async def add(self, key: str, at: float) -> None: ...


@dataclass
class MemoryHits:
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    async def hits_since(self, key: str, since: float) -> list[float]:
        hits = self._hits.get(key)
        if hits is None:
            return []
        while hits and hits[0] <= since:
            hits.popleft()
        if not hits:
            del self._hits[key]  # forgotten keys do not pile up
        return list(hits)

    async def add(self, key: str, at: float) -> None:
        self._hits.setdefault(key, deque()).append(at)


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

    async def add(self, key: str, at: float) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(H.insert().values(key_digest=self.digest(key), at=at))

    async def sweep(self, now: float) -> int:
        async with self.engine.begin() as conn:
            done = await conn.execute(delete(H).where(H.c.at < now - KEEP_S))
        return int(done.rowcount or 0)

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(H)) or 0)


@dataclass
class RateLimit:
    limit: int
    window_s: float
    name: str = ""
    store: HitStore = field(default_factory=MemoryHits)
    clock: Callable[[], float] = time.time

    def _key(self, key: str) -> str:
        return f"{self.name}|{key}" if self.name else key

    async def allow(self, key: str) -> bool:
        """Count one attempt for ``key``; False when it is over the limit (not counted)."""
        if not await self.open(key):
            return False
        await self.count(key)
        return True

    async def open(self, key: str) -> bool:
        """Whether ``key`` is under the limit, without counting (count what succeeded)."""
        hits = await self.store.hits_since(self._key(key), self.clock() - self.window_s)
        return len(hits) < self.limit

    async def count(self, key: str) -> None:
        await self.store.add(self._key(key), self.clock())

    async def retry_after(self, key: str) -> float:
        hits = await self.store.hits_since(self._key(key), self.clock() - self.window_s)
        if len(hits) < self.limit:
            return 0.0
        return max(0.0, self.window_s - (self.clock() - hits[0]))


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
