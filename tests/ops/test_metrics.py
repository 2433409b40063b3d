"""Both metrics endpoints of real processes, read with prometheus-client's own parser, after
real actions: tickets issued and called over MQTT as devices, a visit booked over HTTP, the
hub syncing to the cloud. The public port has no /metrics, and every alert rule in
docs/ops/alerts.yaml names a metric these endpoints serve."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography import x509
from prometheus_client.parser import text_string_to_metric_families

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from provisioning.broker import free_port
from tests.conftest import SiteRig, make_rig
from tests.support.hubproc import HubProcess
from tests.support.sitefile import CLERK_PIN, write_site_file
from tests.support.webproc import Smtp, WebProcess, six_digit_code
from web.reservations.booking import TZ

OPS = Path(__file__).resolve().parents[2] / "docs" / "ops"
ALERTS = OPS / "alerts.yaml"
DASHBOARD = OPS / "grafana-dashboard.json"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@dataclass
class Site:
    rig: SiteRig
    hub: HubProcess
    web: WebProcess
    smtp: Smtp
    hub_metrics: str
    web_metrics: str


def scrape(url: str) -> Samples:
    text = httpx.get(url, timeout=10).raise_for_status().text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def has(name: str, wanted: float, **labels: str) -> Callable[[Samples], bool]:
    return lambda s: s.get((name, frozenset(labels.items()))) == wanted


def eventually(url: str, check: Callable[[Samples], bool], what: str) -> Samples:
    deadline = time.monotonic() + 20
    while not check(samples := scrape(url)):
        assert time.monotonic() < deadline, f"{what}: {samples}"
        time.sleep(0.2)
    return samples


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("metrics")
    rig = make_rig(tmp)
    smtp = Smtp.start()
    web_metrics = f"127.0.0.1:{free_port()}"
    web = WebProcess.start(
        tmp,
        smtp_port=smtp.port,
        site=write_site_file(tmp),
        extra=["--metrics-listen", web_metrics],
    )
    token = _site_token(web, rig.site_id)
    hub_metrics = f"127.0.0.1:{free_port()}"
    with rig.config.open("a", encoding="utf-8") as f:
        f.write(
            f'\n[hub.cloud]\nurl = "{web.url}"\ntoken = "{token}"\ninterval_s = 0.5\n'
            f'\n[hub.metrics]\nlisten = "{hub_metrics}"\n'
        )
    hub = rig.hub().start()
    yield Site(
        rig, hub, web, smtp, f"http://{hub_metrics}/metrics", f"http://{web_metrics}/metrics"
    )
    hub.stop()
    web.stop()
    smtp.stop()
    rig.broker.stop()


def _site_token(web: WebProcess, site_id: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "site-token",
            "create",
            "--site",
            site_id,
            "--database-url",
            web.database_url,
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_hub_metrics_follow_tickets_calls_refusals_and_the_printer(site: Site):
    dispenser = HubClient(site.rig.creds("dispenser-1")).start()
    terminal = HubClient(site.rig.creds("terminal-1")).start()
    try:
        for _ in range(3):
            reply = dispenser.request(
                Operation.ISSUE_TICKET,
                msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
            )
            assert reply.ok, reply.error
        closed = dispenser.request(
            Operation.ISSUE_TICKET,
            msg.IssueTicketRequest(request_id=new_request_id(), service="nieczynne"),
        )
        assert not closed.ok and closed.error
        signed = terminal.request(
            Operation.SIGN_IN,
            msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
        )
        assert signed.ok, signed.error
        called = terminal.request(
            Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id())
        )
        assert called.ok, called.error
        dispenser.report_status(
            msg.DeviceStatus(
                device="dispenser-1",
                role="dispenser",
                software="test",
                printer=msg.PrinterState.PAPER_OUT,
                at=datetime.now(UTC),
            )
        )
        s = eventually(
            site.hub_metrics,
            has("okienko_hub_printer_state", 1, device="dispenser-1", state="paper_out"),
            "the printer's paper_out",
        )
    finally:
        dispenser.stop()
        terminal.stop()

    assert value(s, "okienko_hub_tickets_issued_total", service="dowody") == 3
    assert value(s, "okienko_hub_calls_total", service="dowody") == 1
    assert value(s, "okienko_hub_waiting_tickets", service="dowody") == 2
    assert value(s, "okienko_hub_waiting_tickets", service="meldunki") == 0
    assert value(s, "okienko_hub_oldest_waiting_seconds", service="dowody") > 0
    assert value(s, "okienko_hub_refusals_total", code=closed.error.code) == 1
    # Issue ×3, sign-in and the call each committed (the refusal wrote nothing).
    assert value(s, "okienko_hub_commit_seconds_count") == 5
    assert value(s, "okienko_hub_service_open", service="dowody") == 1
    assert value(s, "okienko_hub_service_open", service="nieczynne") == 0
    assert value(s, "okienko_hub_mqtt_connected") == 1
    assert value(s, "okienko_hub_printer_state", device="dispenser-1", state="ok") == 0
    # The hub pushed everything to the cloud and says when.
    s = eventually(
        site.hub_metrics,
        lambda s: (
            s.get(("okienko_hub_sync_backlog_events", frozenset())) == 0
            and s.get(("okienko_hub_sync_last_success_timestamp_seconds", frozenset()), 0) > 0
        ),
        "the sync caught up",
    )
    assert time.time() - value(s, "okienko_hub_sync_last_success_timestamp_seconds") < 30


def test_devices_online_and_offline_are_counted(site: Site):
    before = scrape(site.hub_metrics)
    total = value(before, "okienko_hub_devices", state="online") + value(
        before, "okienko_hub_devices", state="offline"
    )
    assert total == 7  # the test site's devices
    with HubClient(site.rig.creds("display-1")):
        s = eventually(
            site.hub_metrics,
            has("okienko_hub_device_online", 1, device="display-1", role="display"),
            "the display online",
        )
        assert value(s, "okienko_hub_devices", state="online") >= 1
    s = eventually(
        site.hub_metrics,
        has("okienko_hub_device_online", 0, device="display-1", role="display"),
        "the display offline",
    )


def test_cloud_metrics_count_a_booking_by_route_and_the_hubs_sync(site: Site):
    day = datetime.now(TZ).date() + timedelta(days=2)
    start = datetime(day.year, day.month, day.day, 11, tzinfo=TZ)
    body = {
        "service": "dowody",
        "start": start.isoformat(),
        "name": "Anna Nowak",
        "contact": "anna@example.org",
        "terms": True,
        "privacy": True,
    }
    held = httpx.post(f"{site.web.url}/api/v1/reservations", json=body)
    assert held.status_code == 201, held.text
    rid = held.json()["id"]
    mail = site.smtp.inbox.wait_for("anna@example.org")[-1]
    confirmed = httpx.post(
        f"{site.web.url}/api/v1/reservations/{rid}/confirm", json={"code": six_digit_code(mail)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert httpx.get(f"{site.web.url}/e/not-a-token").status_code == 404

    s = eventually(
        site.web_metrics,
        has("okienko_web_hub_online", 1, site="test-site"),
        "the hub online in the cloud",
    )
    assert value(s, "okienko_web_bookings_total") == 1
    assert value(s, "okienko_web_cancellations_total") == 0
    confirm_route = "/api/v1/reservations/{id}/confirm"
    assert (
        value(s, "okienko_web_requests_total", route=confirm_route, method="POST", status="200")
        == 1
    )
    assert (
        value(
            s,
            "okienko_web_requests_total",
            route="/api/v1/reservations",
            method="POST",
            status="201",
        )
        == 1
    )
    # A path with a token is counted under its template, never as itself.
    assert not any("not-a-token" in dict(labels).get("route", "") for _, labels in s)
    assert value(s, "okienko_web_request_seconds_count", route=confirm_route) == 1
    assert value(s, "okienko_web_site_sync_lag_seconds", site="test-site") < 60
    assert value(s, "okienko_web_hubs_offline") == 0
    assert value(s, "okienko_web_fault_reports_overdue") == 0
    ran = value(
        s, "okienko_web_job_last_success_timestamp_seconds", job_name="release_expired_holds"
    )
    assert time.time() - ran < 120


def test_database_pool_use_is_served_and_every_connection_comes_back(site: Site):
    for _ in range(5):
        assert httpx.get(f"{site.web.url}/healthz", timeout=10).status_code == 200
        # a look-up by an unknown manage token: a database query, then 404
        assert httpx.get(f"{site.web.url}/api/v1/visits/nope", timeout=10).status_code == 404
    samples = eventually(
        site.web_metrics,
        has("okienko_web_db_connections_in_use", 0.0),
        "every connection back in the pool once the requests are answered",
    )
    assert value(samples, "okienko_web_db_pool_limit") > 0


def test_the_public_port_does_not_serve_metrics(site: Site):
    assert httpx.get(f"{site.web.url}/metrics").status_code == 404
    assert httpx.get(site.web_metrics.replace("/metrics", "/")).status_code == 200
    assert httpx.get(site.hub_metrics.replace("/metrics", "/other")).status_code == 404


def test_a_taken_metrics_address_stops_the_hub_with_one_line(site: Site, tmp_path: Path):
    taken = site.web_metrics.removeprefix("http://").removesuffix("/metrics")
    text = site.rig.config.read_text(encoding="utf-8")
    text = re.sub(r'database = ".*"', f'database = "{tmp_path / "other.sqlite3"}"', text)
    config = tmp_path / "site.toml"
    config.write_text(re.sub(r'listen = ".*"', f'listen = "{taken}"', text), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "okienko.cli", "hub", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"[hub.metrics] listen = '{taken}': Address already in use"
    )


def test_every_alert_rule_names_a_metric_the_processes_serve(site: Site):
    served = {name for name, _ in scrape(site.hub_metrics)} | {
        name for name, _ in scrape(site.web_metrics)
    }
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    assert {"OkienkoHubOffline", "OkienkoSyncBacklogGrowing", "OkienkoNobodyCalled"} <= {
        r["alert"] for r in rules
    }
    assert {"OkienkoPrinterOutOfPaper", "OkienkoCertificateExpiring"} <= {r["alert"] for r in rules}
    for rule in rules:
        names = set(re.findall(r"\bokienko_[a-z_]+", rule["expr"]))
        assert names, f"{rule['alert']} names no metric of ours"
        assert names <= served, f"{rule['alert']}: {names - served} not served"


def test_every_dashboard_panel_reads_a_metric_the_processes_serve(site: Site):
    served = {name for name, _ in scrape(site.hub_metrics)} | {
        name for name, _ in scrape(site.web_metrics)
    }
    panels = [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]
    assert len(panels) >= 15
    for panel in panels:
        assert panel["targets"], f"{panel['title']} shows nothing"
        for target in panel["targets"]:
            names = set(re.findall(r"\bokienko_[a-z_]+", target["expr"]))
            assert names, f"{panel['title']} names no metric of ours"
            assert names <= served, f"{panel['title']}: {names - served} not served"


def test_the_brokers_certificate_expiry_is_served_for_its_alert(site: Site):
    """The hub serves when the certificate the broker proved itself with runs out, so
    OkienkoCertificateExpiring fires three weeks before devices would refuse the broker."""
    cert = x509.load_pem_x509_certificate((site.rig.dir / "pki" / "server.crt").read_bytes())
    samples = eventually(
        site.hub_metrics,
        lambda s: ("okienko_hub_broker_certificate_expiry_timestamp_seconds", frozenset()) in s,
        "the certificate's expiry",
    )
    served = value(samples, "okienko_hub_broker_certificate_expiry_timestamp_seconds")
    assert served == cert.not_valid_after_utc.timestamp()
