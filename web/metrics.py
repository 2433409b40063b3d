"""The cloud's Prometheus metrics, served on a listener of their own (``--metrics-listen``),
never on the public port.

Requests, jobs, bookings and cancellations are counted where they happen (in every worker;
with ``--workers N`` through prometheus-client's multiprocess files). What the database knows
(each site's sync, fault reports past their deadline) is read from it on each scrape.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from web import multiproc

log = logging.getLogger("okienko.web.metrics")

REQUESTS = Counter(
    "okienko_web_requests",
    "HTTP requests by route template, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "okienko_web_request_seconds",
    "Time to answer an HTTP request, by route template",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOB_LAST_RUN = Gauge(
    "okienko_web_job_last_run_timestamp_seconds",
    "When the background job last ran (Unix time)",
    ["job_name"],
    multiprocess_mode="max",
)
JOB_LAST_SUCCESS = Gauge(
    "okienko_web_job_last_success_timestamp_seconds",
    "When the background job last finished without an error (Unix time)",
    ["job_name"],
    multiprocess_mode="max",
)
JOB_FAILURES = Counter("okienko_web_job_failures", "Background job runs that failed", ["job_name"])
BOOKINGS = Counter("okienko_web_bookings", "Visits booked (confirmed, or booked by staff)")
CANCELLATIONS = Counter("okienko_web_cancellations", "Visits cancelled")
DB_IN_USE = Gauge(
    "okienko_web_db_connections_in_use",
    "Database connections checked out of the pool (all workers)",
    multiprocess_mode="livesum",
)
DB_POOL_LIMIT = Gauge(
    "okienko_web_db_pool_limit",
    "The most connections one worker's pool opens (size + overflow; 0: no limit)",
    multiprocess_mode="livemax",
)

# Not a route of the app: one label for every such path, so scanners cannot grow the series.
UNMATCHED = "<unmatched>"


def route_template(routes: list[Any], scope: Scope) -> str:
    """The path template that serves ``scope`` (``/e/{token}``), never the path itself: a
    label per visitor's token would grow without end."""
    for route in routes:
        match, child = route.matches(scope)
        if match is not Match.FULL:
            continue
        if isinstance(route, Mount):
            inner = getattr(route, "routes", None) or []
            rest = route_template(inner, {**scope, **child}) if inner else "/{path}"
            return route.path + (rest if rest != UNMATCHED else "/{path}")
        return str(route.path)
    return UNMATCHED


class RequestMetrics:
    """ASGI middleware: counts each HTTP request and times it, by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app raises before answering

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            app = scope.get("app")
            route = route_template(app.routes, scope) if app is not None else UNMATCHED
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)


def watch_pool(engine: Any) -> None:
    """Count the engine's checked-out connections as they come and go, so "database pool
    use" is in_use / limit: a pool at its limit makes requests wait for a connection."""
    from sqlalchemy import event

    pool = engine.sync_engine.pool
    size, overflow = getattr(pool, "size", None), getattr(pool, "_max_overflow", 0)
    DB_POOL_LIMIT.set(size() + max(overflow, 0) if callable(size) else 0)
    event.listen(engine.sync_engine, "checkout", lambda *_: DB_IN_USE.inc())
    event.listen(engine.sync_engine, "checkin", lambda *_: DB_IN_USE.dec())


def job_ran(name: str, ok: bool) -> None:
    now = time.time()
    JOB_LAST_RUN.labels(name).set(now)
    if ok:
        JOB_LAST_SUCCESS.labels(name).set(now)
    else:
        JOB_FAILURES.labels(name).inc()


class DatabaseCollector(Collector):
    """Read on each scrape, in the metrics server's thread, through an engine of its own."""

    def __init__(self, database_url: str | None, fault_settings: Any = None) -> None:
        self.database_url = database_url
        self.fault_settings = fault_settings

    def describe(self) -> Iterable[Metric]:
        # Not collect() at registration: the database may not be migrated yet.
        return []

    def collect(self) -> Iterable[Metric]:
        try:
            return asyncio.run(self._read())
        except Exception:  # a scrape must not fail for a database hiccup; the gap shows it
            log.exception("reading metrics from the database failed")
            return []

    async def _read(self) -> list[Metric]:
        from sqlalchemy import Table, func, select

        from web.db.engine import make_engine
        from web.db.models import Location, SiteSync
        from web.eticket.state import OFFLINE_AFTER
        from web.faults import tables as ft
        from web.faults.listing import _late
        from web.faults.settings import DEFAULT

        now = datetime.now(UTC)
        ss, loc = cast(Table, SiteSync.__table__), cast(Table, Location.__table__)
        engine = make_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                sites = {r.id: None for r in await conn.execute(select(loc.c.id))}
                syncs = list(await conn.execute(select(ss)))
                overdue = await conn.scalar(
                    select(func.count())
                    .select_from(ft.reports)
                    .where(_late(now, self.fault_settings or DEFAULT).overdue)
                )
        finally:
            await engine.dispose()
        lag = GaugeMetricFamily(
            "okienko_web_site_sync_lag_seconds",
            "Time since the site's hub last synced (absent: never)",
            labels=["site"],
        )
        backlog = GaugeMetricFamily(
            "okienko_web_site_sync_backlog_events",
            "Events the site's hub last said it still had to send",
            labels=["site"],
        )
        online = GaugeMetricFamily(
            "okienko_web_hub_online", "1 while the site's hub syncs", labels=["site"]
        )
        seen: dict[str, datetime | None] = dict.fromkeys(sites)
        for r in syncs:
            at = r.last_seen_at
            seen[r.location_id] = at.replace(tzinfo=UTC) if at and at.tzinfo is None else at
            backlog.add_metric([r.location_id], r.backlog)
        offline = 0
        for site, at in seen.items():
            if at is not None:
                lag.add_metric([site], max(0.0, (now - at).total_seconds()))
            up = at is not None and now - at <= OFFLINE_AFTER
            online.add_metric([site], 1.0 if up else 0.0)
            offline += 0 if up else 1
        hubs_offline = GaugeMetricFamily(
            "okienko_web_hubs_offline", "Sites whose hub has not synced lately (or never)"
        )
        hubs_offline.add_metric([], offline)
        faults = GaugeMetricFamily(
            "okienko_web_fault_reports_overdue",
            "Fault reports not finished (nor suspended) past their realisation deadline",
        )
        faults.add_metric([], int(overdue or 0))
        return [lag, backlog, online, hubs_offline, faults]


def serve(listen: str, database_url: str | None, fault_settings: Any = None) -> None:
    """Start the metrics listener in a thread of this process (the only process, or the
    workers' parent, which reads their files)."""
    from prometheus_client import start_http_server

    from hub.config import parse_listen

    host, port = parse_listen(listen)
    registry: CollectorRegistry = REGISTRY
    if multiproc.enabled():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    registry.register(DatabaseCollector(database_url, fault_settings))
    start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
