"""Clerks' PINs: argon2 hashes from the site file, checked off the event loop, with a lockout so
a four-digit PIN cannot be guessed at a terminal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.config import Site

MAX_FAILURES = 5
LOCKOUT_S = 300.0

_hasher = PasswordHasher()


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


class PinChecker:
    def __init__(self, site: Site, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._hashes = {c.id: c.pin_hash for c in site.clerks}
        self._failures: dict[str, list[float]] = {}
        self._clock = clock

    def locked(self, device: str) -> bool:
        now = self._clock()
        recent = [t for t in self._failures.get(device, []) if now - t < LOCKOUT_S]
        self._failures[device] = recent
        return len(recent) >= MAX_FAILURES

    async def verify(self, device: str, clerk: str, pin: str) -> str | None:
        """The clerk id when the PIN is right; None otherwise (also while locked out)."""
        if self.locked(device):
            return None
        stored = self._hashes.get(clerk)
        ok = False
        if stored is not None:
            ok = await asyncio.to_thread(_check, stored, pin)
        if not ok:
            self._failures.setdefault(device, []).append(self._clock())
            return None
        self._failures.pop(device, None)
        return clerk


def _check(stored: str, pin: str) -> bool:
    try:
        return _hasher.verify(stored, pin)
    except (VerificationError, InvalidHashError):
        return False
