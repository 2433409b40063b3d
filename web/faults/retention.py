"""Personal data of fault reports (Procedura § 27): kept six months not counting the month of
registration (``forget_on``), or until consent is withdrawn. Then a finished report is deleted
everywhere it lives (history, replies, mail records, files, the row) and only its monthly count
stays; an unfinished one loses the reporter's data and stays. Safe to run again and in several
workers at once: each report is claimed by its own conditional DELETE."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from web.faults import store
from web.faults import tables as t

log = logging.getLogger("okienko.web.faults")
BATCH = 500  # finished reports deleted per run (one transaction each); the rest next hour


def _personal() -> ColumnElement[bool]:
    r = t.reports.c
    return (
        r.reporter_email.is_not(None)
        | r.reporter_phone.is_not(None)
        | r.reporter_name.is_not(None)
        | (r.source_message != "")
    )


@dataclass(frozen=True)
class Outcome:
    deleted: int
    anonymised: int


async def run(engine: AsyncEngine, now: datetime) -> Outcome:
    today = store.aware(now).astimezone(store.WARSAW).date()
    r = t.reports.c
    async with engine.connect() as conn:
        # Finished ones only, filtered in the query: unfinished reports kept for years must
        # not fill the batch and keep later finished ones from ever being deleted.
        due = list(
            await conn.scalars(
                select(r.id)
                .where(r.forget_on <= today, r.finished.is_(True))
                .order_by(r.id)
                .limit(BATCH)
            )
        )
        waiting = list(
            await conn.scalars(
                select(r.id)
                .where(r.forget_on <= today, r.finished.is_(False), _personal())
                .limit(BATCH)
            )
        )
    deleted = 0
    for report_id in due:
        async with engine.begin() as conn:
            row = (await conn.execute(select(t.reports).where(r.id == report_id))).first()
            if row is None:
                continue
            for table in (t.events, t.replies, t.mails, t.attachments):
                await conn.execute(delete(table).where(table.c.report_id == report_id))
            claimed = await conn.execute(
                delete(t.reports).where(and_(r.id == report_id, r.finished.is_(True)))
            )
            if claimed.rowcount != 1:
                await conn.rollback()  # another worker took it
                continue
            await store.count_in_stats(conn, row)
            deleted += 1
    anonymised = 0
    if waiting:
        async with engine.begin() as conn:
            await store.forget_people(conn, waiting, store.utc(now))
        anonymised = len(waiting)
    if deleted or anonymised:
        # Counts only: the log holds no personal data.
        log.info("fault reports retention: %d deleted, %d anonymised", deleted, anonymised)
    return Outcome(deleted, anonymised)
