"""The hub's run lock: an exclusive flock on ``<database>.lock`` held while the hub runs, so
a restore (or a second hub on the same database) can tell that one is running. The kernel drops
the lock when the process dies, kill -9 included: no stale pid file to clean up."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class HubRunning(Exception):
    """Another process holds the hub's run lock."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def held(database: Path) -> Iterator[None]:
    """Hold the lock for the block; refuses with ``HubRunning`` when someone else has it."""
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HubRunning(_who(path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for the admin's eyes only; flock decides
        yield
    finally:
        os.close(fd)  # releases the lock


def _who(path: Path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        pid = ""
    held_by = f" (pid {pid})" if pid.isdigit() else ""
    return f"a hub is running on {path.with_suffix('')}{held_by}: it holds {path}"


def running_pid(database: Path) -> int | None:
    """The pid of the hub running on ``database``, or None when none holds the lock (the
    lock file outlives its hub, so its pid alone says nothing: the lock is tried)."""
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            # Shared and at once released: a hub starting in this instant is not refused.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode("ascii", "replace").strip()
            return int(pid) if pid.isdigit() else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
