"""`okienko demo --headless --info-file`: a whole site comes up, the info file lets a script use
any device's account and any staff role's sign-in, and Ctrl-C stops everything, broker
included."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from appliance.common.hub_client import Credentials, HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def _staff_sign_in_works(info: dict) -> None:
    """Each role's login from the info file signs in; the administrator sees the demo's
    services (the site's and the branch office's) on the administration pages."""
    import httpx

    from tests.support.webproc import csrf_of

    assert set(info["staff"]) == {"admin", "manager", "clerk", "reception"}
    for key, account in info["staff"].items():
        with httpx.Client(base_url=info["web"]["url"]) as client:
            token = csrf_of(client.get("/signin").text)
            r = client.post(
                "/signin",
                data={
                    "email": account["email"],
                    "password": account["password"],
                    "csrf_token": token,
                },
            )
            assert r.status_code == 303, (key, r.text)
            admin = client.get("/admin/services")
            if key == "admin":
                assert admin.status_code == 200
                assert "Dowody osobiste" in admin.text and "Kasa" in admin.text
                points = client.get("/admin/points").text
                assert "Filia Rubinkowo" in points and "Stanowisko 1 (filia)" in points
            else:
                assert admin.status_code == 403


def _open311_key_files_a_report(info: dict) -> None:
    """The info file's Open311 key writes: a report posted with it is read back by its id;
    the same post with a made-up key is refused."""
    base, key = info["open311"]["url"].rstrip("/"), info["open311"]["api_key"]
    services = httpx.get(f"{base}/services.json").json()
    assert services, "the demo's fault dictionary has no services"
    service = services[0]
    form = {
        "service_code": service["service_code"],
        "description": "Nie świeci lampa przed wejściem",
        "lat": "53.0138",
        "long": "18.5984",
    }
    if service["metadata"]:
        definition = httpx.get(f"{base}/services/{service['service_code']}.json").json()
        form |= {f"attribute[{a['code']}]": "1" for a in definition["attributes"]}
    guessed = httpx.post(f"{base}/requests.json", data={**form, "api_key": "x" * 20})
    assert guessed.status_code == 403
    made = httpx.post(f"{base}/requests.json", data={**form, "api_key": key})
    assert made.status_code == 201, made.text
    report = made.json()[0]["service_request_id"]
    read = httpx.get(f"{base}/requests/{report}.json").json()
    assert read[0]["service_code"] == service["service_code"]


def _bundles_hold_the_info_files_accounts(info: dict, workdir: Path) -> None:
    """The demo provisions like an office: every device has an enrolment bundle (the
    appliance's own configuration format) holding the password the info file gives."""
    from appliance.common.config import load_config

    bundles = workdir / "provision" / "bundles"
    for device, account in info["devices"].items():
        config = load_config(bundles / f"{device}.toml")
        assert config.device == device
        assert config.password == account["password"]
        assert config.role == account["role"]


def _broker_is_tls_only(mqtt: dict, info: dict, tmp_path: Path) -> None:
    """The info file's broker answers ``mosquitto_sub --cafile`` with the site CA; the same
    account without TLS, or trusting another CA, gets nothing (and sends no password)."""
    from tests.support.broker import site_tls

    display = next(k for k, d in info["devices"].items() if d["role"] == "display")
    sub = [
        *("mosquitto_sub", "-V", "5", "-h", mqtt["host"], "-p", str(mqtt["port"])),
        *("-u", display, "-P", info["devices"][display]["password"]),
        *("-t", f"{mqtt['topic_root']}/state/queue", "-C", "1", "-W", "5"),
    ]
    trusted = subprocess.run([*sub, "--cafile", mqtt["ca_file"]], capture_output=True, timeout=10)
    assert trusted.returncode == 0, trusted.stderr
    assert json.loads(trusted.stdout)["services"]
    plaintext = subprocess.run(sub, capture_output=True, timeout=10)
    assert plaintext.returncode != 0 and not plaintext.stdout
    other_ca = site_tls(tmp_path / "other-ca").ca_file
    untrusting = subprocess.run([*sub, "--cafile", str(other_ca)], capture_output=True, timeout=10)
    assert untrusting.returncode != 0 and not untrusting.stdout


def test_demo_runs_a_site_and_stops_cleanly(tmp_path: Path):
    info_file = tmp_path / "demo.json"
    log = (tmp_path / "demo.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "okienko.cli",
            "demo",
            "--headless",
            "--info-file",
            str(info_file),
            "--workdir",
            str(tmp_path / "work"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 40
        while not info_file.exists():
            assert proc.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, "the demo never wrote its info file"
            time.sleep(0.1)
        info = json.loads(info_file.read_text(encoding="utf-8"))
        mqtt = info["mqtt"]
        assert mqtt["topic_root"] == f"okienko/v1/{mqtt['site']}"
        import urllib.error
        import urllib.request

        with urllib.request.urlopen(info["web"]["url"] + "/healthz", timeout=5) as r:
            assert json.loads(r.read())["status"] == "ok"
        # The info file names the cloud's database: an admin command works on it as given.
        export = tmp_path / "nobody.json"
        done = subprocess.run(
            [sys.executable, "-m", "okienko.cli", "privacy", "export", "--contact",
             "nikt@example.pl", "--out", str(export), "--database-url",
             info["web"]["database_url"]],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(export.read_text(encoding="utf-8"))["reservations"] == []
        # Both metrics endpoints answer, each on its own loopback port, and the banner shows them.
        for part, prefix in (("hub", "okienko_hub_"), ("web", "okienko_web_")):
            url = info["metrics"][part]
            assert url.startswith("http://127.0.0.1:") and url != info["web"]["url"]
            with urllib.request.urlopen(url, timeout=5) as r:
                assert prefix in r.read().decode()
        banner_by = time.monotonic() + 10
        while info["metrics"]["hub"] not in (tmp_path / "demo.log").read_text():
            assert time.monotonic() < banner_by, "the banner does not show the metrics"
            time.sleep(0.1)
        # One set of logins, on the one sign-in page: every account, whatever its part.
        banner = (tmp_path / "demo.log").read_text()
        assert banner.count("/signin  (one page for every part)") == 1
        assert "/staff/login" not in banner and "helpdesk  http" not in banner
        for account in [*info["staff"].values(), *info["helpdesk"]["accounts"].values()]:
            assert account["email"] in banner and account["password"] in banner
        # The cloud books the demo site's services; the code goes to the demo's outbox.
        from datetime import datetime, timedelta

        from web.reservations.booking import TZ

        day = datetime.now(TZ).date() + timedelta(days=1)
        start = datetime(day.year, day.month, day.day, 12, 0, tzinfo=TZ).isoformat()
        booking = json.dumps(
            {
                "service": "dowody",
                "start": start,
                "name": "Jan Kowalski",
                "contact": "jan@example.org",
                "terms": True,
                "privacy": True,
            }
        ).encode()
        request = urllib.request.Request(
            info["web"]["url"] + "/api/v1/reservations",
            data=booking,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.status == 201
        assert list((tmp_path / "work" / "outbox").glob("*.eml"))
        # Passwords and visitors' data: the owner's only.
        work = tmp_path / "work"
        assert stat.S_IMODE(work.stat().st_mode) == 0o700
        assert stat.S_IMODE((work / "demo.json").stat().st_mode) == 0o600
        _staff_sign_in_works(info)
        _open311_key_files_a_report(info)
        # No map on the fault form: the demo sends no visitor's browser to a tile server the
        # office did not choose (RODO); its pages allow only themselves.
        first = re.search(r'<option value="(\d+)"', httpx.get(info["web"]["url"] + "/usterka").text)
        assert first is not None
        form = httpx.get(info["web"]["url"] + "/usterka", params={"sub": first.group(1)})
        assert "data-tiles" not in form.text and "openstreetmap" not in form.text
        assert "img-src 'self';" in form.headers["content-security-policy"]
        _bundles_hold_the_info_files_accounts(info, tmp_path / "work")
        # The demo's helpdesk: its unit user signs in and sees the request list.
        unit = info["helpdesk"]["accounts"]["unit"]
        with httpx.Client(base_url=info["web"]["url"]) as web:
            login = web.get("/signin")
            token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
            signed_in = web.post(
                "/signin",
                data={"email": unit["email"], "password": unit["password"], "csrf_token": token},
                follow_redirects=True,
            )
            assert signed_in.status_code == 200 and "Ola Sekretariat" in signed_in.text
        roles = {d["role"] for d in info["devices"].values()}
        assert roles == {"dispenser", "counter", "display", "counter-display"}
        assert all("counter" in d for d in info["devices"].values() if d["role"] == "counter")

        dispenser_id = next(k for k, d in info["devices"].items() if d["role"] == "dispenser")
        terminal_id, terminal = next(
            (k, d) for k, d in info["devices"].items() if d["role"] == "counter"
        )
        _broker_is_tls_only(mqtt, info, tmp_path)
        ca_pem = Path(mqtt["ca_file"]).read_text(encoding="utf-8")
        creds = lambda device: Credentials(  # noqa: E731
            mqtt["host"],
            mqtt["port"],
            mqtt["site"],
            device,
            info["devices"][device]["password"],
            ca_pem,
        )
        with HubClient(creds(dispenser_id)) as d, HubClient(creds(terminal_id)) as t:
            ticket = d.request(
                Operation.ISSUE_TICKET,
                msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
            )
            assert ticket.ok and ticket.ticket and ticket.ticket.number == "A001"
            # The demo's hub syncs with its cloud: the ticket's QR opens a live e-ticket page.
            assert ticket.ticket.eticket_url and ticket.ticket.eticket_url.startswith(
                info["web"]["url"]
            )
            deadline = time.monotonic() + 15
            while True:
                try:
                    with urllib.request.urlopen(ticket.ticket.eticket_url, timeout=5) as r:
                        assert "A001" in r.read().decode()
                        break
                except urllib.error.HTTPError:
                    assert time.monotonic() < deadline, "the ticket never reached the cloud"
                    time.sleep(0.2)
            clerk, entry = next(iter(info["clerks"].items()))
            signed = t.request(
                Operation.SIGN_IN,
                msg.SignInRequest(request_id=new_request_id(), clerk=clerk, pin=entry["pin"]),
            )
            assert signed.ok and signed.counter and signed.counter.counter == terminal["counter"]

        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
        assert not _port_open(mqtt["host"], mqtt["port"]), "the demo left its broker running"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
