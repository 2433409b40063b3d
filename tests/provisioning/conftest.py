"""Fixtures for the provisioning tests: a small site file on disk and a state directory the
broker's user can reach (see ``tests.support.broker.searchable_tempdir``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from okienko.cli import main
from tests.support.broker import searchable_tempdir

SITE_TOML = """\
[site]
id = "prov-site"
name = "Urząd testowy"

[[site.services]]
id = "dowody"
name = "Dowody osobiste"
prefix = "A"

[[site.counters]]
id = "c1"
name = "Stanowisko 1"
number = "1"
services = ["dowody"]

[[site.devices]]
id = "terminal-1"
role = "counter"
counter = "c1"

[[site.devices]]
id = "display-1"
role = "display"
"""

LATE_DEVICE = """
[[site.devices]]
id = "dispenser-1"
role = "dispenser"
"""


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = searchable_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def site_file(workdir: Path) -> Path:
    path = workdir / "site.toml"
    path.write_text(SITE_TOML, encoding="utf-8")
    return path


def provision(*args: str | Path) -> int:
    return main(["provision", *(str(a) for a in args)])


def tree(path: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every file and link under ``path``: mode and content (a link: its target)."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for p in sorted(path.rglob("*")):
        key = str(p.relative_to(path))
        if p.is_symlink():
            out[key] = (0, str(p.readlink()))
        elif p.is_file():
            out[key] = (p.stat().st_mode & 0o7777, p.read_bytes())
        else:
            out[key] = (p.stat().st_mode & 0o7777, b"")
    return out
