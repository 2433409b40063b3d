"""Lists of reports within a person's scope (the monitoring view) with their SLA state, and the
statistics: per category, per department, on-time share — live reports plus the monthly counts
kept for deleted ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.faults import tables as t
from web.faults.domain import FINISHED, Actor, SlaState, Status, sla_state
from web.faults.settings import DEFAULT, FaultSettings
from web.faults.store import aware, scope_clause, utc

PAGE = 50  # reports per page of the monitoring list


@dataclass(frozen=True)
class Filters:
    status: str = ""  # a status, "open" (default), "finished" or "all"
    category_id: int | None = None
    overdue: bool = False
    number: int | None = None

    def query(self, page: int) -> str:
        """These filters and a page as a query string (the pager's links keep the filters)."""
        values: dict[str, str | int] = {"status": self.status}
        if self.category_id is not None:
            values["category"] = self.category_id
        if self.overdue:
            values["overdue"] = 1
        if self.number is not None:
            values["number"] = self.number
        values["page"] = page
        return urlencode({k: v for k, v in values.items() if v != ""})


@dataclass(frozen=True)
class Item:
    row: Any
    sla: SlaState


@dataclass(frozen=True)
class Counts:
    """The whole scope under the filters, not just the page shown."""

    total: int = 0
    take_up_late: int = 0
    overdue: int = 0
    without_reason: int = 0  # late (or finished late) with no reason and planned date


@dataclass(frozen=True)
class Page:
    items: list[Item]
    counts: Counts
    number: int  # 1 … pages, the asked page brought within them
    pages: int  # at least 1, even for no reports


def pages_for(total: int) -> int:
    return max(1, -(-total // PAGE))


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
        realise_hours=row.realise_hours,
    )


@dataclass(frozen=True)
class _Late:
    """``sla_state``'s flags as SQL, so the whole scope is counted in the database."""

    take_up: ColumnElement[bool]
    overdue: ColumnElement[bool]
    without_reason: ColumnElement[bool]


def _late(now: datetime, settings: FaultSettings) -> _Late:
    r, cal, sla = t.reports.c, settings.calendar, settings.sla
    waiting = [str(Status.COORDINATOR), str(Status.REALIZER)]
    not_running = [str(s) for s in (*FINISHED, Status.SUSPENDED)]
    take_up = and_(
        r.status.in_(waiting),
        r.taken.is_(False),
        r.handed_at.is_not(None),
        r.handed_at <= utc(cal.late_cutoff(now, sla.take_up_days)),
    )
    # A deadline in working hours (the devices' categories) is the one recorded at filing.
    overdue = and_(
        r.status.not_in(not_running),
        or_(
            and_(
                r.realise_hours.is_(None),
                r.received_at <= utc(cal.late_cutoff(now, sla.realise_days)),
            ),
            and_(r.realise_hours.is_not(None), r.realise_due < utc(now)),
        ),
    )
    # A finished report's deadline is the one recorded at filing (as in the statistics): a
    # deadline per row cannot be recomputed on working time in SQL.
    finished_late = and_(
        r.status.in_([str(s) for s in FINISHED]),
        r.finished_at.is_not(None),
        r.finished_at > r.realise_due,
    )
    has_reason = and_(func.trim(func.coalesce(r.delay_reason, "")) != "", r.planned_on.is_not(None))
    return _Late(take_up, overdue, and_(or_(overdue, finished_late), not_(has_reason)))


def _where(actor: Actor, f: Filters, late: _Late) -> list[ColumnElement[bool]]:
    r = t.reports.c
    where = [scope_clause(actor)]  # each role's scope, for the counts and the rows alike
    if f.number is not None:
        where.append(r.id == f.number)
    if f.status in set(Status):
        where.append(r.status == f.status)
    elif f.status == "finished":
        where.append(r.finished.is_(True))
    elif f.status != "all":
        where.append(r.finished.is_(False))
    if f.category_id is not None:
        where.append(r.category_id == f.category_id)
    if f.overdue:  # the rows flagged "overdue", suspended ones not
        where.append(late.overdue)
    return where


async def counts(
    engine: AsyncEngine, actor: Actor, f: Filters, now: datetime, settings: FaultSettings = DEFAULT
) -> Counts:
    late = _late(now, settings)

    def n(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    q = select(func.count(), n(late.take_up), n(late.overdue), n(late.without_reason)).where(
        *_where(actor, f, late)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(q)).one()
    return Counts(*(int(v) for v in row))


async def reports(
    engine: AsyncEngine,
    actor: Actor,
    f: Filters,
    now: datetime,
    settings: FaultSettings = DEFAULT,
    page: int = 1,
) -> list[Item]:
    """One page of the list, the latest changed first (the id breaks ties, so pages never
    overlap)."""
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
        .where(*_where(actor, f, _late(now, settings)))
        .order_by(r.last_change_at.desc(), r.id.desc())
        .limit(PAGE)
        .offset((max(1, page) - 1) * PAGE)
    )
    rows = await _all(engine, q)
    return [Item(row, sla_of(row, now, settings)) for row in rows]


async def monitor(
    engine: AsyncEngine,
    actor: Actor,
    f: Filters,
    page: int,
    now: datetime,
    settings: FaultSettings = DEFAULT,
) -> Page:
    """The monitoring list's page: the counts first, then the asked page within the pages
    (past the last one: the last one)."""
    c = await counts(engine, actor, f, now, settings)
    pages = pages_for(c.total)
    number = min(max(1, page), pages)
    return Page(await reports(engine, actor, f, now, settings, number), c, number, pages)


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
