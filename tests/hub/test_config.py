"""The site file: mistakes are reported with the file and the key, and the hub refuses to start
rather than run a half-understood site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import ConfigError, load_site

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "torun.toml"


def test_example_site_is_valid_and_realistic():
    site = load_site(EXAMPLE).site
    assert len(site.services) >= 5 and len(site.counters) >= 6
    roles = {d.role for d in site.devices}
    assert roles == {"dispenser", "counter", "display", "counter-display"}


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "site.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'services = ["kasa"]',
            'services = ["kassa"]',
            "site: counter 's8': unknown service 'kassa'",
        ),
        ('prefix = "B"', 'prefix = "A"', "service prefixes: 'A' appears twice"),
        ('prefix = "B"', 'prefix = "R"', "the ticket prefix R is kept for booked visits"),
        ('tue = "08:00-17:00"', 'tue = "17:00-08:00"', "site.services[1].hours"),
        ('timezone = "Europe/Warsaw"', 'timezone = "Europe/Varsovie"', "unknown time zone"),
        ('role = "display"', 'role = "tv"', "site.devices[11].role"),
        ("building_limit = 120", "building_limit = -5", "site.building_limit"),
        ('durability = "full"', 'durability = "maybe"', "hub.durability"),
        (
            "voice = true",
            'voice = true\nannouncement_pl = "Numer {numer}"',
            "site.announcement_pl: unknown placeholder {numer}",
        ),
        (
            "voice = true",
            'voice = true\nhall_languages = ["pl", "de"]',
            "site.hall_languages: unknown hall language 'de'",
        ),
        (
            "voice = true",
            'voice = true\nhall_languages = ["uk", "pl"]',
            "site.hall_languages: the hall voice speaks Polish first",
        ),
        (
            "voice = true",
            'voice = true\nhall_languages = ["pl", "en", "uk"]',
            'site.hall_languages: at most one language after "pl"',
        ),
        (
            "voice = true",
            'voice = true\nannouncement_uk = "Талон {номер}"',
            "site.announcement_uk: unknown placeholder {номер}",
        ),
        ("[site]", "[site]\nbogus_key = 1", "site.bogus_key: Extra inputs are not permitted"),
        ('listen = "127.0.0.1:9464"', 'listen = "9464"', "hub.metrics.listen: '9464' is not"),
    ],
)
def test_a_mistake_names_the_file_and_the_key(tmp_path: Path, old: str, new: str, expected: str):
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_site(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_not_toml_and_missing_file(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\nid = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_site(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_site(tmp_path / "absent.toml")


def test_hub_cli_refuses_a_bad_site_with_a_clear_message(tmp_path: Path):
    path = _broken(tmp_path, 'counter = "s3"', 'counter = "s99"')
    run = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "hub", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "unknown counter 's99'" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("tls_ca", "expected"),
    [(None, "[hub.mqtt] tls_ca: not set"), ("absent-ca.crt", "absent-ca.crt")],
)
def test_the_hub_refuses_to_start_without_the_site_ca(
    tmp_path: Path, tls_ca: str | None, expected: str
) -> None:
    """TLS only: no plaintext fallback when the site CA is not configured or not there."""
    database = tmp_path / "hub.sqlite3"
    text = _broken(tmp_path, 'database = "../var/torun-hub.sqlite3"', f'database = "{database}"')
    site = text.read_text(encoding="utf-8")
    site = site.replace('tls_ca = "../var/torun-state/pki/ca.crt"', "")
    site = site.replace('password_file = "../var/torun-state/hub.password"', 'password = "x"')
    if tls_ca is not None:
        site = site.replace('username = "hub"', f'username = "hub"\ntls_ca = "{tls_ca}"')
    text.write_text(site, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "hub", "--config", str(text)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and expected in run.stderr and "Traceback" not in run.stderr
    assert not database.exists()  # refused before anything was opened


def test_a_relative_token_file_is_read_beside_the_site_file_wherever_the_hub_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.sitefile import site_toml

    site_dir = tmp_path / "etc"
    site_dir.mkdir()
    (site_dir / "site-token").write_text("okn_beside_the_site_file\n")
    site = site_dir / "site.toml"
    text = site_toml(database=tmp_path / "hub.sqlite3", mqtt_port=8883, hub_password="x")
    site.write_text(text + '\n[hub.cloud]\nurl = "http://127.0.0.1:1"\ntoken_file = "site-token"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "site-token").write_text("okn_of_the_wrong_folder\n")
    monkeypatch.chdir(elsewhere)
    cloud = load_site(Path("../etc/site.toml")).hub.cloud
    assert cloud is not None and cloud.secret() == "okn_beside_the_site_file"
