"""A real Mosquitto for one test site: accounts and ACLs generated from the site, a free port."""

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
from provisioning.broker import Mosquitto, free_port, generate_passwords, write_broker_files


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
    files = write_broker_files(site, workdir / "broker", passwords, port=free_port())
    return Mosquitto.for_files(files).start(), passwords


class Probe:
    """A bare MQTT v5 client that records what the broker answers (CONNACK, PUBACK, messages),
    so a test can assert on an ACL decision instead of sleeping and hoping."""

    def __init__(
        self,
        broker: Mosquitto,
        username: str | None = None,
        password: str | None = None,
        *,
        will: str | None = None,
        tls_ca: Path | None = None,
        port: int | None = None,
    ) -> None:
        self._cond = threading.Condition()
        self.connack: ReasonCode | None = None
        self.disconnected = threading.Event()
        self.pubacks: dict[int, ReasonCode] = {}
        self.messages: list[mqtt.MQTTMessage] = []
        self._host, self._port = broker.host, port or broker.port
        c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        if username is not None:
            c.username_pw_set(username, password)
        if will is not None:
            c.will_set(will, b"offline", qos=1, retain=False)
        if tls_ca is not None:
            c.tls_set(ca_certs=str(tls_ca))
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
        """Connect and return the broker's CONNACK reason code (success or refusal)."""
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
