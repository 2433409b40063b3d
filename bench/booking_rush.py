"""Benchmark: many visitors racing over HTTP for a few slots of a real `okienko web`, beside a
bare Starlette endpoint served the same way in the same run.

The site file's "dowody" service has three places per slot; every attempt picks one of a few
slots of tomorrow morning. Afterwards the database is counted: no slot may hold more than its
places. Every granted hold is then confirmed with the 6-digit code the service sent (read from
its development SMS outbox), as a visitor would. Last line:
``attempts=N slots=N confirmed=N double_booked=N p99_ms=X bookings_per_s=X bare_per_s=X``
(confirmed = reservations confirmed with their code; goal: confirmed == slots × places,
double_booked == 0; p99 and bookings_per_s are of the hold requests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.hub_latency import percentile  # noqa: E402
from tests.support.sitefile import site_toml  # noqa: E402
from web.catalog import slot_minutes  # noqa: E402
from web.reservations.booking import TZ  # noqa: E402


def load_site_text(text: str):  # type: ignore[no-untyped-def]
    import tomllib

    from hub.config import Site

    return Site.model_validate(tomllib.loads(text)["site"])


PLACES = 3  # counters serving "dowody" in the test site
BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def hold(request):
    await request.body()
    return JSONResponse({"id": "x"}, status_code=201)

app = Starlette(routes=[Route("/api/v1/reservations", hold, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(url, json={}, timeout=1)
            return
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.2)


async def rush(
    url: str, bodies: list[dict[str, object]], concurrency: int
) -> tuple[list[int], list[float], float, dict[str, str]]:
    """Status codes, latencies, elapsed seconds, and {reservation id: phone} of granted holds."""
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    codes: list[int] = []
    granted: dict[str, str] = {}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(body: dict[str, object]) -> None:
            async with sem:
                t0 = time.perf_counter()
                r = await client.post(url, json=body)
                latencies.append((time.perf_counter() - t0) * 1000)
                codes.append(r.status_code)
                if r.status_code == 201 and "id" in r.json():
                    granted[r.json()["id"]] = str(body["contact"])

        t0 = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        elapsed = time.perf_counter() - t0
    return codes, latencies, elapsed, granted


def confirm_all(base: str, granted: dict[str, str], outbox: Path) -> int:
    """Confirm each granted hold with the code from the SMS sent to its phone."""
    sent = {}
    for line in (outbox / "sms.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        sent[record["to"]] = re.search(r"\b(\d{6})\b", record["text"]).group(1)  # type: ignore[union-attr]
    ok = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        for rid, phone in granted.items():
            code = sent["48" + phone]
            r = client.post(f"/api/v1/reservations/{rid}/confirm", json={"code": code})
            ok += r.status_code == 200
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    attempts, n_slots, concurrency = (300, 4, 20) if args.quick else (2000, 10, 50)
    day = datetime.now(TZ).date() + timedelta(days=1)
    site_text = site_toml(database=Path("hub.sqlite3"), mqtt_port=1, hub_password="x")
    service = next(s for s in load_site_text(site_text).services if s.id == "dowody")
    step = slot_minutes(service.service_minutes)
    starts = [
        datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ) + timedelta(minutes=step * i)
        for i in range(n_slots)
    ]
    bodies = [
        {
            "service": "dowody",
            "start": starts[i % n_slots].isoformat(),
            "name": f"Osoba {i}",
            "contact": f"600{i:06d}",
            "terms": True,
            "privacy": True,
        }
        for i in range(attempts)
    ]
    with tempfile.TemporaryDirectory(prefix="okienko-rush-") as tmp:
        work = Path(tmp)
        site = work / "site.toml"
        site.write_text(site_toml(database=work / "hub.sqlite3", mqtt_port=1, hub_password="x"))
        db = work / "web.sqlite3"
        port, bare_port = free_port(), free_port()
        (work / "bare.py").write_text(BARE_APP)
        # All attempts come from one address here: lift the per-IP limit for the measurement.
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "okienko.cli",
                "web",
                "--port",
                str(port),
                "--site",
                str(site),
                "--database-url",
                f"sqlite+aiosqlite:///{db}",
                "--booking-limit",
                str(10**9),
                "--outbox",
                str(work / "outbox"),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
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
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/api/v1/reservations"
            bare_url = f"http://127.0.0.1:{bare_port}/api/v1/reservations"
            wait_up(url, web)
            wait_up(bare_url, bare)
            codes, latencies, elapsed, granted = asyncio.run(rush(url, bodies, concurrency))
            confirmed = confirm_all(f"http://127.0.0.1:{port}", granted, work / "outbox")
            _, _, bare_elapsed, _ = asyncio.run(rush(bare_url, bodies, concurrency))
        finally:
            for p in (web, bare):
                p.terminate()
                p.wait(10)
        con = sqlite3.connect(db)
        per_slot = con.execute(
            "SELECT service_point, start, COUNT(*) FROM reservations"
            " WHERE status = 'confirmed' GROUP BY service_point, start"
        ).fetchall()
        per_hour = con.execute(
            "SELECT start, COUNT(*) FROM reservations WHERE status = 'confirmed' GROUP BY start"
        ).fetchall()
        con.close()
    # Each counter is a service point of one place: more than one there, or more than the
    # three places in one hour, is a double booking.
    double = sum(max(0, n - 1) for _, _, n in per_slot) + sum(
        max(0, n - PLACES) for _, n in per_hour
    )
    p99 = percentile(latencies, 99)
    print(
        f"holds granted {len(granted)}, confirmed {confirmed}, of {attempts} attempts for "
        f"{n_slots} slots × {PLACES} places; HTTP status counts: "
        f"{ {c: codes.count(c) for c in sorted(set(codes))} }"
    )
    print(
        f"attempts={attempts} slots={n_slots * PLACES} confirmed={confirmed} "
        f"double_booked={double} p99_ms={p99:.1f} bookings_per_s={attempts / elapsed:.0f} "
        f"bare_per_s={attempts / bare_elapsed:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
