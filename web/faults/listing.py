"""Lists of reports within a person's scope (the monitoring view) with their SLA state, and the
statistics: per category, per department, on-time share — live reports plus the monthly counts
kept for deleted ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from web.faults import tables as t
from web.faults.domain import FINISHED, Actor, SlaState, Status, sla_state
from web.faults.settings import DEFAULT, FaultSettings
from web.faults.store import aware, handed_clause, scope_clause, utc

PAGE = 50  # reports per page of the monitoring list
HANDED = "handed"  # the "przekazane" filter: what the coordinator group handed on


@dataclass(frozen=True)
class Filters:
    status: str = ""  # a status, "open" (default), "finished", "all" or "handed"
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
        paused_s=row.paused_s,
        suspended_at=aware(row.suspended_at) if row.suspended_at else None,
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
                r.paused_s == 0,
                r.received_at <= utc(cal.late_cutoff(now, sla.realise_days)),
            ),
            # Hours-based, or moved by a suspension: the stored deadline is the one.
            and_(or_(r.realise_hours.is_not(None), r.paused_s > 0), r.realise_due < utc(now)),
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
    if f.status == HANDED:  # a coordinator group's reports handed on: read only
        where = [handed_clause(actor)]
    else:  # each role's scope, for the counts and the rows alike
        where = [scope_clause(actor)]
    if f.number is not None:
        where.append(r.id == f.number)
    if f.status == HANDED:
        pass
    elif f.status in set(Status):
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
    taken_late: int = 0  # taken up after the take-up deadline, or still waiting past it
    late_hours: float = 0.0  # their working hours past that deadline, summed

    @property
    def on_time_share(self) -> int | None:
        return round(100 * self.on_time / self.finished) if self.finished else None

    @property
    def mean_late_hours(self) -> float | None:
        return round(self.late_hours / self.taken_late, 1) if self.taken_late else None


@dataclass(frozen=True)
class Period:
    """The statistics' period: days of receipt, both ends included (None: open)."""

    since: date | None = None
    until: date | None = None

    def bounds(self, settings: FaultSettings) -> list[ColumnElement[bool]]:
        tz, r = settings.calendar.tz, t.reports.c
        out: list[ColumnElement[bool]] = []
        if self.since is not None:
            out.append(r.received_at >= utc(datetime.combine(self.since, time(0), tz)))
        if self.until is not None:
            after = datetime.combine(self.until + timedelta(days=1), time(0), tz)
            out.append(r.received_at < utc(after))
        return out

    def months(self) -> list[ColumnElement[bool]]:
        """The kept counts of deleted reports are monthly: the months the period touches."""
        m = t.stats.c.month
        out: list[ColumnElement[bool]] = []
        if self.since is not None:
            out.append(m >= self.since.strftime("%Y-%m"))
        if self.until is not None:
            out.append(m <= self.until.strftime("%Y-%m"))
        return out


def take_up_lateness(row: Any, now: datetime, settings: FaultSettings) -> timedelta | None:
    """How late the report was taken up after its last hand-over (§ 16 ust. 2: one working
    day), in working time; one still waiting past the deadline counts up to ``now``; None
    when on time (or never handed)."""
    if row.handed_at is None:
        return None
    cal = settings.calendar
    due = cal.add_days(aware(row.handed_at), settings.sla.take_up_days)
    if row.taken_at is not None:
        end = aware(row.taken_at)
    elif Status(row.status) in (Status.COORDINATOR, Status.REALIZER) and not row.taken:
        end = now
    else:
        return None
    return cal.elapsed(due, end) if end > due else None


async def statistics(
    engine: AsyncEngine,
    actor: Actor,
    period: Period = Period(),
    settings: FaultSettings = DEFAULT,
    now: datetime | None = None,
) -> dict[str, list[Line]]:
    """Per category and per department (within the person's scope and the period of receipt;
    the counts of deleted reports only for those who see everything): reports, finished, on
    time, and the take-up lateness (working time is counted here, not in SQL)."""
    now = now or datetime.now(UTC)
    r = t.reports.c
    out: dict[str, list[Line]] = {}
    for key, table, join_col, stat_col in (
        ("category", t.categories, r.category_id, t.stats.c.category_id),
        ("department", t.departments, r.department_id, t.stats.c.department_id),
    ):
        q = (
            select(
                table.c.name.label("label"),
                r.status,
                r.finished,
                r.finished_at,
                r.realise_due,
                r.handed_at,
                r.taken_at,
                r.taken,
            )
            .select_from(t.reports.outerjoin(table, table.c.id == join_col))
            .where(scope_clause(actor), *period.bounds(settings))
        )
        lines: dict[str, list[Any]] = {}
        for row in await _all(engine, q):
            line = lines.setdefault(row.label or "—", [0, 0, 0, 0, 0.0])
            line[0] += 1
            if row.finished:
                line[1] += 1
                if row.finished_at is not None and aware(row.finished_at) <= aware(row.realise_due):
                    line[2] += 1
            late = take_up_lateness(row, now, settings)
            if late is not None:
                line[3] += 1
                line[4] += late.total_seconds() / 3600
        if actor.sees_all:
            kept = (
                select(
                    table.c.name.label("label"),
                    func.sum(t.stats.c.finished),
                    func.sum(t.stats.c.on_time),
                )
                .select_from(t.stats.outerjoin(table, table.c.id == stat_col))
                .where(*period.months())
                .group_by(table.c.name)
            )
            for row in await _all(engine, kept):
                line = lines.setdefault(row.label or "—", [0, 0, 0, 0, 0.0])
                line[0] += int(row[1] or 0)
                line[1] += int(row[1] or 0)
                line[2] += int(row[2] or 0)
        out[key] = [Line(k, *v) for k, v in sorted(lines.items())]
    return out


STATS_HEADER = [
    "dimension",
    "name",
    "reports",
    "finished",
    "on_time",
    "on_time_pct",
    "taken_up_late",
    "take_up_delay_mean_h",
]


def stats_rows(stats: dict[str, list[Line]]) -> list[list[object]]:
    return [
        [
            key,
            line.label,
            line.total,
            line.finished,
            line.on_time,
            line.on_time_share,
            line.taken_late,
            line.mean_late_hours,
        ]
        for key in ("category", "department")
        for line in stats[key]
    ]


def is_finished(status: str) -> bool:
    return Status(status) in FINISHED
