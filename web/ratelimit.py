"""Sliding-window rate limits (per IP, per phone or e-mail) for booking and code confirmation,
so six-digit codes cannot be guessed and slots cannot be hoarded.

In process memory: good for one worker; the multi-worker cloud (issue 5) moves the counters to
the database.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimit:
    limit: int
    window_s: float
    clock: Callable[[], float] = time.monotonic
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, key: str) -> bool:
        """Count one attempt for ``key``; False when it is over the limit (not counted)."""
        if not self.open(key):
            return False
        self.count(key)
        return True

    def open(self, key: str) -> bool:
        """Whether ``key`` is under the limit, without counting (count what succeeded)."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if not hits:
            del self._hits[key]  # forgotten keys do not pile up
        return len(hits) < self.limit

    def count(self, key: str) -> None:
        self._hits.setdefault(key, deque()).append(self.clock())

    def retry_after(self, key: str) -> float:
        hits = self._hits.get(key)
        if not hits or len(hits) < self.limit:
            return 0.0
        return max(0.0, self.window_s - (self.clock() - hits[0]))
