"""The cloud's admin commands (staff-add, helpdesk-admin-add, site-token, open311-key, privacy) take
the database as ``okienko web`` does (--database-url or DATABASE_URL), and one that is not
given, cannot be reached or is of a kind the cloud does not run on is one line, never a
traceback and never a new empty database in whatever folder the admin stands in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = {
    "staff-add": ["staff-add", "--email", "a@um.example", "--name", "A", "--role", "clerk",
                  "--password-stdin"],
    "helpdesk-admin-add": ["helpdesk-admin-add", "--email", "h@um.example", "--name", "H",
                           "--password-stdin"],
    "site-token": ["site-token", "create", "--site", "torun"],
    "open311-key": ["open311-key", "create", "--name", "portal"],
    "privacy": ["privacy", "export", "--contact", "jan@example.pl", "--out", "jan.json"],
}  # fmt: skip


def okienko(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "okienko.cli", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        input="Haslo-testowe-1\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_database_given_is_one_line_and_creates_nothing(tmp_path: Path, command: str) -> None:
    done = okienko(tmp_path, *COMMANDS[command])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "--database-url" in lines[0] and "DATABASE_URL" in lines[0]
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://okienko:s3cret@127.0.0.1/okienko", "mysql"),
        ("postgresql://okienko:s3cret@127.0.0.1:1/okienko", "cannot connect to the database"),
    ],
)
@pytest.mark.parametrize("command", ["staff-add", "helpdesk-admin-add"])
def test_an_unusable_database_is_one_line_for_the_account_commands(
    tmp_path: Path, command: str, url: str, says: str
) -> None:
    done = okienko(tmp_path, *COMMANDS[command], "--database-url", url)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert "s3cret" not in done.stderr


def test_database_url_from_the_environment_is_used_from_any_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = tmp_path / "cloud.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    done = okienko(elsewhere, *COMMANDS["staff-add"], env=env)
    assert done.returncode == 0, done.stderr
    assert db.is_file() and not (elsewhere / "var").exists()
    again = okienko(elsewhere, *COMMANDS["staff-add"], env=env)
    assert again.returncode == 2 and "already exists" in again.stderr, "the same database"
