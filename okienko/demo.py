"""``okienko demo``: a whole site on one machine, built with the same provisioning code an office
uses: broker accounts and ACLs generated from the site file, a real Mosquitto, the hub.

The demo keeps services open around the clock (an office's hours would leave the demo closed in
the evening) and gives every clerk a fresh random PIN, listed in the info file. The cloud gets a
realistic catalog (``web/demo_data.py``: descriptions, a branch office with a lunch break) and one
staff account per role with a fresh random password, also in the info file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from hub.clerks import hash_pin
from hub.config import (
    WEEKDAYS,
    CloudSettings,
    Hours,
    HubSettings,
    MetricsSettings,
    MqttSettings,
    Site,
    SiteFile,
    load_site,
)
from hub.contract import messages as msg
from hub.contract.topics import Topics
from okienko.private_files import private_dir, write_private

log = logging.getLogger("okienko.demo")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SITE = REPO / "examples" / "torun.toml"


def demo_site(site: Site) -> tuple[Site, dict[str, str]]:
    """The site open all day, every day, and new clerk PINs (returned in plain text)."""
    all_day = Hours.parse("00:00-24:00")
    services = [
        s.model_copy(update={"hours": dict.fromkeys(WEEKDAYS, all_day), "cutoff_minutes": 0})
        for s in site.services
    ]
    pins = {c.id: f"{secrets.randbelow(10**4):04d}" for c in site.clerks}
    clerks = [c.model_copy(update={"pin_hash": hash_pin(pins[c.id])}) for c in site.clerks]
    return site.model_copy(update={"services": services, "clerks": clerks}), pins


def info_document(
    site: Site,
    host: str,
    port: int,
    ca_file: Path,
    passwords: dict[str, str],
    pins: dict[str, str],
) -> dict[str, Any]:
    """What scripts and the demo's appliances need: the broker (its TLS port, and the site CA
    to check it against), every device's account and every clerk's PIN."""
    devices: dict[str, Any] = {}
    for d in site.devices:
        entry: dict[str, Any] = {"role": str(d.role), "username": d.id, "password": passwords[d.id]}
        if d.counter is not None:
            entry["counter"] = d.counter
        devices[d.id] = entry
    names = {c.id: c.name for c in site.clerks}
    return {
        "mqtt": {
            "host": host,
            "port": port,
            "ca_file": str(ca_file),
            "site": site.id,
            "topic_root": Topics(site.id).root,
        },
        "devices": devices,
        "clerks": {cid: {"name": names[cid], "pin": pin} for cid, pin in pins.items()},
        "web": {"url": None},
        "staff": {},
    }


async def _wait_for_state(
    host: str, port: int, ca_file: Path, site: Site, passwords: dict[str, str]
) -> None:
    """Answering means a display account can read the hub's retained queue state."""
    import aiomqtt

    from hub.tls import client_context

    display = next((d for d in site.devices if d.role == "display"), None)
    if display is None:
        return
    topics = Topics(site.id)
    async with aiomqtt.Client(
        host,
        port,
        username=display.id,
        password=passwords[display.id],
        protocol=aiomqtt.ProtocolVersion.V5,
        tls_context=client_context(ca_file=ca_file),
    ) as client:
        await client.subscribe(topics.queue_state, qos=1)
        async with asyncio.timeout(15):
            async for message in client.messages:
                msg.QueueState.model_validate_json(message.payload)  # type: ignore[arg-type]
                return


async def _run(
    site_path: Path,
    workdir: Path,
    info_file: Path | None,
    headless: bool,
    faults_calendar: Path | None = None,
    directory: Path | None = None,
) -> None:
    from hub.app import running_hub, sync_with_cloud
    from provisioning.broker import Mosquitto, free_port
    from provisioning.state import BrokerAddress
    from provisioning.statedir import StateDir, init_site
    from web.app import server as web_server
    from web.identity import settings as identity
    from web.metrics import serve as serve_web_metrics
    from web.notify.outbox import Notifier

    site, pins = demo_site(load_site(site_path).site)
    _fresh_dir(workdir)
    host, port = "127.0.0.1", free_port()
    web_port = free_port()
    web_url = f"http://{host}:{web_port}"
    # Prometheus metrics of both, each on a loopback port of its own (never the public one).
    hub_metrics, web_metrics = f"{host}:{free_port()}", f"{host}:{free_port()}"
    web_db = f"sqlite+aiosqlite:///{workdir / 'web.sqlite3'}"
    site = site.model_copy(update={"eticket_url": f"{web_url}/e"})
    fault_settings = _demo_fault_settings(faults_calendar)
    web = web_server(
        host,
        web_port,
        web_db,
        own_signals=False,
        site=site,
        notifier=Notifier.outbox(workdir / "outbox"),
        fault_settings=fault_settings,
        **(identity.load(directory).app_options() if directory else {}),
    )
    # The same provisioning an office runs (`okienko provision init`): accounts, ACLs,
    # enrolment bundles in workdir/provision/bundles.
    # TLS only, as at an office: a site CA, a certificate for 127.0.0.1 and localhost.
    provision = StateDir(workdir / "provision")
    _state, files, _bundles, passwords = init_site(
        site,
        str(site_path),
        provision.path,
        BrokerAddress(listen=host, host=host, port=port),
        settings=HubSettings(mqtt=MqttSettings(host=host, port=port)),
    )
    ca_file = provision.ca_cert
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    with Mosquitto(files.conf, host=host, port=port) as broker:
        settings = HubSettings(
            database=workdir / "hub.sqlite3",
            mqtt=MqttSettings(
                host=host,
                port=broker.port,
                username="hub",
                password=passwords["hub"],
                tls_ca=ca_file,
            ),
            advertise=True,
            metrics=MetricsSettings(listen=hub_metrics),
        )
        async with running_hub(SiteFile(site=site, hub=settings)) as (hub, bridge):
            # Only now: Alembic's context is process-global, so migrations run one at a time.
            web_task = asyncio.create_task(web.serve(), name="web")
            await asyncio.wait_for(bridge.connected.wait(), 15)
            await _wait_for_state(host, broker.port, ca_file, site, passwords)
            await _wait_for_web(web, web_task)
            serve_web_metrics(web_metrics, web_db, fault_settings)
            staff, helpdesk = await _populate_cloud(web, web_db, site)
            # The hub syncs with the cloud as an office's would: its own site token.
            sync_task = asyncio.create_task(
                sync_with_cloud(
                    hub, bridge, CloudSettings(url=web_url, token=await _token(web_db, site))
                ),
                name="hub-sync",
            )
            info = info_document(site, host, broker.port, ca_file, passwords, pins)
            # The database too: `okienko privacy … --database-url` and the other admin commands.
            info["web"] = {"url": web_url, "database_url": f"sqlite:///{workdir / 'web.sqlite3'}"}
            info["staff"] = staff
            info["helpdesk"] = {"url": f"{web_url}/helpdesk/", "accounts": helpdesk}
            info["open311"] = await _open311(web_db, web_url)
            info["metrics"] = {
                "hub": f"http://{hub_metrics}/metrics",
                "web": f"http://{web_metrics}/metrics",
            }
            own_info = workdir / "demo.json"  # the appliances' credentials, also when not asked
            text = json.dumps(info, indent=2, ensure_ascii=False).encode("utf-8")
            for path in filter(None, (info_file, own_info)):
                private_dir(path.parent)
                write_private(path, text)  # passwords: the owner's only; never half a file
            windows = [] if headless else _open_appliances(site, own_info, workdir)
            _print_banner(site, info, headless, len(windows))
            try:
                await stop.wait()
            finally:
                _close(windows)
                sync_task.cancel()
                web.should_exit = True
                await asyncio.wait_for(web_task, 10)
    log.info("demo stopped")


def _demo_fault_settings(path: Path | None) -> Any:
    """The seed's calendar and no map on the fault form, unless ``--faults-calendar`` names a
    file: a map's tiles come from a server the visitor's browser contacts, which only the
    office may choose (RODO) by its ``[map]``; the demo chooses none for it."""
    from web.faults.settings import DEFAULT, FaultSettings

    return FaultSettings.from_file(path) if path else DEFAULT


async def _token(database_url: str, site: Site) -> str:
    from web.db.engine import make_engine
    from web.sync import tokens

    engine = make_engine(database_url)
    try:
        return await tokens.create(engine, site.id)
    finally:
        await engine.dispose()


async def _open311(database_url: str, web_url: str) -> dict[str, str]:
    """Citizen fault reports' Open311 API: its base URL and a demo key."""
    from web.db.engine import make_engine
    from web.faults.demo import open311_info

    engine = make_engine(database_url)
    try:
        return await open311_info(engine, web_url)
    finally:
        await engine.dispose()


async def _populate_cloud(
    web: Any, database_url: str, site: Site
) -> tuple[dict[str, Any], dict[str, Any]]:
    """After the cloud has migrated and imported the site (its start): the demo catalog,
    staff and helpdesk, through a second engine on the same database; the running app then
    forgets its cached catalog so the first visitor sees it all."""
    from datetime import datetime

    from web.catalog import invalidate
    from web.db.engine import make_engine
    from web.demo_data import populate
    from web.helpdesk.demo import populate_helpdesk
    from web.reservations.booking import TZ

    engine = make_engine(database_url)
    try:
        staff = await populate(engine, site, datetime.now(TZ).date())
        helpdesk = await populate_helpdesk(engine)
    finally:
        await engine.dispose()
    invalidate(web.config.app)
    return staff, helpdesk


async def _wait_for_web(web: Any, task: asyncio.Task[None]) -> None:
    for _ in range(300):
        if web.started:
            return
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("the cloud service stopped at start")
        await asyncio.sleep(0.05)
    raise RuntimeError("the cloud service did not start in 15 s")


# One of each appliance, in windows the size of their real screens.
DEMO_SCREENS = (
    ("display", "1024x600"),
    ("counter", "800x480"),
    ("counter-display", "800x480"),
    ("dispenser", "800x480"),
)


def _open_appliances(site: Site, info: Path, workdir: Path) -> list[subprocess.Popen[bytes]]:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        log.info("no screen here: appliance windows not opened (use --headless to say so)")
        return []
    procs = []
    for role, size in DEMO_SCREENS:
        device = next((d for d in site.devices if d.role == role), None)
        if device is None:
            continue
        log_file = (workdir / f"{device.id}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "okienko.cli",
                    "appliance",
                    role,
                    "--device",
                    device.id,
                    "--info-file",
                    str(info),
                    "--windowed",
                    "--size",
                    size,
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def _close(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def _fresh_dir(workdir: Path) -> None:
    """Every demo starts from an empty queue."""
    if workdir.exists():
        shutil.rmtree(workdir)
    private_dir(workdir)  # passwords, the databases: the owner's only


def _print_banner(site: Site, info: dict[str, Any], headless: bool, windows: int) -> None:
    mqtt = info["mqtt"]
    print(f"\nOkienko demo: site '{site.name}' is running.")
    print(f"  broker  mqtts://{mqtt['host']}:{mqtt['port']}  (topics under {mqtt['topic_root']})")
    print(f"  site CA {mqtt['ca_file']}  (mosquitto_sub --cafile it; TLS only)")
    print(f"  cloud   {info['web']['url']}")
    if "metrics" in info:
        print(f"  metrics {info['metrics']['hub']}  (hub)")
        print(f"  metrics {info['metrics']['web']}  (cloud)")
    for cid, clerk in info["clerks"].items():
        print(f"  clerk   {cid:<10} PIN {clerk['pin']}  ({clerk['name']})")
    # One set of logins: every account signs in on the one page, to every part it has roles in.
    logins = [("customer service", key, a) for key, a in info["staff"].items()]
    helpdesk = info.get("helpdesk") or {"accounts": {}}
    logins += [("requests, fault reports", key, a) for key, a in helpdesk["accounts"].items()]
    if logins:
        print(f"  sign-in {info['web']['url']}/signin  (one page for every part)")
    for part, key, account in logins:
        print(f"  {key:<10} {account['email']:<28} password {account['password']}  ({part})")
    if not headless:
        print(
            f"  appliance windows opened: {windows} (display, terminal, counter display, dispenser)"
        )
    print("Press Ctrl-C to stop.\n", flush=True)


def run_demo(
    *,
    headless: bool,
    info_file: Path | None,
    workdir: Path | None,
    site: Path | None,
    faults_calendar: Path | None = None,
    directory: Path | None = None,
) -> int:
    from hub.config import ConfigError
    from web.faults.workdays import CalendarError
    from web.identity.backends.ldap import DirectoryConfigError

    try:
        asyncio.run(
            _run(
                site or DEFAULT_SITE,
                workdir or Path("var/demo"),
                info_file,
                headless,
                faults_calendar,
                directory,
            )
        )
    except (ConfigError, CalendarError, DirectoryConfigError) as exc:
        print(exc)
        return 2
    return 0
