"""docs/deploy/ as shipped: the systemd unit passes `systemd-analyze verify` and its one
environment file holds options `okienko web` accepts; the nginx example runs for real in front
of a real `okienko web` (TLS, the app's own body limits, server-sent events unbuffered, no
metrics, tokens kept out of its log); and the upgrade procedure's roll-back restores the
database as it was before the migration."""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from okienko.cli import build_parser
from tests.support.sitefile import write_site_file
from tests.support.webproc import WebProcess, free_port, okienko, site_token
from web.bodylimit import UPLOAD_CAPS, cap_for
from web.redact import TOKEN_PATHS

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"
UNIT = DEPLOY / "okienko-web.service"
ENV = DEPLOY / "okienko-web.env"
NGINX = DEPLOY / "nginx.conf"
HOST = "okienko.example.gov.pl"
SECRET = "SEKRETtoken77"


def env_file() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in ENV.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


# -- systemd ------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """As shipped, but with this checkout's okienko (verify wants ExecStart's program) and the
    environment file beside it (verify wants it to exist)."""
    okienko_bin = Path(sys.executable).parent / "okienko"
    text = UNIT.read_text()
    assert text.count("/opt/okienko/.venv/bin/okienko") == 1
    assert text.count("EnvironmentFile=/etc/okienko/web.env") == 1
    text = text.replace("/opt/okienko/.venv/bin/okienko", str(okienko_bin))
    text = text.replace("/etc/okienko/web.env", str(tmp_path / "web.env"))
    shutil.copy(ENV, tmp_path / "web.env")
    (tmp_path / "okienko-web.service").write_text(text)
    run = subprocess.run(
        ["systemd-analyze", "verify", "./okienko-web.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    ours = [line for line in (run.stdout + run.stderr).splitlines() if "okienko" in line]
    assert run.returncode == 0 and not ours, run.stdout + run.stderr


def test_the_unit_runs_okienko_web_with_the_options_of_its_one_environment_file() -> None:
    unit = UNIT.read_text()
    assert "ExecStart=/opt/okienko/.venv/bin/okienko web $OKIENKO_WEB_ARGS" in unit
    assert unit.count("EnvironmentFile=") == 1 and "Environment=" not in unit.replace(
        "EnvironmentFile=", ""
    )
    assert "Restart=on-failure" in unit and "User=okienko" in unit
    assert "NoNewPrivileges=yes" in unit and "ProtectSystem=strict" in unit
    env = env_file()
    assert {"DATABASE_URL", "OKIENKO_SECRET_KEY", "FORWARDED_ALLOW_IPS"} <= set(env)
    words = env["OKIENKO_WEB_ARGS"].split()  # systemd splits an unbraced $VAR at spaces
    assert not any(q in env["OKIENKO_WEB_ARGS"] for q in "\"'")
    args = build_parser().parse_args(["web", *words])  # every option is one okienko knows
    assert args.host == "127.0.0.1"  # only the proxy reaches it
    assert args.metrics_listen.startswith("127.0.0.1:")  # never the public port
    assert args.log_format == "json" and args.public_url.startswith("https://")


# -- nginx --------------------------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"docs/deploy/nginx.conf no longer has {old!r} once"
    return text.replace(old, new)


class Proxy:
    def __init__(self, tmp: Path, app_port: int) -> None:
        self.tmp = tmp
        self.http_port, self.https_port = free_port(), free_port()
        self.cert, key = self_signed(tmp)
        self.log = tmp / "access.log"
        conf = NGINX.read_text()
        conf = replace_once(conf, "listen 80;", f"listen 127.0.0.1:{self.http_port};")
        conf = replace_once(conf, "listen [::]:80;\n", "")
        conf = replace_once(
            conf, "listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;"
        )
        conf = replace_once(conf, "listen [::]:443 ssl http2;\n", "")
        conf = replace_once(conf, f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(self.cert))
        conf = replace_once(conf, f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
        conf = replace_once(conf, "server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
        conf = conf.replace("/var/log/nginx/okienko.access.log", str(self.log))
        (tmp / "okienko.conf").write_text(conf)
        temp = "".join(
            f"    {kind}_temp_path {tmp / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (tmp / "nginx.conf").write_text(
            f"pid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\nworker_processes 1;\n"
            "user root;\nevents {}\n"
            f"http {{\n{temp}    include {tmp / 'okienko.conf'};\n}}\n"
        )
        base = [
            "nginx",
            "-p",
            str(tmp),
            "-e",
            str(tmp / "error.log"),
            "-c",
            str(tmp / "nginx.conf"),
        ]
        check = subprocess.run([*base, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([*base, "-g", "daemon off;"], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                break
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, "nginx not up"
                time.sleep(0.1)

    def client(self) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.cert))  # verified, not skipped
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.https_port}",
            verify=context,
            headers={"Host": HOST},
            timeout=10,
        )

    def first_line_for_body_of(self, path: str, size: int) -> str:
        """nginx's first answer to a POST that declares ``size`` bytes and waits to be asked
        for them (Expect: 100-continue): "100" when it would take them, "413" when not."""
        context = ssl.create_default_context(cafile=str(self.cert))
        with (
            socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=HOST) as s,
        ):
            s.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {size}\r\n"
                "Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n\r\n".encode()
            )
            line = s.recv(4096).split(b"\r\n", 1)[0].decode()
        return line.split()[1]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, WebProcess]]:
    if shutil.which("nginx") is None:
        pytest.skip("no nginx here (./bootstrap test installs it)")
    tmp = tmp_path_factory.mktemp("deploy")
    site = write_site_file(tmp, "test-site")
    web = WebProcess.start(
        tmp, smtp_port=free_port(), site=site, extra=["--log-format", "json", "--access-log"]
    )
    proxy = Proxy(tmp, int(web.url.rsplit(":", 1)[1]))
    yield proxy, web
    proxy.stop()
    web.stop()


def test_tls_in_front_and_plain_http_sent_to_https(proxied: tuple[Proxy, WebProcess]):
    proxy, _ = proxied
    plain = httpx.get(f"http://127.0.0.1:{proxy.http_port}/book/place", headers={"Host": HOST})
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{HOST}/book/place"
    with proxy.client() as client:
        r = client.get("/healthz")
        assert r.status_code == 200 and r.json()["status"] == "ok"
        assert client.get("/metrics").status_code == 404  # metrics only on their own port
    # The metrics' port is never a proxy's upstream.
    conf = re.sub(r"#.*", "", NGINX.read_text())
    upstreams = re.findall(r"^\s*server\s+(\S+);", conf, re.MULTILINE)
    assert upstreams == ["127.0.0.1:8000"] and "9465" not in conf


def test_body_limits_are_the_apps_own(proxied: tuple[Proxy, WebProcess]):
    proxy, _ = proxied
    paths = ["/api/v1/reservations", "/book/details", "/helpdesk/new", "/helpdesk/r/12/messages"]
    paths += ["/api/v1/sync/events", "/usterka", "/usterki/new", "/signin"]
    for pattern, _ in UPLOAD_CAPS:  # every upload route of the app is among those tried
        assert any(pattern.fullmatch(path) for path in paths), pattern.pattern
    for path in paths:
        cap = cap_for(path)
        assert proxy.first_line_for_body_of(path, cap) == "100", (path, cap)
        assert proxy.first_line_for_body_of(path, cap + 1) == "413", (path, cap)


def test_server_sent_events_pass_through_at_once(proxied: tuple[Proxy, WebProcess]):
    proxy, web = proxied
    token = site_token(web.database_url, "test-site")
    issued = {
        "type": "ticket_issued",
        "at": datetime.now(UTC).isoformat(),
        "ticket_id": "t1",
        "token": "sse-ticket",
        "service": "dowody",
        "seq": 1,
        "number": "A001",
        "kind": "walk_in",
    }
    with proxy.client() as client:
        pushed = client.post(
            "/api/v1/sync/events",
            json={"site": "test-site", "events": [{"seq": 1, "body": issued}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert pushed.status_code == 200, pushed.text
        started = time.monotonic()
        with client.stream("GET", "/e/sse-ticket/live") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            first = next(stream.iter_raw())
        # The first event, long before a buffer would fill or the 15 s heartbeat come.
        assert first.startswith(b"data: ") and b'"html"' in first
        assert time.monotonic() - started < 5


def test_the_request_id_is_in_both_logs_and_no_token_in_nginx_log(
    proxied: tuple[Proxy, WebProcess],
):
    proxy, web = proxied
    with proxy.client() as client:
        rid = client.get("/healthz").headers["X-Request-Id"]
        for path in (f"/visit/{SECRET}", f"/api/v1/visits/{SECRET}", f"/e/{SECRET}/live"):
            client.get(path)
        client.get(f"/open311/v2/requests.json?api_key={SECRET}")
    assert re.fullmatch(r"[0-9a-f]{32}", rid)  # nginx's $request_id, passed on
    deadline = time.monotonic() + 5
    while f"request_id={rid}" not in proxy.log.read_text():
        assert time.monotonic() < deadline, proxy.log.read_text()
        time.sleep(0.1)
    assert f'"request_id": "{rid}"' in web.log.read_text()
    logged = proxy.log.read_text()
    assert SECRET not in logged and "/visit/***" in logged and "/e/***/live" in logged
    # Every token path of the app's own redaction is in nginx's too.
    for path in TOKEN_PATHS:
        assert path in NGINX.read_text(), path


# -- the upgrade procedure: back up, migrate, roll back -----------------------------------------


def test_rolling_back_restores_the_database_from_before_the_migration(tmp_path: Path):
    """The procedure of docs/deploy/README.md on SQLite: a database of the previous schema,
    backed up, migrated by the new version, then rolled back from the backup."""
    import sqlite3

    from alembic import command
    from alembic.config import Config

    from web.db.migrate import MIGRATIONS

    db = tmp_path / "web.sqlite3"
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{db}")

    def to(revision: str) -> None:
        from sqlalchemy import create_engine

        engine = create_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        engine.dispose()

    to("0021")  # the version before this one's migrations
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO reservations (id, access_code, service_point, service, start, status,"
            " name, contact, created_at, confirm_attempts, kind, location)"
            " VALUES ('r1', 'ABCD2345', 'p', 's', '2026-12-08 09:00:00', 'confirmed', 'Ola',"
            " 'ola@example.org', '2026-12-07 09:00:00', 0, 'online', 'l')"
        )
    url = f"sqlite+aiosqlite:///{db}"
    backup = tmp_path / "web-before-upgrade.sqlite3"
    okienko("backup", "web", "--database-url", url, "--out", str(backup))
    # The new version migrates on its first start (any command on the database does too).
    okienko("staff-api-token", "create", "--name", "EZD", "--database-url", url)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] != "0021"
        assert conn.execute("SELECT count(*) FROM staff_api_tokens").fetchone()[0] == 1
    # Roll back: the old version's code, and the database from the backup.
    okienko("restore", "web", "--database-url", url, "--from", str(backup))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0021"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "staff_api_tokens" not in tables
        assert conn.execute("SELECT name FROM reservations").fetchall() == [("Ola",)]
