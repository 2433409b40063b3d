"""Benchmark: the helpdesk's request list over a million requests on PostgreSQL.

A fresh database (the real migrations, indexes included) gets N requests spread over five years,
300 units and 40 services, a realistic mix of statuses (most closed, ~3 % active), due dates,
messages and attachments, and the read marks (hd_reads) people leave by opening them: the filer,
the handler among ten service staff, and the measured staff member, a coordinator who opened
nearly all of them, some before their last change or message. So the joins behind bold rows and
💬 cost what they would (about 2.8 read marks a request). Then the list query the page runs
(``web.helpdesk.listing.query``, through SQLAlchemy and asyncpg) is timed for typical filters,
as service staff and as a unit's user, beside a primary-key lookup of one request measured in
the same run (the floor).

``--quick`` is a smoke run (20,000 requests, 3 rounds). Second-last line: whether the goal
(p95 ≤ 100 ms) is met; last line: ``requests=N p95_ms=X p50_ms=X baseline_p95_ms=X ratio=X``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from web.db.engine import make_engine  # noqa: E402
from web.db.migrate import upgrade  # noqa: E402
from web.helpdesk import listing  # noqa: E402
from web.helpdesk.domain import Actor, Role  # noqa: E402

PG = os.environ.get("OKIENKO_TEST_PG", "postgresql://okienko:okienko@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
UNITS, SERVICES = 300, 40
GOAL_P95_MS = 100.0
COORDINATOR = 1  # the measured staff member; unit u's user is 1 + u
HANDLERS = range(UNITS + 2, UNITS + 11)  # nine more service staff
WORDS = (
    "drukarka komputer internet szkolenie BHP przegląd gaśnice klimatyzacja konto poczta "
    "telefon monitor serwer kopia hasło dostęp strona ogrzewanie woda naprawa wymiana"
).split()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def read_mark(
    rnd: random.Random, p_read: float, active: bool, created: datetime, last: datetime
) -> datetime | None:
    """When this person last opened the request, or None for never. Closed requests were mostly
    read after their last change; active ones often before it (bold, maybe 💬)."""
    if rnd.random() > p_read:
        return None
    if rnd.random() < (0.6 if active else 0.95):
        return min(NOW, last + timedelta(minutes=rnd.randrange(1, 600)))
    return created + (last - created) * rnd.random()


async def fill(conn: asyncpg.Connection, n: int) -> int:
    """Writes the catalogue, ``n`` requests and their read marks; returns how many marks."""
    await conn.copy_records_to_table(
        "hd_units",
        columns=["id", "name", "active", "user_count", "created_at"],
        records=[(i, f"Jednostka {i}", True, 0, NOW) for i in range(1, UNITS + 1)],
    )
    await conn.copy_records_to_table(
        "hd_addresses",
        columns=["id", "unit_id", "label", "active"],
        records=[(i, i, f"ul. Testowa {i}", True) for i in range(1, UNITS + 1)],
    )
    await conn.copy_records_to_table(
        "hd_services",
        columns=["id", "name", "fields", "allow_due", "allow_schedule", "allow_repeat", "active"],
        records=[(i, f"Usługa {i}", "[]", True, True, True, True) for i in range(1, SERVICES + 1)],
    )
    await conn.copy_records_to_table(
        "hd_users",
        columns=["id", "email", "name", "phone", "role", "unit_id", "active", "created_at",
                 "session_epoch"],
        records=[(COORDINATOR, "staff@cum.example", "Obsługa", "", "service", None, True, NOW, 0)]
        + [(1 + i, f"u{i}@unit.example", f"U{i}", "", "unit", i, True, NOW, 0)
           for i in range(1, UNITS + 1)]
        + [(h, f"s{h}@cum.example", f"S{h}", "", "service", None, True, NOW, 0)
           for h in HANDLERS],
    )  # fmt: skip
    rnd = random.Random(6)
    span = 5 * 365 * 86400
    batch: list[tuple[Any, ...]] = []
    reads: list[tuple[int, int, datetime]] = []
    marks = 0
    for i in range(1, n + 1):
        created = NOW - timedelta(seconds=rnd.randrange(span))
        age = (NOW - created).days
        # Old requests are closed; recent ones are in every state.
        if age > 60:
            status = rnd.choice(["rated"] * 6 + ["rejected"] + ["completed"])
        else:
            status = rnd.choice(["new", "in_progress", "in_progress", "completed", "rated",
                                 "rejected", "scheduled"])  # fmt: skip
        active = status in ("new", "in_progress", "scheduled") or (
            status == "completed" and age <= 30
        )
        last = min(NOW, created + timedelta(hours=rnd.randrange(1, 400)))
        unit = rnd.randrange(1, UNITS + 1)
        messages = rnd.choice([0, 0, 1, 2, 5])
        due = (
            (created + timedelta(days=rnd.randrange(1, 60))).date() if rnd.random() < 0.2 else None
        )
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(6, 30)))
        batch.append((
            i, unit, unit, rnd.randrange(1, SERVICES + 1), 1 + unit, text, "{}", status, active,
            created, created if status != "scheduled" else None,
            created + timedelta(days=1) if status == "scheduled" else None,
            due, rnd.random() < 0.05, last, last if messages else None, messages,
            rnd.choice([0, 0, 0, 1, 2]), 0,
        ))  # fmt: skip
        for user, p_read in (
            (1 + unit, 0.9), (rnd.choice(HANDLERS), 0.95), (COORDINATOR, 0.9)
        ):  # fmt: skip
            if seen := read_mark(rnd, p_read, active, created, last):
                reads.append((user, i, seen))
        if len(batch) == 50_000 or i == n:
            await conn.copy_records_to_table(
                "hd_requests",
                columns=["id", "unit_id", "address_id", "service_id", "filed_by", "text",
                         "fields", "status", "active", "created_at", "published_at",
                         "publish_at", "due_on", "recurring", "last_change_at",
                         "last_message_at", "message_count", "attachment_count", "repeat_n"],
                records=batch,
            )  # fmt: skip
            await conn.copy_records_to_table(
                "hd_reads", columns=["user_id", "request_id", "seen_at"], records=reads
            )
            marks += len(reads)
            batch.clear()
            reads.clear()
    await conn.execute("SELECT setval('hd_requests_id_seq', $1)", n)
    await conn.execute("SELECT setval('hd_users_id_seq', $1)", max(HANDLERS))
    await conn.execute("ANALYZE")
    return marks


def filters(n: int) -> list[tuple[str, Actor, listing.ListFilter]]:
    staff = Actor(COORDINATOR, Role.SERVICE)
    unit = Actor(2 + 17, Role.UNIT, unit_id=18)
    return [
        ("staff: default (active)", staff, listing.ListFilter()),
        ("staff: status new", staff, listing.ListFilter(statuses=["new"])),
        ("staff: only rated", staff, listing.ListFilter(statuses=["rated"])),
        ("staff: unit", staff, listing.ListFilter(unit_id=42)),
        ("staff: service", staff, listing.ListFilter(service_id=7)),
        ("staff: text", staff, listing.ListFilter(text="klimatyzacja")),
        ("staff: overdue", staff, listing.ListFilter(flags=["overdue"])),
        ("staff: late 24 h", staff, listing.ListFilter(flags=["late"])),
        ("staff: new message", staff, listing.ListFilter(flags=["message"])),
        ("staff: number", staff, listing.ListFilter(number=n // 2)),
        ("staff: inactive 90 d, page 3", staff, listing.ListFilter(inactive_days=90, page=2)),
        ("staff: created in March", staff, listing.ListFilter(
            inactive_days=3650, created_from=date(2026, 3, 1), created_to=date(2026, 3, 31))),
        ("staff: inactive 365 d + text", staff,
         listing.ListFilter(inactive_days=365, text="serwer")),
        ("unit: default", unit, listing.ListFilter()),
        ("unit: new message", unit, listing.ListFilter(flags=["message"])),
        ("unit: only rated", unit, listing.ListFilter(statuses=["rated"])),
        ("unit: inactive 10 y", unit, listing.ListFilter(inactive_days=3650)),
        ("unit: text", unit, listing.ListFilter(text="drukarka", inactive_days=3650)),
    ]  # fmt: skip


async def measure(url: str, n: int, rounds: int) -> tuple[list[float], list[float]]:
    from sqlalchemy import select

    from web.helpdesk import tables as t

    engine = make_engine(url)
    cases = filters(n)
    times: list[float] = []
    base: list[float] = []
    per_case: dict[str, list[float]] = {name: [] for name, _a, _f in cases}
    rnd = random.Random(1)
    async with engine.connect() as conn:
        for r in range(rounds + 1):
            for name, actor, f in cases:
                start = time.perf_counter()
                rows = (await conn.execute(listing.query(actor, f, NOW))).all()
                took = (time.perf_counter() - start) * 1000
                if r:  # the first round warms the caches
                    times.append(took)
                    per_case[name].append(took)
                if r == 1:
                    print(f"  {name}: {len(rows)} rows")
                start = time.perf_counter()
                (
                    await conn.execute(
                        select(t.requests).where(t.requests.c.id == rnd.randrange(1, n + 1))
                    )
                ).all()
                if r:
                    base.append((time.perf_counter() - start) * 1000)
    await engine.dispose()
    for name, values in per_case.items():
        print(
            f"  {name}: p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms"
        )
    return times, base


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 20,000 requests, 3 rounds"
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds = 20_000, 3
    name = f"okienko_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = PG.rsplit("/", 1)[0] + f"/{name}"
    url = dsn.replace("postgresql://", "postgresql+asyncpg://")
    try:
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
        started = time.perf_counter()
        conn = await asyncpg.connect(dsn)
        marks = await fill(conn, args.requests)
        await conn.close()
        took = time.perf_counter() - started
        print(f"{args.requests} requests and {marks} read marks written in {took:.0f} s")
        times, base = await measure(url, args.requests, args.rounds)
    finally:
        if args.keep:
            print(f"database kept: {dsn}")
        else:
            admin = await asyncpg.connect(PG)
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()
    p95, p50, b95 = percentile(times, 95), statistics.median(times), percentile(base, 95)
    met = "met" if p95 <= GOAL_P95_MS else "NOT met"
    print(f"goal p95 <= {GOAL_P95_MS:.0f} ms over {args.requests} requests: {met}")
    print(
        f"requests={args.requests} p95_ms={p95:.1f} p50_ms={p50:.1f} "
        f"baseline_p95_ms={b95:.2f} ratio={p95 / b95:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
