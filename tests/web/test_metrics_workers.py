"""`okienko web --workers 2 --metrics-listen`: the workers count in prometheus-client's
multiprocess files and the one metrics listener (the parent's) adds them up; on PostgreSQL, as
a production cloud with several workers runs, the database's metrics are read too."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from tests.support.webproc import WebProcess, free_port


def families(url: str) -> list[Metric]:
    return list(text_string_to_metric_families(httpx.get(url, timeout=10).raise_for_status().text))


def healthz_count(url: str) -> float:
    for family in families(url):
        for s in family.samples:
            if s.name == "okienko_web_requests_total" and s.labels == {
                "route": "/healthz",
                "method": "GET",
                "status": "200",
            }:
                return s.value
    return 0.0


def test_two_workers_requests_add_up_on_one_listener(tmp_path: Path, pg_database: str):
    files = tmp_path / "prometheus"
    listen = f"127.0.0.1:{free_port()}"
    web = WebProcess.start(
        tmp_path,
        smtp_port=free_port(),  # nothing is mailed here
        database_url=pg_database,
        extra=["--workers", "2", "--metrics-listen", listen],
        env={"PROMETHEUS_MULTIPROC_DIR": str(files), "OKIENKO_SECRET_KEY": "one-for-both"},
    )
    try:
        metrics = f"http://{listen}/metrics"
        before = healthz_count(metrics)
        with httpx.Client(base_url=web.url) as client:
            for _ in range(40):
                assert client.get("/healthz").status_code == 200
        # New connections each time would spread over both workers; one client keeps one,
        # so also a second client: what matters is that the sum is exact.
        for _ in range(10):
            assert httpx.get(f"{web.url}/healthz").status_code == 200
        assert healthz_count(metrics) - before == 50
        read = {f.name: f.samples[0].value for f in families(metrics) if f.samples}
        assert read["okienko_web_fault_reports_overdue"] == 0
        assert read["okienko_web_hubs_offline"] == 0  # no site imported: no hub to miss
        assert httpx.get(f"{web.url}/metrics").status_code == 404
        # Both workers run the jobs and count in files of their own.
        pids = {p.stem.rsplit("_", 1)[-1] for p in files.glob("gauge_max_*.db")}
        assert len(pids) >= 2, sorted(p.name for p in files.iterdir())
    finally:
        web.stop()
