"""A device's connection to its hub (paho-mqtt, MQTT v5): commands as request/response with
idempotent retries, retained state by callback, presence with a Last Will.

No Kivy here: the appliances, the tests and the benchmark all use this same client.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel

from hub.contract import messages as msg
from hub.contract.topics import HUB_DEVICE_ID, Operation, Topics
from hub.tls import client_context

log = logging.getLogger("okienko.appliance.client")


class HubUnavailable(Exception):
    """No reply from the hub in time (the broker or the hub is down)."""


@dataclass(frozen=True)
class Credentials:
    host: str
    port: int
    """The broker's TLS port."""
    site: str
    device: str
    password: str = field(repr=False)
    ca_pem: str = field(repr=False)
    """The site CA: the broker must hold a certificate from it for ``host``."""


SOFTWARE = "okienko 0.1.0"


class HubClient:
    def __init__(self, creds: Credentials, *, keepalive: int = 15, role: str | None = None) -> None:
        self.creds = creds
        # Announced (retained) on every connection, so the hub's fleet view knows the device.
        self.status: msg.DeviceStatus | None = None
        if role is not None:
            self.status = msg.DeviceStatus(
                device=creds.device, role=role, software=SOFTWARE, at=datetime.now(UTC)
            )
        self.topics = Topics(creds.site)
        self._reply_topic = self.topics.reply(creds.device)
        self._pending: dict[str, tuple[threading.Event, list[msg.Reply]]] = {}
        self._handlers: dict[str, list[Callable[[str, bytes], None]]] = {}
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.hub_online = False  # from the hub's retained presence (its Last Will says offline)
        self._status_listeners: list[Callable[[bool], None]] = []
        c = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"okienko-{creds.site}-{creds.device}",
            protocol=mqtt.MQTTv5,
        )
        # TLS only, checked against the site CA and the host name: the password goes out
        # only after the broker has proved itself, and never in clear.
        c.tls_set_context(client_context(ca_pem=creds.ca_pem))
        c.username_pw_set(creds.device, creds.password)
        offline = msg.Presence(state=msg.PresenceState.OFFLINE).dump()
        c.will_set(self.topics.presence(creds.device), offline, qos=1, retain=True)
        c.reconnect_delay_set(min_delay=1, max_delay=10)
        c.on_connect = self._on_connect
        c.on_connect_fail = self._on_connect_fail
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        self._keepalive = keepalive
        self.mqtt = c
        # What the log says on trouble: "cannot connect" until a connection has worked,
        # "connection lost" after; one warning per outage, not one per retry.
        self._ever_connected = False
        self._failing = False
        self._stopping = False

    @property
    def where(self) -> str:
        return f"{self.creds.host}:{self.creds.port}"

    # --- connection ----------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> HubClient:
        self.start_background()
        if not self.connected.wait(timeout):
            self.stop()
            raise HubUnavailable(f"cannot connect to the broker at {self.where}")
        return self

    def start_background(self) -> HubClient:
        """Connect (and keep reconnecting with backoff) without waiting: an appliance shows
        "no connection" meanwhile instead of refusing to start."""
        self.mqtt.connect_async(self.creds.host, self.creds.port, keepalive=self._keepalive)
        self.mqtt.loop_start()
        return self

    def stop(self) -> None:
        self._stopping = True
        if self.connected.is_set():
            offline = msg.Presence(state=msg.PresenceState.OFFLINE).dump()
            self.mqtt.publish(self.topics.presence(self.creds.device), offline, qos=1, retain=True)
        self.mqtt.disconnect()
        self.mqtt.loop_stop()

    def __enter__(self) -> HubClient:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.warning("the broker at %s refused the connection: %s", self.where, reason_code)
            return
        if self._failing or self._ever_connected:
            log.info("connected to the broker at %s", self.where)
        self._ever_connected = True
        self._failing = False
        sock = client.socket()
        if sock is not None:  # Nagle would hold each small command back ~40 ms
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        subs = [(self._reply_topic, 1), (self.topics.presence(HUB_DEVICE_ID), 1)]
        subs += [(t, 1) for t in self._handlers]
        client.subscribe(subs)
        online = msg.Presence(state=msg.PresenceState.ONLINE).dump()
        client.publish(self.topics.presence(self.creds.device), online, qos=1, retain=True)
        if self.status is not None:
            status = self.status.model_copy(update={"at": datetime.now(UTC)})
            client.publish(self.topics.status(self.creds.device), status.dump(), qos=1, retain=True)
        self.connected.set()

    def _on_connect_fail(self, client, userdata) -> None:  # type: ignore[no-untyped-def]
        if self._failing:
            return
        self._failing = True
        if self._ever_connected:
            log.warning("cannot reconnect to the broker at %s; retrying", self.where)
        else:
            log.warning(
                "cannot connect to the broker at %s (nothing listens there, or it is "
                "unreachable); retrying",
                self.where,
            )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if self.connected.is_set() and not self._stopping:
            log.warning("connection to the broker at %s lost (%s)", self.where, reason_code)
        self.connected.clear()
        self._set_hub_online(False)

    @property
    def available(self) -> bool:
        """Whether commands can reach a running hub now."""
        return self.connected.is_set() and self.hub_online

    def on_status(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(available)`` whenever the hub becomes reachable or unreachable."""
        self._status_listeners.append(listener)

    def _set_hub_online(self, online: bool) -> None:
        if online == self.hub_online:
            return
        self.hub_online = online
        for listener in list(self._status_listeners):
            try:
                listener(self.available)
            except Exception:
                log.exception("status listener failed")

    def _on_presence(self, payload: bytes) -> None:
        try:
            presence = msg.Presence.model_validate_json(payload)
        except ValueError:
            log.warning("unreadable hub presence")
            return
        self._set_hub_online(presence.state is msg.PresenceState.ONLINE)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        if message.topic == self._reply_topic:
            self._on_reply(message.payload)
        elif message.topic == self.topics.presence(HUB_DEVICE_ID):
            self._on_presence(message.payload)
        for pattern, handlers in list(self._handlers.items()):
            if mqtt.topic_matches_sub(pattern, message.topic):
                for handler in handlers:
                    try:
                        handler(message.topic, message.payload)
                    except Exception:
                        log.exception("handler for %s failed", message.topic)

    def _on_reply(self, payload: bytes) -> None:
        try:
            reply = msg.Reply.model_validate_json(payload)
        except ValueError:
            log.warning("unreadable reply from the hub")
            return
        with self._lock:
            waiter = self._pending.get(reply.request_id)
        if waiter is not None:
            waiter[1].append(reply)
            waiter[0].set()

    # --- use -----------------------------------------------------------------------------

    def subscribe(self, topic: str, handler: Callable[[str, bytes], None]) -> None:
        """Call ``handler(topic, payload)`` for messages on ``topic`` (wildcards allowed)."""
        self._handlers.setdefault(topic, []).append(handler)
        if self.connected.is_set():
            self.mqtt.subscribe(topic, qos=1)

    def report_status(self, status: msg.DeviceStatus) -> None:
        """Retained device health (printer state) for the hub's fleet view."""
        self.status = status
        self.mqtt.publish(self.topics.status(self.creds.device), status.dump(), qos=1, retain=True)

    def send(self, operation: Operation | str, request: BaseModel) -> None:
        """Publish a command without waiting (tests, fire-and-forget)."""
        self._publish(operation, request)

    def _publish(self, operation: Operation | str, request: BaseModel) -> mqtt.MQTTMessageInfo:
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self._reply_topic
        request_id = getattr(request, "request_id", "")
        props.CorrelationData = request_id.encode()
        payload = request.model_dump_json().encode()
        topic = self.topics.command(self.creds.device, operation)
        return self.mqtt.publish(topic, payload, qos=1, properties=props)

    def request(
        self,
        operation: Operation | str,
        request: msg.Request,
        *,
        timeout: float = 5.0,
        attempts: int = 1,
    ) -> msg.Reply:
        """Send and wait for the reply; retries reuse the request id, so they are safe."""
        event = threading.Event()
        box: list[msg.Reply] = []
        with self._lock:
            self._pending[request.request_id] = (event, box)
        try:
            for _ in range(max(1, attempts)):
                self._publish(operation, request)
                if event.wait(timeout):
                    return box[0]
            raise HubUnavailable(f"no reply to {operation} in {timeout * attempts:.0f} s")
        finally:
            with self._lock:
                self._pending.pop(request.request_id, None)


def new_request_id() -> str:
    return uuid.uuid4().hex
