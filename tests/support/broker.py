"""A real Mosquitto for one test site: accounts and ACLs generated from the site, a free port,
TLS only with a site CA of its own (``site_tls``); MQTT clients that trust that CA."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from hub.config import Site
from hub.tls import client_context
from okienko.private_files import write_private
from provisioning import pki
from provisioning.broker import (
    Mosquitto,
    TlsFiles,
    free_port,
    generate_passwords,
    write_broker_files,
)

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class SiteTls:
    """A site CA and the broker's certificate, as files (what ``provision init`` writes)."""

    ca_file: Path
    files: TlsFiles

    @property
    def ca_pem(self) -> str:
        return self.ca_file.read_text(encoding="utf-8")


def site_tls(
    directory: Path, names: tuple[str, ...] = LOOPBACK_NAMES, *, days: int = pki.SERVER_DAYS
) -> SiteTls:
    """A fresh site CA in ``directory`` and a broker certificate for ``names``, valid for
    ``days``."""
    now = pki.now_utc()
    ca = pki.create_ca("test", now)
    server = pki.issue_server(ca, names, now, days=days)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {n: directory / n for n in ("ca.crt", "server.crt", "server.key")}
    paths["ca.crt"].write_bytes(ca.cert_pem)
    paths["server.crt"].write_bytes(server.cert_pem)
    write_private(paths["server.key"], server.key_pem)  # 0600 from its first moment
    return SiteTls(
        paths["ca.crt"], TlsFiles(paths["ca.crt"], paths["server.crt"], paths["server.key"])
    )


def tls_client(ca_file: Path | None, **options: object) -> mqtt.Client:
    """A paho MQTT v5 client that trusts the site CA alone (host name checked); ``None``
    for a plaintext one, which only an attack test wants."""
    c = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        protocol=mqtt.MQTTv5,
        **options,  # type: ignore[arg-type]
    )
    if ca_file is not None:
        c.tls_set_context(client_context(ca_file=ca_file))
    return c


@dataclass
class SiteBroker:
    broker: Mosquitto
    passwords: dict[str, str]


def searchable_tempdir() -> Path:
    """A fresh directory the ``mosquitto`` user can reach: pytest's own temporary directories
    sit under a 0700 directory of root's, where the broker would have to keep root."""
    path = Path(tempfile.mkdtemp(prefix="okienko-broker-"))
    path.chmod(0o711)
    return path


def start_site_broker(site: Site, workdir: Path) -> tuple[Mosquitto, dict[str, str]]:
    """Start a broker for ``site`` with its files under ``workdir/broker``; returns the running
    broker and the plain passwords ("hub" and every device id). Stop it with ``stop()``."""
    passwords = generate_passwords(site)
    tls = site_tls(workdir / "pki")
    files = write_broker_files(site, workdir / "broker", passwords, port=free_port(), tls=tls.files)
    return Mosquitto.for_files(files).start(), passwords


class Probe:
    """A bare MQTT v5 client that records what the broker answers (CONNACK, PUBACK, messages),
    so a test can assert on an ACL decision instead of sleeping and hoping.

    It trusts ``tls_ca`` (default: the CA the broker's certificate comes from); ``plaintext``
    makes it a client without TLS, as an attacker's would be."""

    def __init__(
        self,
        broker: Mosquitto,
        username: str | None = None,
        password: str | None = None,
        *,
        will: str | None = None,
        tls_ca: Path | None = None,
        plaintext: bool = False,
        port: int | None = None,
    ) -> None:
        self._cond = threading.Condition()
        self.connack: ReasonCode | None = None
        self.disconnected = threading.Event()
        self.pubacks: dict[int, ReasonCode] = {}
        self.messages: list[mqtt.MQTTMessage] = []
        self._host, self._port = broker.host, port or broker.port
        ca = tls_ca or broker.cafile
        if ca is None and not plaintext:
            raise ValueError("a TLS probe needs the site CA (tls_ca, or the broker's cafile)")
        c = tls_client(None if plaintext else ca)
        if username is not None:
            c.username_pw_set(username, password)
        if will is not None:
            c.will_set(will, b"offline", qos=1, retain=False)
        c.on_connect = self._on_connect
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        c.on_disconnect = lambda *args: self.disconnected.set()
        self.client = c

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        with self._cond:
            if self.connack is None:
                self.connack = reason_code
            self._cond.notify_all()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        with self._cond:
            self.pubacks[mid] = reason_code
            self._cond.notify_all()

    def _on_message(self, client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    def _wait(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(ready, timeout):
                raise TimeoutError(f"no {what} within {timeout} s")

    def connect(self, timeout: float = 5.0) -> ReasonCode:
        """Connect and return the broker's CONNACK reason code (success or refusal); a TLS
        handshake that fails raises (``ssl.SSLError``, or ``OSError`` when the broker hangs
        up on a client that does not speak TLS)."""
        self.client.connect(self._host, self._port, keepalive=10)
        self.client.loop_start()
        self._wait(lambda: self.connack is not None, "CONNACK", timeout)
        assert self.connack is not None
        return self.connack

    def subscribe(self, *topics: str, timeout: float = 5.0) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe([(t, 1) for t in topics])
        if not done.wait(timeout):
            raise TimeoutError(f"no SUBACK within {timeout} s")

    def publish(
        self, topic: str, payload: bytes = b"x", *, retain: bool = False, timeout: float = 5.0
    ) -> ReasonCode:
        """Publish with QoS 1 and return the PUBACK reason code (135 = not authorized)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        self._wait(lambda: info.mid in self.pubacks, "PUBACK", timeout)
        return self.pubacks[info.mid]

    def wait_for(self, topic: str, count: int = 1, timeout: float = 5.0) -> mqtt.MQTTMessage:
        """The ``count``-th message received on ``topic``, once it is in."""
        self._wait(lambda: self.topics().count(topic) >= count, f"message on {topic}", timeout)
        return [m for m in self.messages if m.topic == topic][count - 1]

    def topics(self) -> list[str]:
        return [m.topic for m in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self) -> None:
        """Leave as if the network died: the broker publishes the Last Will."""
        with_will = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
        self.client.disconnect(reasoncode=with_will)
        self.client.loop_stop()
