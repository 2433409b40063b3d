"""The hub's MQTT adapter (aiomqtt on paho, MQTT v5): receives commands, publishes replies and
retained state, announces the hub's presence with a Last Will, and reconnects with backoff.

It keeps a persistent session (clean_start off, session expiry) so commands that devices send
while the hub restarts wait in the broker instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from datetime import UTC, datetime

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from hub.config import ConfigError, MqttSettings
from hub.contract import messages as msg
from hub.contract.topics import HUB_DEVICE_ID, Topics
from hub.service import Hub, Inbound
from hub.tls import client_context

log = logging.getLogger("okienko.hub.mqtt")

SESSION_EXPIRY_S = 3600
BACKOFF_MAX_S = 10.0


def _certificate_expires(client: aiomqtt.Client) -> datetime | None:
    """When the certificate the broker proved itself with expires (fleet health warns)."""
    sock = client._client.socket()  # aiomqtt keeps paho's client; its socket is the TLS one
    if not isinstance(sock, ssl.SSLSocket):
        return None
    cert = sock.getpeercert()
    not_after = cert.get("notAfter") if cert else None
    if not isinstance(not_after, str):
        return None
    return datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)


class MqttBridge:
    def __init__(self, settings: MqttSettings, hub: Hub) -> None:
        if settings.tls_ca is None:
            raise ConfigError(
                "[hub.mqtt] tls_ca: not set; the hub talks to the broker with TLS only "
                "(the site CA certificate, STATE/pki/ca.crt from `okienko provision init`)"
            )
        # Built once: a missing or unreadable CA file stops the hub at start, by name.
        try:
            self._tls: ssl.SSLContext = client_context(ca_file=settings.tls_ca)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"[hub.mqtt] tls_ca: {settings.tls_ca}: {exc}") from None
        self.settings = settings
        self.hub = hub
        self.topics: Topics = hub.topics
        self._client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()

    async def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, correlation: bytes | None = None
    ) -> None:
        client = self._client
        if client is None:
            return  # state is republished in full on the next connection
        props = None
        if correlation is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = correlation
        try:
            await client.publish(topic, payload, qos=1, retain=retain, properties=props)
        except aiomqtt.MqttError as exc:
            log.warning("publish to %s failed: %s", topic, exc)

    def _client_for(self) -> aiomqtt.Client:
        s = self.settings
        connect = Properties(PacketTypes.CONNECT)
        connect.SessionExpiryInterval = SESSION_EXPIRY_S
        offline = msg.Presence(state=msg.PresenceState.OFFLINE).dump()
        return aiomqtt.Client(
            s.host,
            s.port,
            username=s.username,
            password=s.secret(),
            identifier=f"okienko-hub-{self.topics.site}",
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=connect,
            will=aiomqtt.Will(self.topics.presence(HUB_DEVICE_ID), offline, qos=1, retain=True),
            keepalive=15,
            tls_context=self._tls,
            max_concurrent_outgoing_calls=None,
            # Small packets back to back: without NODELAY, Nagle adds ~40 ms per reply.
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        )

    async def announce_offline(self) -> None:
        """A normal stop (SIGTERM from ``systemctl stop``) says so before it disconnects: the
        Last Will covers only a crash, and a retained "online" left behind would keep every
        screen showing numbers nobody updates."""
        client = self._client
        if client is None:
            return
        offline = msg.Presence(state=msg.PresenceState.OFFLINE).dump()
        try:
            async with asyncio.timeout(2.0):  # a stop never hangs on a broker that is gone
                await client.publish(
                    self.topics.presence(HUB_DEVICE_ID), offline, qos=1, retain=True
                )
        except (aiomqtt.MqttError, TimeoutError) as exc:
            log.warning("could not announce going offline: %s", exc)

    async def run(self) -> None:
        """Connect, serve, and reconnect with backoff until cancelled."""
        delay = 0.5
        where = f"{self.settings.host}:{self.settings.port}"
        while True:
            connected = False
            try:
                async with self._client_for() as client:
                    connected = True
                    self._client = client
                    delay = 0.5
                    await self._serve(client)
            except aiomqtt.MqttError as exc:
                # Never connected (wrong port, broker down, refused login) reads differently
                # from a connection that worked and broke: the admin looks in another place.
                what = f"connection to {where} lost" if connected else f"cannot connect to {where}"
                log.warning("%s (%s); retrying in %.1f s", what, exc, delay)
            finally:
                self._client = None
                self.connected.clear()
                self.hub.fleet.broker_lost()
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def _serve(self, client: aiomqtt.Client) -> None:
        await client.subscribe(self.topics.all_commands, qos=1)
        await client.subscribe(self.topics.all_presence, qos=1)
        await client.subscribe(self.topics.all_status, qos=1)
        online = msg.Presence(state=msg.PresenceState.ONLINE).dump()
        await client.publish(self.topics.presence(HUB_DEVICE_ID), online, qos=1, retain=True)
        await self.hub.publish_state(force=True)
        self.hub.fleet.broker_connected(_certificate_expires(client))
        self.connected.set()
        log.info(
            "connected to the broker at %s:%d as %s",
            self.settings.host,
            self.settings.port,
            self.settings.username,
        )
        async for message in client.messages:
            self._dispatch(message)

    def _dispatch(self, message: aiomqtt.Message) -> None:
        topic = str(message.topic)
        payload = message.payload if isinstance(message.payload, bytes) else b""
        parsed = self.topics.parse_command(topic)
        if parsed is not None:
            device, operation = parsed
            props = message.properties
            response = getattr(props, "ResponseTopic", None) if props else None
            correlation = getattr(props, "CorrelationData", None) if props else None
            self.hub.submit(Inbound(device, operation, payload, response, correlation))
            return
        device_id = self.topics.parse_device_topic(topic, "presence")
        if device_id is not None:
            self.hub.fleet.presence(device_id, payload)
            return
        device_id = self.topics.parse_device_topic(topic, "status")
        if device_id is not None:
            self.hub.fleet.status(device_id, payload)
