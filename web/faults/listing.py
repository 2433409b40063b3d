"""Lists of reports within a person's scope (the monitoring view) with their SLA state, and the
statistics: per category, per department, on-time share — live reports plus the monthly counts
kept for deleted ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.faults import tables as t
from web.faults.domain import FINISHED, Actor, SlaState, Status, sla_state
from web.faults.settings import DEFAULT, FaultSettings
from web.faults.store import aware, scope_clause

PAGE = 50


@dataclass(frozen=True)
class Filters:
    status: str = ""  # a status, "open" (default), "finished" or "all"
    category_id: int | None = None
    overdue: bool = False
    number: int | None = None


@dataclass(frozen=True)
class Item:
    row: Any
    sla: SlaState


def sla_of(row: Any, now: datetime, settings: FaultSettings = DEFAULT) -> SlaState:
    return sla_state(
        settings.calendar,
        settings.sla,
        status=Status(row.status),
        received_at=aware(row.received_at),
        handed_at=aware(row.handed_at) if row.handed_at else None,
        taken=bool(row.taken),
        finished_at=aware(row.finished_at) if row.finished_at else None,
        delay_reason=row.delay_reason,
        planned_on=row.planned_on,
        now=now,
    )


async def reports(
    engine: AsyncEngine,
    actor: Actor,
    f: Filters,
    now: datetime,
    settings: FaultSettings = DEFAULT,
) -> list[Item]:
    r = t.reports.c
    holder = func.coalesce(r.realizer_group_id, r.coordinator_group_id)
    q = (
        select(
            t.reports,
            t.subcategories.c.name.label("subcategory_name"),
            t.categories.c.name.label("category_name"),
            t.groups.c.name.label("group_name"),
        )
        .join(t.subcategories, t.subcategories.c.id == r.subcategory_id)
        .join(t.categories, t.categories.c.id == r.category_id)
        .outerjoin(t.groups, t.groups.c.id == holder)
        .where(scope_clause(actor))
    )
    if f.number is not None:
        q = q.where(r.id == f.number)
    if f.status in set(Status):
        q = q.where(r.status == f.status)
    elif f.status == "finished":
        q = q.where(r.finished.is_(True))
    elif f.status != "all":
        q = q.where(r.finished.is_(False))
    if f.category_id is not None:
        q = q.where(r.category_id == f.category_id)
    if f.overdue:
        q = q.where(r.finished.is_(False), r.realise_due < now)
    rows = await _all(engine, q.order_by(r.last_change_at.desc(), r.id.desc()).limit(PAGE))
    return [Item(row, sla_of(row, now, settings)) for row in rows]


async def _all(engine: AsyncEngine, q: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list(await conn.execute(q))


@dataclass(frozen=True)
class Line:
    label: str
    total: int
    finished: int
    on_time: int

    @property
    def on_time_share(self) -> int | None:
        return round(100 * self.on_time / self.finished) if self.finished else None


async def statistics(engine: AsyncEngine, actor: Actor) -> dict[str, list[Line]]:
    """Per category and per department (within the person's scope; the counts of deleted
    reports only for those who see everything)."""
    r = t.reports.c
    done = r.finished.is_(True)
    finished = func.sum(case((done, 1), else_=0))
    on_time = func.sum(case((and_(done, r.finished_at <= r.realise_due), 1), else_=0))
    out: dict[str, list[Line]] = {}
    for key, label_col, join_col, stat_col, table in (
        ("category", t.categories.c.name, r.category_id, t.stats.c.category_id, t.categories),
        (
            "department",
            t.departments.c.name,
            r.department_id,
            t.stats.c.department_id,
            t.departments,
        ),
    ):
        live = (
            select(label_col.label("label"), func.count().label("total"), finished, on_time)
            .select_from(t.reports.outerjoin(table, table.c.id == join_col))
            .where(scope_clause(actor))
            .group_by(label_col)
        )
        lines: dict[str, list[int]] = {}
        for row in await _all(engine, live):
            lines[row.label or "—"] = [int(row[1]), int(row[2] or 0), int(row[3] or 0)]
        if actor.sees_all:
            kept = (
                select(
                    label_col.label("label"),
                    func.sum(t.stats.c.finished),
                    func.sum(t.stats.c.on_time),
                )
                .select_from(t.stats.outerjoin(table, table.c.id == stat_col))
                .group_by(label_col)
            )
            for row in await _all(engine, kept):
                line = lines.setdefault(row.label or "—", [0, 0, 0])
                line[0] += int(row[1] or 0)
                line[1] += int(row[1] or 0)
                line[2] += int(row[2] or 0)
        out[key] = [Line(k, *v) for k, v in sorted(lines.items())]
    return out


def is_finished(status: str) -> bool:
    return Status(status) in FINISHED
