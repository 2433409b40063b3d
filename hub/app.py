"""Runs one site's hub: store, queue service, MQTT bridge, zeroconf advertisement, clock tick."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Coroutine
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hub import runlock
from hub.config import CloudSettings, ConfigError, SiteFile, load_site
from hub.contract import messages as msg
from hub.mqtt.bridge import MqttBridge
from hub.service import Hub, SiteReloadRefused
from hub.store.database import EventStore

if TYPE_CHECKING:
    from hub.sync import CloudSync

log = logging.getLogger("okienko.hub")
T = TypeVar("T")

TICK_S = 15.0


class HubFailed(Exception):
    """A task the hub cannot work without stopped; the message says which and why."""


def check_secrets(site_file: SiteFile) -> None:
    """Read every secret file now: a missing password file is a clear refusal at start, not
    a connection task that dies unseen while the service looks active."""
    settings = site_file.hub
    named = [("[hub.mqtt] password_file", settings.mqtt.secret)]
    if settings.cloud is not None:
        named.append(("[hub.cloud] token_file", settings.cloud.secret))
    for key, read in named:
        try:
            read()
        except OSError as exc:
            raise ConfigError(f"{key}: {exc.filename}: {exc.strerror}") from None


def _supervise(tasks: list[asyncio.Task[Any]], failed: asyncio.Future[str]) -> None:
    """No task dies quietly: its failure is logged and ends the hub with that message (a
    supervisor such as systemd then restarts it), instead of a process that looks alive."""

    def done(task: asyncio.Task[Any]) -> None:
        if task.cancelled() or failed.done():
            return
        exc = task.exception()
        reason = f"{task.get_name()} stopped: {exc!r}" if exc else f"{task.get_name()} ended"
        log.error("%s", reason, exc_info=exc)
        failed.set_result(reason)

    for t in tasks:
        t.add_done_callback(done)


@contextlib.asynccontextmanager
async def running_hub(
    site_file: SiteFile, failed: asyncio.Future[str] | None = None
) -> AsyncIterator[tuple[Hub, MqttBridge]]:
    """A started hub with its tasks; everything stops when the block exits. A task that
    fails resolves ``failed`` with the reason."""
    check_secrets(site_file)
    settings = site_file.hub
    async with contextlib.AsyncExitStack() as stack:
        # First: a restore must never replace the database under a running hub.
        stack.enter_context(runlock.held(settings.database))
        store = EventStore(settings.database, durability=settings.durability)
        hub = Hub(site_file.site, store)
        bridge = MqttBridge(settings.mqtt, hub)  # before the store opens: TLS settings checked
        await hub.start()
        stack.push_async_callback(store.close)
        hub.publisher = bridge
        if settings.metrics is not None:  # before any task: a taken address stops nothing
            from hub.metrics import HubMetrics, serving

            metrics = HubMetrics(hub, mqtt_connected=bridge.connected.is_set)
            hub.observer = metrics
            await stack.enter_async_context(serving(metrics, settings.metrics.listen))
        tasks = [
            asyncio.create_task(hub.run(), name="hub-worker"),
            asyncio.create_task(bridge.run(), name="hub-mqtt"),
            asyncio.create_task(_tick(hub), name="hub-tick"),
        ]
        if settings.cloud is not None:
            sync = cloud_sync(hub, bridge, settings.cloud)
            tasks.append(asyncio.create_task(sync.run(), name="hub-sync"))
        loop = asyncio.get_running_loop()
        _supervise(tasks, failed if failed is not None else loop.create_future())
        stack.push_async_callback(_stop, bridge, tasks)
        if settings.advertise:
            await stack.enter_async_context(_advertised(site_file))
        yield hub, bridge


async def _stop(bridge: MqttBridge, tasks: list[asyncio.Task[Any]]) -> None:
    await bridge.announce_offline()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def _advertised(site_file: SiteFile) -> AsyncIterator[None]:
    settings = site_file.hub
    try:
        from hub.discovery import HubAdvertiser

        advertiser = HubAdvertiser(
            site_file.site.id,
            settings.mqtt.host,
            settings.mqtt.port,
            address=settings.advertise_host,
            tls=settings.mqtt.tls_ca is not None,
        )
    except Exception as exc:  # discovery is a convenience; the hub works without it
        log.warning("not advertising the hub: %s", exc)
        yield
        return
    async with advertiser:
        yield


async def sync_with_cloud(hub: Hub, bridge: MqttBridge, cloud: CloudSettings) -> None:
    """The sync as a task of its own (the demo starts it once its cloud is up)."""
    await cloud_sync(hub, bridge, cloud).run()


def software_version() -> str:
    try:
        return f"okienko {version('okienko')}"
    except PackageNotFoundError:
        return "okienko"


def cloud_sync(hub: Hub, bridge: MqttBridge, cloud: CloudSettings) -> CloudSync:
    """The sync task's state; its health goes out as the hub's retained status too."""
    from hub.sync import CloudSync

    sync = CloudSync(hub, cloud, software=software_version())

    async def report(health: msg.SyncHealth) -> None:
        status = msg.DeviceStatus(
            device="hub", role="hub", software=software_version(), at=hub.clock(), sync=health
        )
        with contextlib.suppress(Exception):  # the broker may be away too; the next report comes
            await bridge.publish(hub.topics.status("hub"), status.dump(), retain=True)

    sync.on_health = report
    return sync


async def _tick(hub: Hub) -> None:
    while True:
        await asyncio.sleep(TICK_S)
        try:
            await hub.tick()
        except Exception:
            log.exception("periodic update failed")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run the hub's event loop: uvloop where installed (about 20 % less latency per command,
    measured with bench/hub_latency.py), asyncio's own otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def reload_site_file(hub: Hub, path: Path) -> bool:
    """SIGHUP: the devices of the site file as it is now, without a restart. A file that
    cannot be read or checked is refused in one log line, and the hub keeps what it has."""
    kept = hub.site_loaded_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    try:
        site_file = load_site(path)
        check_secrets(site_file)
        ignored = hub.reload_devices(site_file.site)
    except (ConfigError, SiteReloadRefused) as exc:
        reason = "; ".join(part.strip() for part in str(exc).splitlines() if part.strip())
        log.error("site file %s not reloaded: %s; keeping the one loaded at %s", path, reason, kept)
        return False
    ids = ", ".join(d.id for d in hub.site.devices) or "none"
    log.info("site file %s reloaded: devices %s", path, ids)
    if ignored:
        log.warning(
            "site file %s: changes to %s take effect when the hub restarts",
            path,
            ", ".join(f"[site] {name}" for name in ignored),
        )
    return True


async def serve_forever(site_file: SiteFile, path: Path | None = None) -> None:
    """``okienko hub``: run until SIGINT or SIGTERM; SIGHUP reloads the devices from ``path``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    failed: asyncio.Future[str] = loop.create_future()
    # SIGHUP is caught from the start (its default ends the process): one that comes while the
    # hub starts (add-device finds it by its run lock) is applied once it runs.
    running: list[Hub] = []
    hup_pending = False

    def on_hup() -> None:
        nonlocal hup_pending
        if running and path is not None:
            reload_site_file(running[0], path)
        else:
            hup_pending = True

    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGHUP, on_hup)
    async with running_hub(site_file, failed) as (hub, _bridge):
        running.append(hub)
        if hup_pending and path is not None:
            reload_site_file(hub, path)
        log.info("hub of site %s running", site_file.site.id)
        stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        either: list[asyncio.Future[Any]] = [stopping, failed]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
    if failed.done():
        raise HubFailed(f"the hub stopped: {failed.result()}")
    log.info("hub stopped")
