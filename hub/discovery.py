"""Finding the hub by zeroconf (mDNS/DNS-SD): the hub announces ``_okienko._tcp`` with its
broker's address and port, site id and protocol version; appliances browse for it.

Imports nothing of the hub but the topic module: appliances use it without the hub's stack.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from dataclasses import dataclass
from types import TracebackType

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from hub.contract.topics import VERSION, Topics
from hub.tls import BrokerNotTrusted, prove_broker

log = logging.getLogger("okienko.discovery")

SERVICE_TYPE = "_okienko._tcp.local."


@dataclass(frozen=True)
class HubAnnouncement:
    site: str
    host: str
    port: int
    protocol_version: int
    topic_root: str
    tls: bool
    server: str


def instance_name(site: str) -> str:
    return f"okienko-{site}.{SERVICE_TYPE}"


def primary_address() -> str:
    """The address other machines reach us on (no packet is sent by this UDP connect)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects the outgoing interface
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


class HubAdvertiser:
    """``async with HubAdvertiser(...)``: announced while inside, withdrawn on exit. A failure
    to announce is logged, never raised: a hub configured by address works without it."""

    def __init__(
        self,
        site: str,
        broker_host: str,
        broker_port: int,
        *,
        address: str | None = None,
        tls: bool = False,
    ) -> None:
        if address is None:
            wildcard = broker_host in ("", "0.0.0.0", "::")
            address = primary_address() if wildcard or broker_host == "localhost" else broker_host
        self.address = address
        self.info = AsyncServiceInfo(
            SERVICE_TYPE,
            instance_name(site),
            addresses=[socket.inet_aton(address)],
            port=broker_port,
            properties={
                "site": site,
                "v": str(VERSION),
                "root": Topics(site).root,
                "tls": "1" if tls else "0",
            },
            server=f"okienko-{site}.local.",
        )
        self._zc: AsyncZeroconf | None = None

    async def __aenter__(self) -> HubAdvertiser:
        try:
            # Only on the interface of the announced (the broker's) address: a hub on a
            # loopback or a back-office interface is not announced to the whole LAN.
            self._zc = AsyncZeroconf(ip_version=IPVersion.V4Only, interfaces=[self.address])
            await self._zc.async_register_service(self.info, allow_name_change=True)
            log.info("announced %s at %s:%d", self.info.name, self.address, self.info.port)
        except Exception as exc:
            log.warning("could not announce the hub by zeroconf: %s", exc)
            await self._close()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._zc is not None:
            try:
                await self._zc.async_unregister_service(self.info)
            except Exception as error:
                log.warning("could not withdraw the announcement: %s", error)
        await self._close()

    async def _close(self) -> None:
        if self._zc is not None:
            await self._zc.async_close()
            self._zc = None


def _text(props: dict[bytes, bytes | None], key: str) -> str | None:
    value = props.get(key.encode())
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else None


def parse(info: ServiceInfo) -> HubAnnouncement | None:
    """An announcement, or None when it is not a usable Okienko hub of our protocol."""
    props = info.properties or {}
    site, version, root = _text(props, "site"), _text(props, "v"), _text(props, "root")
    addresses = info.parsed_addresses(IPVersion.V4Only)
    if not site or not version or not root or not addresses or info.port is None:
        log.debug("ignoring incomplete announcement %s", info.name)
        return None
    try:
        protocol = int(version)
    except ValueError:
        return None
    return HubAnnouncement(
        site=site,
        host=addresses[0],
        port=info.port,
        protocol_version=protocol,
        topic_root=root,
        tls=_text(props, "tls") == "1",
        server=info.server or "",
    )


class _Collector(ServiceListener):
    def __init__(self, site: str | None, first: bool) -> None:
        self.site = site
        self.first = first
        self.found: dict[str, HubAnnouncement] = {}
        self.done = threading.Event()

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        info = zc.get_service_info(type_, name, timeout=2000)
        found = parse(info) if info is not None else None
        if found is None or found.protocol_version != VERSION:
            return
        if self.site is not None and found.site != self.site:
            return
        self.found[name] = found
        if self.first:
            self.done.set()

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.add_service(zc, type_, name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.found.pop(name, None)


Interfaces = list[str] | None
"""Addresses of the interfaces to browse on; None = all (an appliance on the office LAN)."""


def _browse(
    site: str | None, timeout: float, first: bool, interfaces: Interfaces = None
) -> list[HubAnnouncement]:
    if interfaces is None:
        zc = Zeroconf(ip_version=IPVersion.V4Only)
    else:
        zc = Zeroconf(ip_version=IPVersion.V4Only, interfaces=interfaces)
    collector = _Collector(site, first)
    try:
        ServiceBrowser(zc, SERVICE_TYPE, collector)
        collector.done.wait(timeout)
        return sorted(collector.found.values(), key=lambda a: (a.site, a.host, a.port))
    finally:
        zc.close()


def browse_hubs(
    timeout: float = 3.0, *, site: str | None = None, interfaces: Interfaces = None
) -> list[HubAnnouncement]:
    """Every compatible hub announced within ``timeout`` seconds (blocking)."""
    return _browse(site, timeout, first=False, interfaces=interfaces)


def find_hub(
    site: str | None, timeout: float = 5.0, *, interfaces: Interfaces = None
) -> HubAnnouncement | None:
    """The first compatible hub (of ``site`` when given); returns as soon as one answers."""
    found = _browse(site, timeout, first=True, interfaces=interfaces)
    return found[0] if found else None


def find_trusted_hub(
    site: str | None,
    context: ssl.SSLContext,
    timeout: float = 5.0,
    *,
    interfaces: Interfaces = None,
) -> HubAnnouncement | None:
    """The first announced hub whose broker proves itself with a certificate of the pinned
    site CA for its announced address. An announcement is only a hint: one that fails the
    proof is logged and skipped; nothing (no password) is ever sent to it."""
    for found in browse_hubs(timeout, site=site, interfaces=interfaces):
        try:
            prove_broker(found.host, found.port, context)
        except BrokerNotTrusted as exc:
            log.warning(
                "skipping the broker announced as %s: not proved by the site CA: %s",
                found.server,
                exc,
            )
            continue
        return found
    return None
