"""The hub's Prometheus metrics: a registry of its own, read from the hub's state on each scrape
(queue, fleet, MQTT, sync), plus counters and a histogram the pipeline feeds as commands commit.

Served on its own address ([hub.metrics] listen), never the broker's, by a small HTTP server on
the hub's event loop: a scrape reads the queue in the same thread that changes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from hub.config import ConfigError, parse_listen
from hub.contract import messages as msg
from hub.domain import events as ev
from hub.domain.queue import Availability
from hub.service import Hub

log = logging.getLogger("okienko.hub.metrics")

# SQLite commits take ~0.5 ms with synchronous=FULL on an SSD, tens of ms on an SD card.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class HubMetrics:
    """What the hub counts as it works (``Hub.observer``) and what it reads on a scrape."""

    def __init__(
        self,
        hub: Hub,
        *,
        mqtt_connected: Callable[[], bool] = lambda: False,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.issued = Counter(
            "okienko_hub_tickets_issued",
            "Tickets issued (and checked in), by service",
            ["service"],
            registry=self.registry,
        )
        self.calls = Counter(
            "okienko_hub_calls",
            "Tickets called to a counter (recalls included), by service",
            ["service"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "okienko_hub_refusals",
            "Commands refused, by the refusal code devices get",
            ["code"],
            registry=self.registry,
        )
        self.commit = Histogram(
            "okienko_hub_commit_seconds",
            "Time to write one batch of commands to SQLite (group commit)",
            buckets=COMMIT_BUCKETS,
            registry=self.registry,
        )
        for s in hub.site.services:  # present from the start, so rate() sees the first one
            self.issued.labels(s.id)
            self.calls.labels(s.id)
        self.registry.register(_StateCollector(hub, mqtt_connected))
        self._hub = hub

    # --- Hub.observer --------------------------------------------------------------------

    def committed(self, events: Sequence[ev.Event], seconds: float) -> None:
        self.commit.observe(seconds)
        tickets = self._hub.queue.state.tickets
        for e in events:
            if isinstance(e, ev.TicketIssued):
                self.issued.labels(e.service).inc()
            elif isinstance(e, ev.TicketCalled):
                ticket = tickets.get(e.ticket_id)
                self.calls.labels(ticket.service if ticket else "unknown").inc()

    def refused(self, code: str) -> None:
        self.refusals.labels(code).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges read from the hub's memory at scrape time: nothing to keep in step."""

    def __init__(
        self,
        hub: Hub,
        mqtt_connected: Callable[[], bool],
    ) -> None:
        self.hub = hub
        self.mqtt_connected = mqtt_connected

    def collect(self) -> Iterable[Metric]:
        hub = self.hub
        now = hub.clock()
        yield from self._queue(now)
        yield from self._fleet()
        up = GaugeMetricFamily(
            "okienko_hub_mqtt_connected", "1 while the hub is connected to the broker"
        )
        up.add_metric([], 1.0 if self.mqtt_connected() else 0.0)
        yield up
        yield from self._sync()

    def _queue(self, now: datetime) -> Iterable[Metric]:
        queue = self.hub.queue
        waiting = GaugeMetricFamily(
            "okienko_hub_waiting_tickets", "Tickets waiting to be called", labels=["service"]
        )
        oldest = GaugeMetricFamily(
            "okienko_hub_oldest_waiting_seconds",
            "Age of the longest-waiting ticket (0 when none waits)",
            labels=["service"],
        )
        is_open = GaugeMetricFamily(
            "okienko_hub_service_open",
            "1 during the service's opening hours (limits and cut-off aside)",
            labels=["service"],
        )
        by_service = queue.state.waiting_by_service
        for s in self.hub.site.services:
            tickets = list(by_service.get(s.id, {}).values())
            waiting.add_metric([s.id], len(tickets))
            first = min((t.issued_at for t in tickets), default=None)
            oldest.add_metric([s.id], max(0.0, (now - first).total_seconds()) if first else 0.0)
            opened = queue.availability(s.id, now) is not Availability.CLOSED
            is_open.add_metric([s.id], 1.0 if opened else 0.0)
        yield from (waiting, oldest, is_open)

    def _fleet(self) -> Iterable[Metric]:
        devices = self.hub.fleet.devices.values()
        online = GaugeMetricFamily(
            "okienko_hub_device_online", "1 while the device is online", labels=["device", "role"]
        )
        count = GaugeMetricFamily(
            "okienko_hub_devices", "Devices of the site by presence", labels=["state"]
        )
        printer = GaugeMetricFamily(
            "okienko_hub_printer_state",
            "1 for the state a dispenser's printer reports (paper_out, paper_near_end, …)",
            labels=["device", "state"],
        )
        for d in devices:
            online.add_metric([d.id, d.role], 1.0 if d.online else 0.0)
            if d.role == "dispenser":
                for state in msg.PrinterState:
                    printer.add_metric([d.id, str(state)], 1.0 if d.printer is state else 0.0)
        up = sum(1 for d in devices if d.online)
        count.add_metric(["online"], up)
        count.add_metric(["offline"], len(devices) - up)
        yield from (online, count, printer)
        expires = self.hub.fleet.broker_certificate_expires
        if expires is not None:  # known once connected over TLS
            cert = GaugeMetricFamily(
                "okienko_hub_broker_certificate_expiry_timestamp_seconds",
                "When the certificate the broker proved itself with runs out",
            )
            cert.add_metric([], expires.timestamp())
            yield cert

    def _sync(self) -> Iterable[Metric]:
        health = self.hub.sync_health
        if health is None:  # no [hub.cloud]: the hub works alone, nothing to report
            return
        backlog = GaugeMetricFamily(
            "okienko_hub_sync_backlog_events", "Stored events the cloud does not have yet"
        )
        backlog.add_metric([], health.backlog)
        last = GaugeMetricFamily(
            "okienko_hub_sync_last_success_timestamp_seconds",
            "When a push to the cloud last succeeded (Unix time; 0: not yet)",
        )
        last.add_metric([], health.last_success.timestamp() if health.last_success else 0.0)
        online = GaugeMetricFamily("okienko_hub_sync_online", "1 while the cloud answers")
        online.add_metric([], 1.0 if health.online else 0.0)
        yield from (backlog, last, online)


@contextlib.asynccontextmanager
async def serving(metrics: HubMetrics, listen: str) -> AsyncIterator[asyncio.Server]:
    """``GET /metrics`` on ``listen``; anything else is 404."""
    host, port = parse_listen(listen)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            parts = request.split(b" ", 2)
            path = parts[1].split(b"?")[0] if len(parts) > 1 else b""
            if parts[0] == b"GET" and path == b"/metrics":
                status, kind, body = "200 OK", CONTENT_TYPE_LATEST, metrics.exposition()
            else:
                status, kind, body = "404 Not Found", "text/plain", b"not found\n"
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # a scraper that went away or sent nonsense: nothing to answer
        except Exception:
            log.exception("metrics scrape failed")
        finally:
            writer.close()

    try:
        server = await asyncio.start_server(answer, host, port)
    except OSError as exc:  # taken, or an address not of this machine: one clear line
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConfigError(f"[hub.metrics] listen = {listen!r}: {why}") from None
    log.info("metrics on http://%s:%d/metrics", host, port)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()
