"""The reports page (/staff/reports) with a date range and a site, and its CSV/XLSX exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth.session import requires
from web.catalog import get_catalog
from web.i18n import _, staff_language_of, translations
from web.reports import export, queries, stats, visits
from web.templating import render

MAX_DAYS = 366


def _period(request: Request) -> tuple[date, date, str | None, dict[str, str]]:
    today = datetime.now(stats.TZ).date()
    errors: dict[str, str] = {}
    try:
        first = date.fromisoformat(request.query_params.get("from") or str(today - timedelta(29)))
    except ValueError:
        first, errors["from"] = today - timedelta(29), _("Enter a date like 2026-11-25.")
    try:
        last = date.fromisoformat(request.query_params.get("to") or str(today))
    except ValueError:
        last, errors["to"] = today, _("Enter a date like 2026-11-25.")
    if last < first:
        errors["to"] = _("The end must not be before the start.")
        last = first
    if (last - first).days >= MAX_DAYS:
        errors["to"] = _("Choose at most a year.")
        last = first + timedelta(days=MAX_DAYS - 1)
    return first, last, request.query_params.get("site") or None, errors


async def _report(request: Request) -> dict[str, object]:
    first, last, site, errors = _period(request)
    engine = request.app.state.engine
    items = stats.facts(await queries.period_events(engine, first, last, site))
    outcome = stats.reservation_outcome(
        await queries.reservation_statuses(engine, first, last, site), datetime.now(UTC)
    )
    return {
        "first": first,
        "last": last,
        "site": site,
        "errors": errors,
        "total": stats.summarize(items),
        "by_service": stats.grouped(items, lambda t: t.service),
        "by_counter": stats.grouped(items, lambda t: t.counter),
        "by_clerk": stats.grouped(items, lambda t: t.clerk),
        "per_hour": stats.per_hour(items),
        "reservations": outcome,
    }


@requires("reports")
async def page(request: Request) -> Response:
    report = await _report(request)
    catalog = await get_catalog(request.app)
    names = {k: s.name for k, s in catalog.services.items()}
    wait_chart = [
        (names.get(k, k), round((s.waiting.mean or 0) / 60, 1))
        for k, s in report["by_service"].items()  # type: ignore[attr-defined]
    ]
    return render(
        request,
        "reports/page.html",
        {
            **report,
            "sites": catalog.locations,
            "service_names": names,
            "wait_chart": wait_chart,
            "hour_chart": [
                (f"{h:02d}:00", n)
                for h, n in report["per_hour"].items()  # type: ignore[attr-defined]
            ],
            "point_names": {k: p.name for k, p in catalog.points.items()},
            "query": request.url.query,
        },
        status_code=400 if report["errors"] else 200,
    )


def _filename(report: dict[str, object], ext: str) -> str:
    return f"okienko-{report['site'] or 'all'}-{report['first']}-{report['last']}.{ext}"


@requires("reports")
async def csv(request: Request) -> Response:
    report = await _report(request)
    return Response(
        export.to_csv(report, translations(staff_language_of(request)).gettext),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'},
    )


@requires("reports")
async def xlsx(request: Request) -> Response:
    report = await _report(request)
    return Response(
        export.to_xlsx(report, translations(staff_language_of(request)).gettext),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "xlsx")}"'},
    )


routes = [
    Route("/staff/reports", page, methods=["GET"]),
    Route("/staff/reports.csv", csv, methods=["GET"]),
    Route("/staff/reports.xlsx", xlsx, methods=["GET"]),
    *visits.routes,
]
