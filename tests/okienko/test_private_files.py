"""Private files are private from their first moment, whatever the umask: the broker's
password and ACL files, `okienko broker-config`'s passwords.txt, and the helpers themselves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import parse_site_file
from okienko.private_files import append_private, private_dir, write_private
from provisioning.broker import generate_passwords, write_broker_files
from tests.support.broker import site_tls
from tests.support.sitefile import site_toml


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_the_helpers_make_owner_only_files_and_folders(tmp_path: Path, open_umask: None):
    folder = private_dir(tmp_path / "a" / "b")
    write_private(folder / "key", b"one")
    write_private(folder / "key", b"two")  # replaced whole, still private
    append_private(folder / "log", b"x\n")
    append_private(folder / "log", b"y\n")
    assert (mode(tmp_path / "a"), mode(folder)) == (0o700, 0o700)
    assert mode(folder / "key") == 0o600 and (folder / "key").read_bytes() == b"two"
    assert mode(folder / "log") == 0o600 and (folder / "log").read_bytes() == b"x\ny\n"
    assert sorted(p.name for p in folder.iterdir()) == ["key", "log"]


def test_the_brokers_secrets_are_never_readable_by_others(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch
):
    """Under a umask of 0 a file written first and narrowed by chmod afterwards is readable by
    everyone in between: every chmod is watched for a file that was open before it."""
    exposed: list[str] = []
    real_chmod = os.chmod

    def watched_chmod(path: str | Path, new: int, *args: object, **kwargs: object) -> None:
        if mode(Path(path)) & 0o077 and not new & 0o077:
            exposed.append(str(path))
        real_chmod(path, new, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "chmod", watched_chmod)
    draft = site_toml(database=tmp_path / "hub.sqlite3", mqtt_port=8883, hub_password="x")
    site = parse_site_file(draft).site
    tls = site_tls(tmp_path / "pki")
    passwords = generate_passwords(site)
    files = write_broker_files(site, tmp_path / "broker", passwords, port=8883, tls=tls.files)
    assert mode(files.passwd) == 0o600 and mode(files.acl) == 0o600
    assert mode(files.directory / "tls" / "server.key") == 0o600
    assert not exposed, exposed
    (tmp_path / "site.toml").write_text(draft, encoding="utf-8")
    out = tmp_path / "generated"
    site_file = str(tmp_path / "site.toml")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "broker-config",
            "--site",
            site_file,
            "--out",
            str(out),
            *("--cafile", str(tls.files.cafile), "--certfile", str(tls.files.certfile)),
            *("--keyfile", str(tls.files.keyfile)),
        ],
        capture_output=True,
        text=True,
        umask=0,
    )
    assert done.returncode == 0, done.stderr
    assert mode(out / "passwords.txt") == 0o600
