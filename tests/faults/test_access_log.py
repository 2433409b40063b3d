"""Opening a fault report with personal data is written to the access log: who (the
signed-in person's e-mail), when, which report; a list page is not an opening."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.faults.rig import Rig, rig  # noqa: F401  (the module fixture)
from web.faults import store
from web.faults.domain import Channel
from web.privacy import access


async def _log(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(access.A).order_by(access.A.c.id))
        return [(r.actor, r.action, r.record) for r in rows]


def test_opening_a_report_is_logged_with_who_and_which(rig: Rig):  # noqa: F811
    p = rig.people

    async def filed(engine: AsyncEngine) -> int:
        draft = store.Draft(
            p.subs["dziura"], "Dziura", Channel.PHONE, address="ul. Długa 5",
            reply_wanted=True, name="Jan Kowalski", phone="600 100 200",
        )  # fmt: skip
        rid, _ = await store.file_report(engine, draft, datetime.now(UTC))
        return rid

    rid = rig.db(filed)
    before = rig.db(_log)
    operator = rig.client("operator")
    assert operator.get("/usterki/").status_code == 200
    assert rig.db(_log) == before  # the list shows no reporter's data: not logged
    page = operator.get(f"/usterki/r/{rid}")
    assert page.status_code == 200 and "Jan Kowalski" in page.text
    after = rig.db(_log)
    assert after[len(before) :] == [(p.emails["operator"], "opened", f"fault report {rid}")]
