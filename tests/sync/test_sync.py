"""The site and the cloud together, all real: Mosquitto, the hub as a process, `okienko web`
as a process, SMTP, Chromium. Events reach the cloud exactly once through outages of the
cloud and a kill -9 of the hub; a visit booked on the web checks in at the dispenser; the
e-ticket page follows the counter's call live."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.conftest import SiteRig, make_rig
from tests.support.hubproc import HubProcess
from tests.support.sitefile import CLERK_PIN
from tests.support.webproc import Smtp, WebProcess, site_token, six_digit_code
from web.reservations.booking import TZ


@dataclass
class Linked:
    rig: SiteRig
    smtp: Smtp
    web: WebProcess
    hub: HubProcess
    web_db: Path

    def restart_web(self) -> None:
        if self.web.proc.poll() is None:
            return  # still serving
        port = int(self.web.url.rsplit(":", 1)[1])
        self.web = WebProcess.start(
            self.rig.dir / "web",
            smtp_port=self.smtp.port,
            site=self.rig.config,
            database_url=self.web.database_url,
            port=port,
        )


def cloud_events(db: Path) -> list[tuple[int, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT hub_seq, body FROM queue_events ORDER BY hub_seq").fetchall()
    finally:
        con.close()


def hub_events(db: Path) -> list[tuple[int, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT seq, body FROM events ORDER BY seq").fetchall()
    finally:
        con.close()


def hub_status(rig: SiteRig) -> msg.DeviceStatus:
    """The hub's retained status (with its sync health), read with the hub's own account."""
    import queue

    from tests.support.broker import tls_client

    got: queue.Queue[bytes] = queue.Queue()
    client = tls_client(rig.ca_file)
    client.username_pw_set("hub", rig.passwords["hub"])
    client.on_message = lambda c, u, m: got.put(m.payload)
    client.connect("127.0.0.1", rig.port)
    client.subscribe(f"okienko/v1/{rig.site_id}/status/hub", qos=1)
    client.loop_start()
    try:
        return msg.DeviceStatus.model_validate_json(got.get(timeout=10))
    finally:
        client.loop_stop()
        client.disconnect()


def wait_until(check, timeout: float = 30, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Linked]:
    rig = make_rig(tmp_path_factory.mktemp("sync"))
    smtp = Smtp.start()
    (rig.dir / "web").mkdir()
    web_db = rig.dir / "web" / "web.sqlite3"
    web = WebProcess.start(rig.dir / "web", smtp_port=smtp.port, site=rig.config)
    token = site_token(web.database_url, rig.site_id)
    # Bookings are taken an hour ahead at the earliest: let visitors check in 3 hours early.
    text = rig.config.read_text(encoding="utf-8")
    rig.config.write_text(
        text.replace("priority_streak = 2", "priority_streak = 2\ncheckin_early_minutes = 180"),
        encoding="utf-8",
    )
    with rig.config.open("a", encoding="utf-8") as f:
        f.write(f'\n[hub.cloud]\nurl = "{web.url}"\ntoken = "{token}"\ninterval_s = 0.5\n')
    hub = rig.hub().start()
    both = Linked(rig, smtp, web, hub, web_db)
    yield both
    both.hub.stop()
    both.web.stop()  # the restarted one, if the test restarted it
    smtp.stop()
    rig.broker.stop()


def issue(client: HubClient, n: int, service: str = "dowody") -> list[msg.TicketInfo]:
    out = []
    for _ in range(n):
        reply = client.request(
            Operation.ISSUE_TICKET,
            msg.IssueTicketRequest(request_id=new_request_id(), service=service),
        )
        assert reply.ok and reply.ticket, reply
        out.append(reply.ticket)
    return out


def test_the_eticket_page_shows_the_call_live(linked: Linked, tmp_path: Path):
    from tests.support.browser import assert_accessible, chromium

    with HubClient(linked.rig.creds("dispenser-1")) as d:
        (ticket,) = issue(d, 1, service="meldunki")
    token = ticket.eticket_url.rsplit("/", 1)[1]  # type: ignore[union-attr]
    url = f"{linked.web.url}/e/{token}"
    wait_until(
        lambda: httpx.get(url).status_code == 200, timeout=20, what="the ticket in the cloud"
    )
    with chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        assert ticket.number in page.inner_text("h1")
        page.wait_for_selector("text=Osób przed Tobą")
        assert_accessible(page, tmp_path, "eticket-waiting")
        with HubClient(linked.rig.creds("terminal-2")) as t:
            signed = t.request(
                Operation.SIGN_IN,
                msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
            )
            assert signed.ok, signed
            called = t.request(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
            assert called.ok and called.counter and called.counter.current, called
            assert called.counter.current.number == ticket.number  # the queue was empty
            # Within a second of the counter's call, the phone says where to go.
            page.wait_for_selector("text=Zapraszamy do stanowiska 2", timeout=1000)
        assert_accessible(page, tmp_path, "eticket-called")


def counter_op(t: HubClient, operation: str) -> msg.CounterState:
    reply = t.request(operation, msg.CounterRequest(request_id=new_request_id()))
    assert reply.ok and reply.counter, (operation, reply)
    return reply.counter


def serve(t: HubClient, visitors: int, *, no_show_at: int) -> None:
    """A clerk's work: call, start, finish, one visitor who does not come."""
    signed = t.request(
        Operation.SIGN_IN,
        msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
    )
    assert signed.ok and signed.counter, signed
    current = signed.counter.current  # an earlier test may have left someone called
    for i in range(visitors):
        if current is None or current.state != "called":  # the no-show rule may call for us
            current = counter_op(t, Operation.CALL_NEXT).current
        if i == no_show_at:
            current = counter_op(t, Operation.NO_SHOW).current
            continue
        counter_op(t, Operation.START_SERVICE)
        current = counter_op(t, Operation.FINISH_SERVICE).current


# The hub's ticket states as the cloud shows them: a skipped ticket waits to be called again.
CLOUD_STATUS = {"skipped": "waiting", "removed": "missed"}


def hub_ticket_states(linked: Linked) -> dict[str, str]:
    """Each ticket's state in the hub's own queue, replayed from its store."""
    from hub.config import load_site
    from hub.domain.events import event_from_json
    from hub.domain.queue import Queue

    queue = Queue(load_site(linked.rig.config).site)
    queue.replay([event_from_json(b) for _, b in hub_events(linked.rig.dir / "hub.sqlite3")])
    return {
        t.id: CLOUD_STATUS.get(t.state.value, t.state.value) for t in queue.state.tickets.values()
    }


def cloud_ticket_states(linked: Linked) -> dict[str, str]:
    con = sqlite3.connect(linked.web_db)
    try:
        rows = con.execute(
            "SELECT ticket_id, status FROM tickets WHERE location_id = ?", (linked.rig.site_id,)
        ).fetchall()
        return dict(rows)
    finally:
        con.close()


def test_every_event_arrives_once_through_a_cloud_outage_and_a_hub_kill(linked: Linked):
    hub_db = linked.rig.dir / "hub.sqlite3"
    linked.web.stop()  # the internet is down: the site carries on alone
    try:
        with HubClient(linked.rig.creds("dispenser-1")) as d:
            issue(d, 250)
        with HubClient(linked.rig.creds("terminal-2")) as t:
            serve(t, 15, no_show_at=3)
        # The hub's status tells of the outage and of what waits to be sent.
        wait_until(
            lambda: (
                (h := hub_status(linked.rig).sync) is not None and not h.online and h.backlog > 0
            ),
            timeout=5,
            what="the hub to report the cloud away and its backlog",
        )
        linked.hub.kill9()  # and the hub dies halfway, mid-backlog
        linked.hub.start()
        with HubClient(linked.rig.creds("dispenser-2")) as d:
            issue(d, 250)
        with HubClient(linked.rig.creds("terminal-2")) as t:
            serve(t, 15, no_show_at=7)
            counter_op(t, Operation.CALL_NEXT)  # one left called, as the cloud comes back
        linked.restart_web()
        wait_until(
            lambda: len(cloud_events(linked.web_db)) == len(hub_events(hub_db)),
            timeout=60,
            what="the cloud to catch up",
        )
        wait_until(
            lambda: (h := hub_status(linked.rig).sync) is not None and h.online and h.backlog == 0,
            what="the hub to report the sync healthy again",
        )
        # Exactly the hub's events, each once, byte for byte the same record.
        assert [s for s, _ in cloud_events(linked.web_db)] == [s for s, _ in hub_events(hub_db)]
        issued = [b for _, b in cloud_events(linked.web_db) if '"ticket_issued"' in b]
        assert len(issued) >= 500
        # And each ticket ends as the hub has it: served, skipped, called, still waiting.
        hub_states, cloud_states = hub_ticket_states(linked), cloud_ticket_states(linked)
        assert cloud_states == hub_states
        counts = {s: list(hub_states.values()).count(s) for s in set(hub_states.values())}
        assert counts["done"] >= 28 and counts["called"] == 1 and counts["waiting"] > 400, counts
    finally:
        linked.restart_web()  # the later tests need their cloud, also after a failure here


def book_on_the_web(linked: Linked, email: str) -> str:
    """A visit booked through the cloud's booking API and confirmed with the mailed code."""
    start = datetime.now(TZ).replace(second=0, microsecond=0) + timedelta(hours=2)
    start = start.replace(minute=(start.minute // 10) * 10)
    with httpx.Client(base_url=linked.web.url, timeout=10) as web:
        held = web.post(
            "/api/v1/reservations",
            json={
                "service": "dowody",
                "start": start.isoformat(),
                "name": "Jan",
                "contact": email,
                "terms": True,
                "privacy": True,
            },
        )
        assert held.status_code == 201, held.text
        (mail,) = linked.smtp.inbox.wait_for(email)
        done = web.post(
            f"/api/v1/reservations/{held.json()['id']}/confirm",
            json={"code": six_digit_code(mail)},
        )
        assert done.status_code == 200, done.text
        return str(done.json()["access_code"])


def test_a_visit_booked_on_the_web_checks_in_at_the_dispenser(linked: Linked):
    code = book_on_the_web(linked, "jan.checkin@example.org")
    with HubClient(linked.rig.creds("dispenser-1")) as d:

        def checked() -> bool:
            reply = d.request(
                Operation.CHECK_IN, msg.CheckInRequest(request_id=new_request_id(), code=code)
            )
            checked.reply = reply  # type: ignore[attr-defined]
            return reply.ok or reply.error is None or reply.error.code != "unknown_code"

        wait_until(checked, timeout=20, what="the hub to pull the reservation")
        reply = checked.reply  # type: ignore[attr-defined]
        assert reply.ok and reply.ticket and reply.ticket.kind == "reservation", reply

    # The cloud learns of the check-in from the hub's events.
    def status() -> str:
        con = sqlite3.connect(linked.web_db)
        try:
            return con.execute(
                "SELECT status FROM reservations WHERE access_code = ?", (code,)
            ).fetchone()[0]
        finally:
            con.close()

    wait_until(lambda: status() == "checked_in", timeout=20, what="checked_in in the cloud")


def test_a_hub_without_a_valid_site_token_is_refused(linked: Linked):
    # Revoking a real token: tests/sync/test_hub_sync.py.
    r = httpx.get(f"{linked.web.url}/api/v1/sync/reservations", params={"after": 0})
    assert r.status_code == 401
    r = httpx.get(
        f"{linked.web.url}/api/v1/sync/reservations",
        params={"after": 0},
        headers={"Authorization": "Bearer okn_not-a-token"},
    )
    assert r.status_code == 401


def test_a_manager_reads_the_reports_and_exports_them(linked: Linked, tmp_path: Path):
    import csv
    import io

    from openpyxl import load_workbook

    from tests.support.browser import assert_accessible, chromium
    from tests.support.webproc import csrf_of

    linked.web.add_staff("kierownik@um.example", "manager")
    with HubClient(linked.rig.creds("dispenser-2")) as d:
        issue(d, 3)
    hub_db = linked.rig.dir / "hub.sqlite3"
    wait_until(
        lambda: len(cloud_events(linked.web_db)) == len(hub_events(hub_db)),
        what="the cloud to have every event",
    )
    issued_in_hub = sum('"ticket_issued"' in b for _, b in hub_events(hub_db))
    with httpx.Client(base_url=linked.web.url) as client:
        token = csrf_of(client.get("/signin").text)
        client.post(
            "/signin",
            data={
                "email": "kierownik@um.example",
                "password": "Haslo-testowe-1",
                "csrf_token": token,
            },
        )
        page = client.get("/staff/reports")
        assert page.status_code == 200 and "Raporty" in page.text
        rows = list(
            csv.reader(io.StringIO(client.get("/staff/reports.csv").content.decode("utf-8-sig")))
        )
        total = next(r for r in rows if r[0] == "all")
        assert int(total[2]) == issued_in_hub  # every ticket counted once
        by_service = {r[1]: int(r[2]) for r in rows if r[0] == "service"}
        assert sum(by_service.values()) == issued_in_hub and issued_in_hub > 0
        book = load_workbook(io.BytesIO(client.get("/staff/reports.xlsx").content))
        assert {"summary", "per_hour", "reservations"} <= set(book.sheetnames)
        con = sqlite3.connect(linked.web_db)
        kept = con.execute("SELECT COUNT(*) FROM reservations WHERE status = 'checked_in'")
        assert book["reservations"]["A2"].value == kept.fetchone()[0]  # bookings that came
        con.close()
        bad = client.get("/staff/reports", params={"from": "wczoraj"})
        assert bad.status_code == 400 and "2026-11-25" in bad.text
        cookies = dict(client.cookies)
    with chromium() as browser:
        context = browser.new_context()
        context.add_cookies(
            [{"name": k, "value": v, "url": linked.web.url} for k, v in cookies.items()]
        )
        page = context.new_page()
        page.goto(f"{linked.web.url}/staff/reports")
        shots = Path("/tmp/okienko-shots/reports")
        assert_accessible(page, shots, "reports")
        # The sites page shows the hub's sync health: online, nothing waiting.
        page.goto(f"{linked.web.url}/staff/sites")
        row = page.locator("tr", has_text="Urząd testowy")
        assert "w sieci" in row.inner_text() and "\t0\t" in row.inner_text()
        assert_accessible(page, shots, "sites")
        page.goto(f"{linked.web.url}/board/{linked.rig.site_id}")
        page.wait_for_selector("text=Oczekujący")
        assert_accessible(page, shots, "board")


def test_the_cloud_shows_each_device_and_its_history(linked: Linked, tmp_path: Path):
    from tests.support.browser import assert_accessible, chromium
    from tests.support.webproc import csrf_of

    linked.web.add_staff("admin.fleet@um.example", "administrator")
    with HubClient(linked.rig.creds("dispenser-2")) as d:
        d.report_status(
            msg.DeviceStatus(
                device="dispenser-2",
                role="dispenser",
                software="okienko 0.1.0",
                printer=msg.PrinterState.PAPER_OUT,
                at=datetime.now(TZ),
            )
        )
        with httpx.Client(base_url=linked.web.url) as client:
            token = csrf_of(client.get("/signin").text)
            client.post(
                "/signin",
                data={
                    "email": "admin.fleet@um.example",
                    "password": "Haslo-testowe-1",
                    "csrf_token": token,
                },
            )
            url = f"/staff/sites/{linked.rig.site_id}"

            def paper_out_shown() -> bool:
                page = client.get(url).text
                row = (
                    page.split("dispenser-2", 1)[1].split("</tr>", 1)[0]
                    if "dispenser-2" in page
                    else ""
                )
                return "brak papieru" in row and "w sieci" in row

            wait_until(paper_out_shown, timeout=20, what="the paper-out dispenser on the site page")
            cookies = dict(client.cookies)

    # The dispenser went away: the hub saw its Last Will, the cloud's history has both.
    def went_offline() -> bool:
        with httpx.Client(base_url=linked.web.url, cookies=cookies) as client:
            page = client.get(url).text
        devices = page.split("<h2>", 2)[1]
        row = devices.split("dispenser-2", 1)[1].split("</tr>", 1)[0]
        return "bez połączenia" in row

    wait_until(went_offline, timeout=30, what="the dispenser shown offline")
    with chromium() as browser:
        context = browser.new_context()
        context.add_cookies(
            [{"name": k, "value": v, "url": linked.web.url} for k, v in cookies.items()]
        )
        page = context.new_page()
        page.goto(f"{linked.web.url}{url}")
        history = page.locator("table").nth(1).inner_text()
        assert "brak papieru" in history and "bez połączenia" in history
        assert_accessible(page, Path("/tmp/okienko-shots/reports"), "site-devices")
