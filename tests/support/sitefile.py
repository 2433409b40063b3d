"""A small test site written as a real site file: open around the clock so tests do not depend
on the hour they run at, with one service that is always closed and one with a daily limit."""

from __future__ import annotations

from pathlib import Path

from hub.clerks import hash_pin

CLERK_PIN = "2468"
ALL_DAY = ", ".join(
    f'{d} = "00:00-24:00"' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def site_toml(
    *,
    site_id: str = "test-site",
    building_limit: int | None = None,
    database: Path,
    mqtt_port: int,
    hub_password: str,
    tls_ca: Path | None = None,
    pin_hash: str | None = None,
    more_clerks: tuple[str, ...] = (),
) -> str:
    """The test site; ``tls_ca`` (the site CA) for a hub that connects to a broker."""
    tls = f'tls_ca = "{tls_ca}"\n' if tls_ca is not None else ""
    limit = f"building_limit = {building_limit}\n" if building_limit else ""
    pin_hash = pin_hash or hash_pin(CLERK_PIN)
    extra = "".join(
        f'\n[[site.clerks]]\nid = "clerk{i}"\nname = "{name}"\npin_hash = "{pin_hash}"\n'
        for i, name in enumerate(more_clerks, 2)
    )
    return f"""
[site]
id = "{site_id}"
name = "Urząd testowy"
{limit}priority_streak = 2
eticket_url = "https://okienko.example/e"

[[site.departments]]
id = "wsa"
name = "Wydział Spraw Administracyjnych"

[[site.services]]
id = "dowody"
name = "Dowody osobiste"
prefix = "A"
department = "wsa"
hours = {{ {ALL_DAY} }}
cutoff_minutes = 0

[[site.services]]
id = "meldunki"
name = "Sprawy meldunkowe"
prefix = "B"
department = "wsa"
hours = {{ {ALL_DAY} }}
cutoff_minutes = 0
daily_limit = 3

[[site.services]]
id = "nieczynne"
name = "Usługa nieczynna"
prefix = "Z"

[[site.counters]]
id = "s1"
name = "Stanowisko 1"
number = "1"
services = ["dowody", "meldunki"]

[[site.counters]]
id = "s2"
name = "Stanowisko 2"
number = "2"
services = ["meldunki", "dowody"]

[[site.counters]]
id = "s3"
name = "Stanowisko 3"
number = "3"
services = ["dowody"]

[[site.devices]]
id = "dispenser-1"
role = "dispenser"

[[site.devices]]
id = "dispenser-2"
role = "dispenser"

[[site.devices]]
id = "terminal-1"
role = "counter"
counter = "s1"

[[site.devices]]
id = "terminal-2"
role = "counter"
counter = "s2"

[[site.devices]]
id = "terminal-3"
role = "counter"
counter = "s3"

[[site.devices]]
id = "display-1"
role = "display"

[[site.devices]]
id = "cdisplay-1"
role = "counter-display"
counter = "s1"

[[site.clerks]]
id = "ewa"
name = "Ewa Testowa"
pin_hash = "{pin_hash}"
{extra}
[hub]
database = "{database}"
durability = "full"
advertise = false

[hub.mqtt]
host = "127.0.0.1"
port = {mqtt_port}
username = "hub"
password = "{hub_password}"
{tls}"""


def write_site_file(directory: Path, site_id: str = "test-site") -> Path:
    """A site file for the cloud alone (``okienko web --site``): its hub settings unused."""
    path = directory / f"{site_id}.toml"
    path.write_text(
        site_toml(
            site_id=site_id, database=directory / "hub.sqlite3", mqtt_port=1, hub_password="x"
        ),
        encoding="utf-8",
    )
    return path
