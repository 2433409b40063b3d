"""Benchmark: how fast the cloud takes in a hub's events, and how long a counter's call takes
to reach the e-ticket page on a phone.

* ingest: batches of 500 queue events pushed over HTTP to a real `okienko web` (SQLite, one
  worker), beside a bare Starlette endpoint that only parses the same batches, in this run;
* sites: many hubs at once (40, or 12 with --quick), each with its own site token, pushing
  their own batches concurrently into one cloud (SQLite, or PostgreSQL with --postgres);
  afterwards every site's events are counted in the cloud's database: each exactly once;
* lag: real Mosquitto, the hub as a process syncing to the real cloud, an e-ticket page's
  server-sent events stream open; from the terminal's call-next reply to the stream's
  "called" update, beside the hall display's MQTT `event/called` arrival (the floor).

Last line: ``events_per_s=X bare_events_per_s=X ratio=X sites=N sites_events_per_s=X
sites_exact=yes|no lag_p50_ms=X lag_p99_ms=X display_p50_ms=X``.
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from appliance.common.hub_client import HubClient, new_request_id  # noqa: E402
from bench.hub_latency import percentile  # noqa: E402
from hub.contract import messages as msg  # noqa: E402
from hub.contract import sync as contract  # noqa: E402
from hub.contract.topics import Operation  # noqa: E402
from tests.conftest import make_rig  # noqa: E402
from tests.support.sitefile import CLERK_PIN  # noqa: E402
from tests.support.webproc import Smtp, WebProcess, free_port  # noqa: E402

BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from hub.contract.sync import PushRequest

async def push(request):
    batch = PushRequest.model_validate_json(await request.body())
    return JSONResponse({"acked": max((e.seq for e in batch.events), default=0)})

app = Starlette(routes=[Route("/api/v1/sync/events", push, methods=["POST"])])
"""


def batches(total: int, size: int = contract.MAX_BATCH) -> list[bytes]:
    now = datetime.now(UTC).isoformat()
    out = []
    for start in range(1, total + 1, size):
        events = [
            {
                "seq": seq,
                "body": {
                    "type": "ticket_issued",
                    "at": now,
                    "ticket_id": f"t{seq}",
                    "token": f"tok{seq:08d}",
                    "service": "dowody",
                    "seq": seq,
                    "number": f"A{seq:03d}",
                    "kind": "walk_in",
                },
            }
            for seq in range(start, min(total, start + size - 1) + 1)
        ]
        out.append(json.dumps({"events": events}).encode())
    return out


def push_all(url: str, bodies: list[bytes], headers: dict[str, str]) -> float:
    with httpx.Client(timeout=60, headers=headers) as client:
        t0 = time.perf_counter()
        for body in bodies:
            r = client.post(url + contract.PUSH_PATH, content=body)
            r.raise_for_status()
        return time.perf_counter() - t0


def site_token(database_url: str, site: str) -> str:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "site-token",
            "create",
            "--site",
            site,
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.strip()


def ingest(work: Path, total: int, smtp: Smtp) -> tuple[float, float]:
    (work / "ingest").mkdir()
    web = WebProcess.start(work / "ingest", smtp_port=smtp.port)
    bare_port = free_port()
    (work / "bare.py").write_text(BARE_APP)
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare:app",
            "--port",
            str(bare_port),
            "--log-level",
            "warning",
        ],
        cwd=work,
        env={"PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        headers = {"Authorization": f"Bearer {site_token(web.database_url, 'bench')}"}
        bodies = batches(total)
        bare_url = f"http://127.0.0.1:{bare_port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(bare_url + contract.PUSH_PATH, content=b'{"events": []}')
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "bare endpoint did not start"
                time.sleep(0.2)
        took = push_all(web.url, bodies, headers)
        bare_took = push_all(bare_url, bodies, headers)
    finally:
        web.stop()
        bare.terminate()
        bare.wait(10)
    return total / took, total / bare_took


PG_ADMIN = "postgresql://okienko:okienko@127.0.0.1:5432/postgres"


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def many_sites(
    work: Path, sites: int, per_site: int, smtp: Smtp, postgres: bool
) -> tuple[float, bool]:
    """Every site pushes its own stream at the same time (one thread a site, batches of 100
    as a busy hub sends them); the cloud must keep each site's events apart and whole."""
    import asyncio

    from sqlalchemy import func, select

    from web.db.engine import make_engine
    from web.db.models import QueueEvent
    from web.sync import tokens

    (work / "sites").mkdir()
    database_url = None
    name = f"okienko_bench_{int(time.time())}"
    if postgres:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        database_url = PG_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
        database_url += f"/{name}"
    web = WebProcess.start(work / "sites", smtp_port=smtp.port, database_url=database_url)
    ids = [f"urzad-{i:02d}" for i in range(sites)]

    async def make_tokens() -> list[str]:
        engine = make_engine(web.database_url)
        try:
            return [await tokens.create(engine, site) for site in ids]
        finally:
            await engine.dispose()

    async def counts() -> dict[str, int]:
        engine = make_engine(web.database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(QueueEvent.location_id, func.count()).group_by(QueueEvent.location_id)
                )
                return {site: n for site, n in rows.all()}
        finally:
            await engine.dispose()

    try:
        site_tokens = asyncio.run(make_tokens())
        bodies = batches(per_site, 100)
        errors: list[BaseException] = []

        def push(token: str) -> None:
            try:
                push_all(web.url, bodies, {"Authorization": f"Bearer {token}"})
                push_all(web.url, bodies[-1:], {"Authorization": f"Bearer {token}"})  # a resend
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=push, args=(t,)) for t in site_tokens]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.perf_counter() - t0
        if errors:
            raise errors[0]
        exact = asyncio.run(counts()) == {site: per_site for site in ids}
    finally:
        web.stop()
        if postgres:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return sites * per_site / took, exact


def lag(work: Path, calls: int, smtp: Smtp) -> tuple[list[float], list[float]]:
    from tests.support.broker import tls_client

    (work / "lag").mkdir()
    rig = make_rig(work / "lag")
    (rig.dir / "web").mkdir()
    web = WebProcess.start(rig.dir / "web", smtp_port=smtp.port, site=rig.config)
    token = site_token(web.database_url, rig.site_id)
    with rig.config.open("a", encoding="utf-8") as f:
        f.write(f'\n[hub.cloud]\nurl = "{web.url}"\ntoken = "{token}"\ninterval_s = 1\n')
    hub = rig.hub().start()
    display_at: queue.Queue[float] = queue.Queue()
    display = tls_client(rig.ca_file)
    display.username_pw_set("display-1", rig.passwords["display-1"])
    display.on_message = lambda c, u, m: display_at.put(time.perf_counter())
    display.connect("127.0.0.1", rig.port)
    display.subscribe(f"okienko/v1/{rig.site_id}/event/called/+", qos=1)
    display.loop_start()
    page, floor = [], []
    try:
        with HubClient(rig.creds("dispenser-1")) as d, HubClient(rig.creds("terminal-1")) as t:
            assert t.request(
                Operation.SIGN_IN,
                msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
            ).ok
            for _ in range(calls):
                reply = d.request(
                    Operation.ISSUE_TICKET,
                    msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
                )
                tok = reply.ticket.eticket_url.rsplit("/", 1)[1]  # type: ignore[union-attr]
                url = f"{web.url}/e/{tok}"
                while httpx.get(url).status_code != 200:
                    time.sleep(0.01)
                seen: queue.Queue[float] = queue.Queue()
                ready = threading.Event()

                def listen(
                    url: str = url, seen: queue.Queue[float] = seen, ready: threading.Event = ready
                ) -> None:
                    with httpx.stream("GET", url + "/live", timeout=30) as stream:
                        for line in stream.iter_lines():
                            if not line.startswith("data:"):
                                continue
                            ready.set()
                            if "Zapraszamy" in line:
                                seen.put(time.perf_counter())
                                return

                threading.Thread(target=listen, daemon=True).start()
                assert ready.wait(10)
                while not display_at.empty():
                    display_at.get_nowait()
                t0 = time.perf_counter()
                called = t.request(
                    Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id())
                )
                assert called.ok, called
                page.append((seen.get(timeout=10) - t0) * 1000)
                floor.append((display_at.get(timeout=10) - t0) * 1000)
                t.request(Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id()))
    finally:
        display.loop_stop()
        hub.stop()
        web.stop()
        rig.broker.stop()
    return page, floor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--postgres", action="store_true", help="the many-sites phase on the local PostgreSQL"
    )
    args = parser.parse_args(argv)
    total, calls = (5000, 20) if args.quick else (50000, 100)
    sites, per_site = (12, 500) if args.quick else (40, 1000)
    smtp = Smtp.start()
    try:
        with tempfile.TemporaryDirectory(prefix="okienko-sync-") as tmp:
            per_s, bare_per_s = ingest(Path(tmp), total, smtp)
            sites_per_s, exact = many_sites(Path(tmp), sites, per_site, smtp, args.postgres)
            page, floor = lag(Path(tmp), calls, smtp)
    finally:
        smtp.stop()
    print(f"ingested {total} events in batches of {contract.MAX_BATCH}; {calls} calls followed")
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{sites} sites x {per_site} events pushed at once into one cloud on {where}")
    print(
        f"events_per_s={per_s:.0f} bare_events_per_s={bare_per_s:.0f} "
        f"ratio={bare_per_s / per_s:.2f} sites={sites} sites_events_per_s={sites_per_s:.0f} "
        f"sites_exact={'yes' if exact else 'no'} lag_p50_ms={percentile(page, 50):.1f} "
        f"lag_p99_ms={percentile(page, 99):.1f} display_p50_ms={percentile(floor, 50):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
