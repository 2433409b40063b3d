"""`okienko appliance` refuses bad input with a clear message and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okienko.cli", "appliance", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def info(tmp_path: Path) -> Path:
    path = tmp_path / "demo.json"
    path.write_text(
        json.dumps(
            {
                "mqtt": {"host": "127.0.0.1", "port": 1, "site": "s", "topic_root": "okienko/v1/s"},
                "devices": {
                    "display-1": {"role": "display", "username": "display-1", "password": "x"}
                },
            }
        )
    )
    return path


def test_unknown_device_in_the_info_file(info: Path):
    r = run("display", "--device", "nope", "--info-file", str(info))
    assert r.returncode == 2 and "no device 'nope'" in r.stderr and "Traceback" not in r.stderr


def test_role_must_match_the_device(info: Path):
    r = run("counter", "--device", "display-1", "--info-file", str(info))
    assert r.returncode == 2 and "is a display, not a counter" in r.stderr


def test_bad_config_file_names_the_key(tmp_path: Path):
    conf = tmp_path / "a.toml"
    conf.write_text('role = "display"\ndevice = "d1"\npassword = "x"\nlanguage = "de"\n')
    r = run("display", "--device", "d1", "--config", str(conf))
    assert r.returncode == 2 and "language" in r.stderr and str(conf) in r.stderr


def test_bad_size_is_a_usage_error(info: Path):
    r = run("display", "--device", "display-1", "--info-file", str(info), "--size", "huge")
    assert r.returncode == 2 and "not a size like 1024x600" in r.stderr


def test_without_the_site_ca_the_appliance_does_not_start(info: Path):
    r = run("display", "--device", "display-1", "--info-file", str(info))
    assert r.returncode == 2 and "site CA" in r.stderr and "Traceback" not in r.stderr
