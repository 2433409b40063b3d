"""Files only their owner may read (keys, passwords, messages with codes), in folders only their
owner may enter. Each is created with its mode by ``os.open``/``os.mkdir`` (the umask can only
take bits away), never created open and narrowed by a chmod afterwards: no other account can
read it, not even for a moment.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` and any missing parents, each created 0700 (existing ones are left as they
    are: they may be an administrator's choice)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another worker made it first
            os.mkdir(folder, DIR_MODE)
    return path


def create_private(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """A new file (FileExistsError when there is one), written and synced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace ``path`` whole: a private temporary file beside it, renamed over it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    create_private(tmp, data, mode)
    os.replace(tmp, path)


def append_private(path: Path, data: bytes) -> None:
    """Append to ``path``, created private when it is not there yet."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
