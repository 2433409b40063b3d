"""Backups of an SQLite database (the hub's, or the cloud's when it runs on SQLite): a
consistent copy taken while its owner writes, and a restore that checks the copy first.

SQLite's online backup API copies the pages under one read transaction, so the copy is one
commit's state even while the hub writes (WAL lets it go on meanwhile). Every file is written
beside its target and renamed into place: a copy cut short is never mistaken for a backup.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def integrity(path: Path) -> str:
    """``ok``, or what PRAGMA integrity_check found (its first lines)."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute("PRAGMA integrity_check").fetchmany(5)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "; ".join(str(r[0]) for r in rows)


def backup(database: Path, out: Path) -> None:
    """Copy ``database`` (it may be in use) to ``out``, checked before it is kept."""
    if not database.is_file():
        raise BackupError(f"{database}: no such database")
    out.parent.mkdir(parents=True, exist_ok=True)
    _copy(database, out)


STAMP = "%Y%m%dT%H%M%SZ"


def dated_copy(directory: Path, kind: str, now: datetime) -> Path:
    """The name of ``now``'s copy in ``directory``: ``hub-20261207T023000Z.sqlite3``, so the
    names sort by age."""
    return directory / f"{kind}-{now.astimezone(UTC):{STAMP}}.sqlite3"


def to_prune(names: Iterable[str], kind: str, keep: int) -> list[str]:
    """Of the files in a backup folder, the dated copies of ``kind`` beyond the newest
    ``keep`` (pure: the caller deletes them). Files of other names are never touched."""
    pattern = re.compile(rf"{re.escape(kind)}-\d{{8}}T\d{{6}}Z\.sqlite3")
    copies = sorted(n for n in names if pattern.fullmatch(n))
    return copies[: max(len(copies) - keep, 0)]


def backup_rotating(database: Path, directory: Path, kind: str, keep: int, now: datetime) -> Path:
    """A new dated copy in ``directory``, then the oldest dated copies beyond ``keep``
    removed; a copy that fails leaves every older one in place."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    out = dated_copy(directory, kind, now)
    backup(database, out)
    for name in to_prune(os.listdir(directory), kind, keep):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(directory / name)
    return out


def restore(source: Path, database: Path, *, tables: Iterable[str] = ()) -> None:
    """Put ``source`` in place of ``database``; ``tables``: ones a copy of the right kind of
    database has. The caller makes sure nothing has the database open."""
    found = integrity(source)
    if found != "ok":
        raise BackupError(f"{source} fails its integrity check, nothing restored: {found}")
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
        has = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if missing := sorted(set(tables) - has):
        raise BackupError(
            f"{source} is not a copy of this database (no {', '.join(missing)}), nothing restored"
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, database, replacing=True)


def _copy(source: Path, target: Path, *, replacing: bool = False) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with (
            contextlib.closing(sqlite3.connect(source)) as src,
            contextlib.closing(sqlite3.connect(tmp)) as dst,
        ):
            src.backup(dst)
            # A copy in rollback-journal mode is one self-contained file; the owner turns WAL
            # back on when it opens it.
            dst.execute("PRAGMA journal_mode=DELETE")
        found = integrity(tmp)
        if found != "ok":
            raise BackupError(f"the copy of {source} fails its integrity check: {found}")
        os.chmod(tmp, 0o600)  # the visitors' data, or the queue's: the owner's only
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if replacing:
            # The old database's WAL would otherwise be replayed into the restored one.
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{target}{suffix}")
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise BackupError(f"copying {source} to {target}: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
