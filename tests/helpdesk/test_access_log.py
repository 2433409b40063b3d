"""Opening a helpdesk request is written to the access log: who, which request."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpdesk.test_http import Site, completed_request, sign_in, start
from tests.support.webproc import Smtp
from web.privacy import access


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, smtp: Smtp) -> Iterator[Site]:
    s = start(tmp_path_factory.mktemp("helpdesk-access"), smtp)
    yield s
    s._stack.close()
    s.web.stop()


async def _log(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(access.A).order_by(access.A.c.id))
        return [(r.actor, r.action, r.record) for r in rows]


def test_opening_a_request_is_logged(site: Site):
    rid = completed_request(site, "Drukarka w pokoju 12 nie drukuje.")
    with httpx.Client(base_url=site.web.url) as client:
        assert sign_in(client, "marek@cum.example").status_code == 303
        assert site.db(_log) == []
        assert client.get(f"/helpdesk/r/{rid}").status_code == 200
    assert site.db(_log) == [("marek@cum.example", "opened", f"helpdesk request {rid}")]
