"""The planning and outcome of visits (/staff/reports/visits): upcoming visits by day,
service, service point and status, and visits kept and missed over a period, on the page and
as CSV and XLSX with headers in the page's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth.session import requires
from web.catalog import Catalog, get_catalog
from web.i18n import N_, _, staff_language_of, translations
from web.reports import export, planning, queries
from web.reservations.booking import TZ
from web.reservations.fit import visit_fits
from web.staff.texts import STATUS
from web.templating import render

MAX_DAYS = 366
PLAN_DAYS = 14  # the plan's default: the next two weeks
OUTCOME_DAYS = 30  # the outcome's default: the last thirty days


def _dates(
    request: Request, names: tuple[str, str], default: tuple[date, date], errors: dict[str, str]
) -> tuple[date, date]:
    values = []
    for name, fallback in zip(names, default, strict=True):
        try:
            values.append(date.fromisoformat(request.query_params.get(name) or str(fallback)))
        except ValueError:
            values.append(fallback)
            errors[name] = _("Enter a date like 2026-11-25.")
    first, last = values
    if last < first:
        errors[names[1]] = _("The end must not be before the start.")
        last = first
    if (last - first).days >= MAX_DAYS:
        errors[names[1]] = _("Choose at most a year.")
        last = first + timedelta(days=MAX_DAYS - 1)
    return first, last


async def _report(request: Request, catalog: Catalog) -> dict[str, Any]:
    today = datetime.now(TZ).date()
    errors: dict[str, str] = {}
    plan_from, plan_to = _dates(
        request, ("plan_from", "plan_to"), (today, today + timedelta(PLAN_DAYS - 1)), errors
    )
    first, last = _dates(
        request, ("from", "to"), (today - timedelta(OUTCOME_DAYS - 1), today), errors
    )
    site = request.query_params.get("site") or None
    engine = request.app.state.engine

    def visits(rows: list[tuple[datetime, str, str, str]]) -> list[planning.Visit]:
        return [
            planning.Visit(start, svc, point, status, visit_fits(catalog, point, svc, start))
            for start, svc, point, status in rows
        ]

    outcome = planning.outcome(
        visits(await queries.visits_between(engine, first, last, site)), datetime.now(UTC)
    )
    return {
        "plan_from": plan_from,
        "plan_to": plan_to,
        "first": first,
        "last": last,
        "site": site,
        "errors": errors,
        "plan": planning.plan(
            visits(await queries.visits_between(engine, plan_from, plan_to, site))
        ),
        "outcome": outcome,
        "outcome_total": planning.total(outcome),
    }


def _names(catalog: Catalog, language: str) -> tuple[dict[str, str], dict[str, str]]:
    services = {k: s.label(language) for k, s in catalog.services.items()}
    return services, {k: p.name for k, p in catalog.points.items()}


PLAN_HEADER = [
    N_("Day"),
    N_("Service"),
    N_("Service point"),
    *(STATUS[s] for s in planning.PLAN_STATUSES),
    N_("Expected visitors"),
    N_("Outside the schedule"),
]
OUTCOME_HEADER = [
    N_("Day"),
    N_("Service"),
    N_("Kept"),
    N_("Missed"),
    N_("Cancelled visits"),
    N_("Kept (%)"),
]


def plan_rows(report: dict[str, Any], catalog: Catalog, language: str) -> list[list[object]]:
    services, points = _names(catalog, language)
    return [
        [
            r.day.isoformat(),
            services.get(r.service, r.service),
            points.get(r.service_point, r.service_point),
            *(r.counts.get(s, 0) for s in planning.PLAN_STATUSES),
            r.expected,
            r.off_schedule,
        ]
        for r in report["plan"]
    ]


def outcome_rows(report: dict[str, Any], catalog: Catalog, language: str) -> list[list[object]]:
    services, _points = _names(catalog, language)
    return [
        [
            r.day.isoformat(),
            services.get(r.service, r.service),
            r.kept,
            r.missed,
            r.cancelled,
            None if r.kept_rate is None else round(100 * r.kept_rate, 1),
        ]
        for r in report["outcome"]
    ]


@requires("reports")
async def page(request: Request) -> Response:
    catalog = await get_catalog(request.app)
    report = await _report(request, catalog)
    services, points = _names(catalog, staff_language_of(request))
    return render(
        request,
        "reports/visits.html",
        {
            **report,
            "sites": catalog.locations,
            "service_names": services,
            "point_names": points,
            "plan_statuses": planning.PLAN_STATUSES,
            "STATUS": STATUS,
            "query": request.url.query,
        },
        status_code=400 if report["errors"] else 200,
        headers={"Cache-Control": "no-store"},
    )


def _filename(report: dict[str, Any], part: str, ext: str) -> str:
    first, last = (
        (report["plan_from"], report["plan_to"])
        if part == "plan"
        else (report["first"], report["last"])
    )
    return f"okienko-visits-{part}-{report['site'] or 'all'}-{first}-{last}.{ext}"


async def _export(request: Request, part: str | None) -> Response:
    catalog = await get_catalog(request.app)
    report = await _report(request, catalog)
    language = staff_language_of(request)
    t = translations(language).gettext
    plan = ([t(h) for h in PLAN_HEADER], plan_rows(report, catalog, language))
    outcome = ([t(h) for h in OUTCOME_HEADER], outcome_rows(report, catalog, language))
    if part is None:
        body = export.write_xlsx([("plan", *plan), ("outcome", *outcome)])
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = _filename(report, "plan-outcome", "xlsx")
    else:
        body = export.write_csv(*(plan if part == "plan" else outcome))
        media = "text/csv; charset=utf-8"
        name = _filename(report, part, "csv")
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@requires("reports")
async def plan_csv(request: Request) -> Response:
    return await _export(request, "plan")


@requires("reports")
async def outcome_csv(request: Request) -> Response:
    return await _export(request, "outcome")


@requires("reports")
async def xlsx(request: Request) -> Response:
    return await _export(request, None)


routes = [
    Route("/staff/reports/visits", page, methods=["GET"]),
    Route("/staff/reports/visits-plan.csv", plan_csv, methods=["GET"]),
    Route("/staff/reports/visits-outcome.csv", outcome_csv, methods=["GET"]),
    Route("/staff/reports/visits.xlsx", xlsx, methods=["GET"]),
]
