"""Fixtures for the broker tests: a small site and a real Mosquitto started from it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.config import Site
from hub.contract.topics import Topics
from tests.support.broker import (
    Probe,
    SiteBroker,
    SiteTls,
    searchable_tempdir,
    site_tls,
    start_site_broker,
)


def small_site() -> Site:
    """Two services, two counters, and a device of each role; two dispensers and two counter
    terminals, so that a device can try another one's topics."""
    return Site.model_validate(
        {
            "id": "acl-site",
            "name": "Urząd testowy",
            "services": [
                {"id": "dowody", "name": "Dowody osobiste", "prefix": "A"},
                {"id": "meldunki", "name": "Sprawy meldunkowe", "prefix": "B"},
            ],
            "counters": [
                {"id": "c1", "name": "Stanowisko 1", "number": "1", "services": ["dowody"]},
                {"id": "c2", "name": "Stanowisko 2", "number": "2", "services": ["meldunki"]},
            ],
            "devices": [
                {"id": "dispenser-1", "role": "dispenser"},
                {"id": "dispenser-2", "role": "dispenser"},
                {"id": "terminal-1", "role": "counter", "counter": "c1"},
                {"id": "terminal-2", "role": "counter", "counter": "c2"},
                {"id": "display-1", "role": "display"},
                {"id": "cdisplay-1", "role": "counter-display", "counter": "c1"},
            ],
        }
    )


@pytest.fixture(scope="session")
def site() -> Site:
    return small_site()


@pytest.fixture(scope="session")
def topics(site: Site) -> Topics:
    return Topics(site.id)


@pytest.fixture(scope="session")
def tls() -> Iterator[SiteTls]:
    """A site CA and a broker certificate for 127.0.0.1 and localhost."""
    path = searchable_tempdir()
    yield site_tls(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def searchable_dir() -> Iterator[Path]:
    """A directory the broker can use as the ``mosquitto`` user (see ``searchable_tempdir``)."""
    path = searchable_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def site_broker(site: Site) -> Iterator[SiteBroker]:
    workdir = searchable_tempdir()
    broker, passwords = start_site_broker(site, workdir)
    yield SiteBroker(broker, passwords)
    broker.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def connect(site_broker: SiteBroker) -> Iterator[Callable[..., Probe]]:
    """connect(user, will=None) -> a connected Probe with that user's password."""
    probes: list[Probe] = []

    def _connect(user: str, *, will: str | None = None) -> Probe:
        p = Probe(site_broker.broker, user, site_broker.passwords[user], will=will)
        probes.append(p)
        rc = p.connect()
        assert not rc.is_failure, f"{user} refused: {rc}"
        return p

    yield _connect
    for p in probes:
        p.close()
