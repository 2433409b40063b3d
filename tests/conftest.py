"""Shared fixtures: a real Mosquitto generated from the test site, the hub as a real process,
device clients with their own credentials, and fresh databases on the real PostgreSQL server
(127.0.0.1:5432; `bootstrap test` starts it and creates the okienko role)."""

from __future__ import annotations

import asyncio
import os
import secrets
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from appliance.common.hub_client import Credentials, HubClient
from hub.config import parse_site_file
from provisioning.broker import Mosquitto, free_port, generate_passwords, write_broker_files
from tests.support.broker import site_tls
from tests.support.hubproc import HubProcess
from tests.support.sitefile import site_toml
from tests.support.webproc import Smtp

PG_ADMIN = os.environ.get("OKIENKO_TEST_PG", "postgresql://okienko:okienko@127.0.0.1:5432/postgres")


def pg_admin(sql: str) -> None:
    """One statement as the test role on the server's maintenance database."""

    async def run() -> None:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(sql)
        await admin.close()

    asyncio.run(run())


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh database; its URL exactly as psql takes it."""
    name = f"okienko_test_{secrets.token_hex(4)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


@dataclass
class SiteRig:
    """A running test site: broker (TLS only), site file, device passwords, the site CA."""

    dir: Path
    site_id: str
    port: int
    passwords: dict[str, str]
    config: Path
    broker: Mosquitto
    ca_file: Path

    def creds(self, device: str) -> Credentials:
        ca_pem = self.ca_file.read_text(encoding="utf-8")
        return Credentials(
            "127.0.0.1", self.port, self.site_id, device, self.passwords[device], ca_pem
        )

    def hub(self, name: str = "hub") -> HubProcess:
        return HubProcess(
            self.config,
            site=self.site_id,
            port=self.port,
            hub_password=self.passwords["hub"],
            ca_file=self.ca_file,
            log=self.dir / f"{name}.log",
        )


def make_rig(
    tmp: Path,
    *,
    edit: Callable[[str], str] | None = None,
    cert_days: int | None = None,
    **site_options: object,
) -> SiteRig:
    """A site on a real broker (TLS only, its own site CA; the broker's certificate valid
    ``cert_days`` when given), with a site file for the hub. ``edit`` may rewrite the site
    file's text (a module's own names or options)."""
    port = free_port()
    tls = site_tls(tmp / "pki", **({"days": cert_days} if cert_days else {}))
    draft = site_toml(
        database=tmp / "hub.sqlite3",
        mqtt_port=port,
        hub_password="x",
        tls_ca=tls.ca_file,
        **site_options,  # type: ignore[arg-type]
    )
    if edit is not None:
        draft = edit(draft)
    site = parse_site_file(draft).site
    passwords = generate_passwords(site)
    config = tmp / "site.toml"
    config.write_text(
        draft.replace('password = "x"', f'password = "{passwords["hub"]}"'), encoding="utf-8"
    )
    assert tomllib.loads(config.read_text())["hub"]["mqtt"]["password"] == passwords["hub"]
    files = write_broker_files(
        site, tmp / "broker", passwords, host="127.0.0.1", port=port, tls=tls.files
    )
    broker = Mosquitto.for_files(files)
    broker.start()
    return SiteRig(tmp, site.id, port, passwords, config, broker, tls.ca_file)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRig]:
    r = make_rig(tmp_path_factory.mktemp("site"))
    yield r
    r.broker.stop()


@pytest.fixture(scope="module")
def hub(rig: SiteRig) -> Iterator[HubProcess]:
    h = rig.hub().start()
    yield h
    h.stop()


@pytest.fixture
def connect(rig: SiteRig) -> Iterator[Callable[[str], HubClient]]:
    clients: list[HubClient] = []

    def _connect(device: str) -> HubClient:
        c = HubClient(rig.creds(device)).start()
        clients.append(c)
        return c

    yield _connect
    for c in clients:
        c.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[Smtp]:
    """A real SMTP server (aiosmtpd) whose inbox the module's tests read."""
    server = Smtp.start()
    yield server
    server.stop()
