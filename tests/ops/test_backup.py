"""`okienko backup` / `okienko restore` on real processes: a copy taken while the hub issues
tickets brings every ticket back, numbering goes on, and a repeated request id still gets its
first answer; a restore is refused while the hub runs and for a damaged copy; the cloud on
SQLite comes back with its bookings."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.conftest import SiteRig, make_rig, pg_admin
from tests.support.observe import waiting_seen_by_display
from tests.support.sitefile import write_site_file
from tests.support.webproc import Smtp, WebProcess, six_digit_code
from web.reservations.booking import TZ


def okienko(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okienko.cli", *args], capture_output=True, text=True, timeout=60
    )


def remove_database(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)


def issue(client: HubClient, request_id: str) -> msg.Reply:
    reply = client.request(
        Operation.ISSUE_TICKET, msg.IssueTicketRequest(request_id=request_id, service="dowody")
    )
    assert reply.ok and reply.ticket, reply.error
    return reply


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[SiteRig]:
    r = make_rig(tmp_path)
    yield r
    r.broker.stop()


def test_a_hub_restored_from_a_live_backup_has_every_ticket_and_numbers_on(
    rig: SiteRig, tmp_path: Path
):
    database, copy = tmp_path / "hub.sqlite3", tmp_path / "backups" / "hub-1.sqlite3"
    hub = rig.hub().start()
    dispenser = HubClient(rig.creds("dispenser-1")).start()
    try:
        first = {rid: issue(dispenser, rid) for rid in (new_request_id() for _ in range(5))}
        taken = okienko("backup", "hub", "--config", str(rig.config), "--out", str(copy))
        assert taken.returncode == 0, taken.stderr
        after_backup = issue(dispenser, new_request_id())  # not in the copy
        # While the hub runs, a restore is refused and names the lock it found.
        refused = okienko("restore", "hub", "--config", str(rig.config), "--from", str(copy))
        assert refused.returncode == 2
        assert "a hub is running" in refused.stderr and "hub.sqlite3.lock" in refused.stderr
    finally:
        dispenser.stop()
        hub.stop()

    assert after_backup.ticket and after_backup.ticket.number == "A006"
    remove_database(database)
    restored = okienko("restore", "hub", "--config", str(rig.config), "--from", str(copy))
    assert restored.returncode == 0, restored.stderr
    hub = rig.hub("hub-restored").start()
    dispenser = HubClient(rig.creds("dispenser-1")).start()
    try:
        assert waiting_seen_by_display(rig.creds("display-1"), "dowody") == 5
        for rid, reply in first.items():  # a retry after the restore: its first answer again
            assert issue(dispenser, rid).ticket == reply.ticket
        # The copy knows A001–A005: the next ticket is A006 (the lost one's number, reissued).
        assert issue(dispenser, new_request_id()).ticket.number == "A006"  # type: ignore[union-attr]
    finally:
        dispenser.stop()
        hub.stop()


def test_a_hub_restored_behind_its_cloud_sends_new_events_the_cloud_keeps(
    rig: SiteRig, tmp_path: Path
):
    """The copy is older than what the cloud got: events made after the restore must not
    reuse the seq of an event the cloud already holds (it would ignore them as repeats)."""
    smtp = Smtp.start()
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, site=write_site_file(tmp_path))
    token = okienko(
        "site-token", "create", "--site", rig.site_id, "--database-url", web.database_url
    )
    with rig.config.open("a", encoding="utf-8") as f:
        f.write(f'\n[hub.cloud]\nurl = "{web.url}"\ntoken = "{token.stdout.strip()}"\n')
        f.write("interval_s = 0.5\n")

    async def cloud_tickets(engine):  # type: ignore[no-untyped-def]
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT ticket_id FROM queue_events WHERE type = 'ticket_issued'")
            )
            return {r[0] for r in rows}

    def cloud_has(ids: set[str]) -> None:
        deadline = time.monotonic() + 20
        while not ids <= web.db(cloud_tickets):
            assert time.monotonic() < deadline, f"the cloud never got {ids - web.db(cloud_tickets)}"
            time.sleep(0.2)

    copy = tmp_path / "hub-copy.sqlite3"
    try:
        hub = rig.hub().start()
        with HubClient(rig.creds("dispenser-1")) as dispenser:
            early = [issue(dispenser, new_request_id()) for _ in range(2)]
            cloud_has({r.ticket.id for r in early if r.ticket})
            assert (
                okienko("backup", "hub", "--config", str(rig.config), "--out", str(copy)).returncode
                == 0
            )
            late = [issue(dispenser, new_request_id()) for _ in range(2)]  # lost with the hub
            cloud_has({r.ticket.id for r in late if r.ticket})
        hub.stop()
        remove_database(tmp_path / "hub.sqlite3")
        restored = okienko("restore", "hub", "--config", str(rig.config), "--from", str(copy))
        assert restored.returncode == 0, restored.stderr
        hub = rig.hub("hub-restored").start()
        with HubClient(rig.creds("dispenser-1")) as dispenser:
            after = issue(dispenser, new_request_id())
        assert after.ticket and after.ticket.number == "A003"  # numbering goes on from the copy
        cloud_has({after.ticket.id})
        hub.stop()
    finally:
        web.stop()
        smtp.stop()


def test_a_damaged_copy_is_refused_and_the_database_left_alone(rig: SiteRig, tmp_path: Path):
    hub = rig.hub().start()
    hub.stop()
    database = tmp_path / "hub.sqlite3"
    before = database.read_bytes()
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 + b"not a database" * 500)
    refused = okienko("restore", "hub", "--config", str(rig.config), "--from", str(broken))
    assert refused.returncode == 2
    assert "integrity check" in refused.stderr and "nothing restored" in refused.stderr
    assert database.read_bytes() == before


def book_two(web: WebProcess, smtp: Smtp) -> list[str]:
    """Two confirmed visits the day after tomorrow, booked through the API; their codes."""
    day = datetime.now(TZ).date() + timedelta(days=2)
    codes = []
    for hour in (9, 10):
        start = datetime(day.year, day.month, day.day, hour, tzinfo=TZ).isoformat()
        contact = f"visitor{hour}@example.org"
        held = httpx.post(
            f"{web.url}/api/v1/reservations",
            json={
                "service": "dowody",
                "start": start,
                "name": "Jan Kowalski",
                "contact": contact,
                "terms": True,
                "privacy": True,
            },
        )
        assert held.status_code == 201, held.text
        code = six_digit_code(smtp.inbox.wait_for(contact)[-1])
        confirmed = httpx.post(
            f"{web.url}/api/v1/reservations/{held.json()['id']}/confirm", json={"code": code}
        )
        assert confirmed.status_code == 200, confirmed.text
        codes.append(confirmed.json()["access_code"])
    return codes


async def bookings(engine):  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT access_code, status FROM reservations ORDER BY start")
        )
        return [tuple(r) for r in rows]


def test_the_cloud_on_sqlite_comes_back_with_its_bookings(tmp_path: Path):
    smtp = Smtp.start()
    site = write_site_file(tmp_path)
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, site=site)
    copy = tmp_path / "web-backup.sqlite3"
    try:
        codes = book_two(web, smtp)
        taken = okienko("backup", "web", "--database-url", web.database_url, "--out", str(copy))
        assert taken.returncode == 0, taken.stderr
    finally:
        web.stop()

    remove_database(tmp_path / "web.sqlite3")
    restored = okienko("restore", "web", "--database-url", web.database_url, "--from", str(copy))
    assert restored.returncode == 0, restored.stderr
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, site=site)
    try:
        assert web.db(bookings) == [(c, "confirmed") for c in codes]
    finally:
        web.stop()
        smtp.stop()


def test_the_cloud_on_postgresql_comes_back_by_the_documented_pg_dump_and_pg_restore(
    tmp_path: Path, pg_database: str
):
    """docs/ops/backup.md's commands as written: a dump taken while the cloud runs, restored
    into an empty database that the cloud then starts on with every booking."""
    smtp = Smtp.start()
    site = write_site_file(tmp_path)
    dump = tmp_path / "web.dump"
    web = WebProcess.start(tmp_path, smtp_port=smtp.port, site=site, database_url=pg_database)
    try:
        codes = book_two(web, smtp)
        taken = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", pg_database],
            capture_output=True,
            text=True,
        )
        assert taken.returncode == 0, taken.stderr
    finally:
        web.stop()
    listed = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True)
    assert listed.returncode == 0 and "reservations" in listed.stdout, listed.stderr

    name = f"{pg_database.rsplit('/', 1)[1]}_restored"
    pg_admin(f'CREATE DATABASE "{name}" OWNER okienko')
    restored_url = pg_database.rsplit("/", 1)[0] + f"/{name}"
    try:
        restored = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--role=okienko",
                "--exit-on-error",
                f"--dbname={restored_url}",
                str(dump),
            ],
            capture_output=True,
            text=True,
        )
        assert restored.returncode == 0, restored.stderr
        (tmp_path / "restored").mkdir()
        web = WebProcess.start(
            tmp_path / "restored", smtp_port=smtp.port, site=site, database_url=restored_url
        )
        try:
            assert web.db(bookings) == [(c, "confirmed") for c in codes]
        finally:
            web.stop()
    finally:
        smtp.stop()
        pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_postgresql_is_pointed_to_pg_dump():
    refused = okienko(
        "backup", "web", "--database-url", "postgresql://okienko@127.0.0.1/x", "--out", "x"
    )
    assert refused.returncode == 2 and "pg_dump" in refused.stderr


def test_a_backup_is_a_whole_checked_database(rig: SiteRig, tmp_path: Path):
    hub = rig.hub().start()
    hub.stop()
    copy = tmp_path / "copy.sqlite3"
    assert okienko("backup", "hub", "--config", str(rig.config), "--out", str(copy)).returncode == 0
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert copy.stat().st_mode & 0o077 == 0  # the queue's data: the owner's only


def test_a_second_hub_on_the_same_database_is_refused(rig: SiteRig):
    hub = rig.hub().start()
    try:
        second = okienko("hub", "--config", str(rig.config))
        assert second.returncode == 2
        assert "a hub is running" in second.stderr and f"pid {hub.proc.pid}" in second.stderr  # type: ignore[union-attr]
        assert hub.alive()
    finally:
        hub.stop()


def test_the_nightly_way_keeps_the_newest_copies_of_a_running_hub(rig: SiteRig, tmp_path: Path):
    """What okienko-hub-backup.timer runs: dated copies into a folder, the oldest beyond
    --keep removed, an operator's own files there left alone, each copy a whole database with
    the tickets issued before it."""
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("copied off-site on Mondays\n")
    (folder / "hub-manual.sqlite3").write_bytes(b"the operator's own copy")
    hub = rig.hub().start()
    dispenser = HubClient(rig.creds("dispenser-1")).start()
    made = []
    try:
        for _ in range(3):
            issue(dispenser, new_request_id())
            run = okienko(
                "backup", "hub", "--config", str(rig.config), "--into", str(folder), "--keep", "2"
            )
            assert run.returncode == 0, run.stderr
            made.append(run.stdout.split(" copied to ")[1].split(";")[0])
            time.sleep(1.1)  # the copies' names are dated to the second
    finally:
        dispenser.stop()
        hub.stop()
    copies = sorted(p.name for p in folder.glob("hub-2*.sqlite3"))
    assert copies == sorted(Path(m).name for m in made[1:]), copies
    assert (folder / "notes.txt").exists() and (folder / "hub-manual.sqlite3").exists()
    newest = folder / copies[-1]
    with sqlite3.connect(newest) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        issued = db.execute("SELECT count(*) FROM events WHERE type = 'ticket_issued'").fetchone()
    assert issued == (3,)
    bad = okienko(
        "backup", "hub", "--config", str(rig.config), "--into", str(folder), "--keep", "0"
    )
    assert bad.returncode == 2 and "less than 1" in bad.stderr


def test_only_dated_copies_beyond_the_newest_are_pruned():
    from okienko.sqlite_backup import to_prune

    names = [
        "hub-20261205T023000Z.sqlite3",
        "hub-20261207T023000Z.sqlite3",
        "hub-20261206T023000Z.sqlite3",
        "web-20261201T023000Z.sqlite3",
        "hub-20261201T023000Z.sqlite3.tmp",
        "notes.txt",
    ]
    assert to_prune(names, "hub", 2) == ["hub-20261205T023000Z.sqlite3"]
    assert to_prune(names, "hub", 5) == []
