"""The cloud in process (the real app on a fresh SQLite file, migrated, no background jobs) and
what a hub sends it, for the sync, e-ticket and board tests that need no processes."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from hub.config import parse_site_file
from hub.contract import sync as contract
from tests.support.sitefile import site_toml
from tests.web.conftest import PG_ADMIN
from web.app import create_app
from web.catalog import import_site
from web.db.migrate import upgrade
from web.sync import tokens

SITE = "urzad"
CLOUD_SITE = site_toml(site_id=SITE, database=Path("hub.sqlite3"), mqtt_port=1, hub_password="x")


def event(seq: int, body: dict[str, Any]) -> contract.SyncEvent:
    return contract.SyncEvent(seq=seq, body={"at": datetime.now(UTC).isoformat(), **body})


def issued(seq: int, ticket: str, token: str, number: str) -> contract.SyncEvent:
    return event(
        seq,
        {
            "type": "ticket_issued",
            "ticket_id": ticket,
            "token": token,
            "service": "dowody",
            "seq": seq,
            "number": number,
            "kind": "walk_in",
        },
    )


def called(seq: int, ticket: str, counter: str = "s3") -> contract.SyncEvent:
    return event(
        seq, {"type": "ticket_called", "ticket_id": ticket, "counter": counter, "call_no": 1}
    )


def snapshot(
    *, waiting: int = 0, calls: Sequence[str] = (), tickets: Sequence[contract.TicketLive] = ()
) -> contract.Snapshot:
    now = datetime.now(UTC).isoformat()
    return contract.Snapshot.model_validate(
        {
            "queue": {
                "site": SITE,
                "site_name": "Urząd",
                "at": now,
                "day": "2026-11-25",
                "services": [
                    {
                        "id": "dowody",
                        "name": "Dowody osobiste",
                        "name_en": "ID cards",
                        "prefix": "A",
                        "waiting": waiting,
                        "estimated_wait_s": 600.0,
                        "availability": "open",
                        "open_counters": 1,
                        "last_called": calls[0] if calls else None,
                    }
                ],
                "recent_calls": [
                    {
                        "number": n,
                        "counter": "s3",
                        "counter_name": "Stanowisko 3",
                        "counter_number": "3",
                        "at": now,
                    }
                    for n in calls
                ],
                "counters": [
                    {
                        "id": "s3",
                        "name": "Stanowisko 3",
                        "number": "3",
                        "status": "open",
                        "services": ["dowody"],
                    }
                ],
                "building": {"inside": 0, "limit": None, "full": False},
                "voice": True,
            },
            "tickets": [t.model_dump() for t in tickets],
        }
    )


@dataclass
class Cloud:
    app: Starlette
    token: str

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        """A hub's HTTP client, signed with the site token (or ``token``)."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://cloud",
            headers={"Authorization": f"Bearer {token or self.token}"},
        )

    async def push(
        self, *events: contract.SyncEvent, snap: contract.Snapshot | None = None
    ) -> httpx.Response:
        request = contract.PushRequest(events=list(events), snapshot=snap)
        async with self.client() as c:
            return await c.post(contract.PUSH_PATH, content=request.model_dump_json())


@contextlib.asynccontextmanager
async def running_cloud(database_url: str) -> AsyncIterator[Cloud]:
    app = create_app(database_url)
    await upgrade(app.state.engine)
    # The site exists in the cloud before its token, as `okienko web --site` makes it.
    await import_site(app.state.engine, parse_site_file(CLOUD_SITE).site)
    try:
        yield Cloud(app, await tokens.create(app.state.engine, SITE))
    finally:
        await app.state.engine.dispose()


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh database on the test PostgreSQL server; its URL."""
    name = f"okienko_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield (
            PG_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
            + f"/{name}"
        )
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[Cloud]:
    async with running_cloud(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}") as c:
        yield c


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_cloud(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Cloud]:
    """The cloud on each database it runs on."""
    if request.param == "sqlite":
        async with running_cloud(f"sqlite+aiosqlite:///{tmp_path / 'web.sqlite3'}") as c:
            yield c
        return
    async with postgres_database() as url, running_cloud(url) as c:
        yield c
