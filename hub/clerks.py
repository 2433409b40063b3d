"""Clerks' PINs: argon2 hashes from the site file, checked off the event loop, with a lockout so
a four-digit PIN cannot be guessed at a terminal.

Wrong PINs are counted per clerk and per terminal, in the hub's database, so a restart does not
forgive them. Five within 15 minutes lock that clerk (or that terminal) for 15 minutes. Only the
clerk's own right PIN clears the clerk's count: another clerk signing in does not, so a clerk
who knows one PIN cannot use it to keep guessing another's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.config import Site
from hub.domain import events as ev

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)

_hasher = PasswordHasher()


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


CLERK = "clerk"
DEVICE = "device"


class PinFailureStore(Protocol):
    """Where wrong PINs are kept (``hub.store.database.EventStore``): one row per failure and
    per count it goes into, (``CLERK``, clerk id) and (``DEVICE``, device id)."""

    async def pin_failures_since(self, since: datetime) -> list[tuple[str, str, datetime]]: ...

    async def add_pin_failure(self, clerk: str, device: str, at: datetime) -> None: ...

    async def clear_pin_failures(self, kind: str, key: str) -> None: ...


class PinRefused(Exception):
    """A sign-in refused: ``code`` is the reply's refusal code; ``locked`` the lockout event
    when this very attempt locked the clerk (stored and synced like the queue's events)."""

    def __init__(self, code: str, message: str, locked: ev.ClerkLocked | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.locked = locked


@dataclass
class _Failures:
    at: list[datetime] = field(default_factory=list)

    def recent(self, now: datetime) -> list[datetime]:
        self.at = [t for t in self.at if now - t < LOCKOUT]
        return self.at

    def locked_until(self, now: datetime) -> datetime | None:
        recent = self.recent(now)
        return max(recent) + LOCKOUT if len(recent) >= MAX_FAILURES else None


class PinChecker:
    def __init__(
        self, site: Site, store: PinFailureStore, *, clock: Callable[[], datetime]
    ) -> None:
        self._hashes = {c.id: c.pin_hash for c in site.clerks}
        self._store = store
        self._clock = clock
        self._clerks: dict[str, _Failures] = {}
        self._devices: dict[str, _Failures] = {}

    async def load(self) -> None:
        """The wrong PINs of the last 15 minutes, as stored before a restart."""
        self._clerks.clear()
        self._devices.clear()
        for kind, key, at in await self._store.pin_failures_since(self._clock() - LOCKOUT):
            table = self._clerks if kind == CLERK else self._devices
            table.setdefault(key, _Failures()).at.append(at)

    def locked_until(
        self, *, clerk: str | None = None, device: str | None = None
    ) -> datetime | None:
        now = self._clock()
        table, key = (self._clerks, clerk) if clerk is not None else (self._devices, device)
        failures = table.get(key or "")
        return failures.locked_until(now) if failures is not None else None

    async def verify(self, device: str, counter: str, clerk: str, pin: str) -> str:
        """The clerk id when the PIN is right; raises ``PinRefused`` otherwise (also while the
        clerk or the terminal is locked, without checking the PIN)."""
        until = self.locked_until(clerk=clerk)
        if until is not None:
            raise PinRefused("clerk_locked", f"this clerk is locked until {until:%H:%M} UTC")
        until = self.locked_until(device=device)
        if until is not None:
            raise PinRefused("terminal_locked", f"this terminal is locked until {until:%H:%M} UTC")
        stored = self._hashes.get(clerk)
        ok = stored is not None and await asyncio.to_thread(_check, stored, pin)
        if ok:
            # The clerk's own count, and the terminal's (a known PIN typed here); never
            # another clerk's count, which only that clerk's PIN or time clears.
            self._clerks.pop(clerk, None)
            self._devices.pop(device, None)
            await self._store.clear_pin_failures(CLERK, clerk)
            await self._store.clear_pin_failures(DEVICE, device)
            return clerk
        now = self._clock()
        await self._store.add_pin_failure(clerk, device, now)
        self._clerks.setdefault(clerk, _Failures()).at.append(now)
        self._devices.setdefault(device, _Failures()).at.append(now)
        until = self.locked_until(clerk=clerk)
        if until is not None:
            locked = ev.ClerkLocked(
                at=now, clerk=clerk, device=device, counter=counter, until=until
            )
            raise PinRefused(
                "clerk_locked",
                f"{MAX_FAILURES} wrong PINs: this clerk is locked until {until:%H:%M} UTC",
                locked,
            )
        if self.locked_until(device=device) is not None:
            raise PinRefused("terminal_locked", f"{MAX_FAILURES} wrong PINs: terminal locked")
        raise PinRefused("bad_pin", "unknown clerk or wrong PIN")


def _check(stored: str, pin: str) -> bool:
    try:
        return _hasher.verify(stored, pin)
    except (VerificationError, InvalidHashError):
        return False
