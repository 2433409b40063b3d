"""What the hub knows of its devices: presence (Last Will), software, printer and speech state;
and of its broker: connected, and when the certificate it proved itself with runs out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from hub.config import Site
from hub.contract import messages as msg

log = logging.getLogger("okienko.hub.fleet")

BROKER_ID = "broker"
CERT_WARNING = timedelta(days=30)
"""How long before the broker's certificate expires fleet health starts saying so."""


@dataclass
class DeviceHealth:
    id: str
    role: str
    online: bool = False
    software: str | None = None
    printer: msg.PrinterState = msg.PrinterState.NONE
    speech: msg.SpeechState = msg.SpeechState.NONE
    detail: str | None = None
    last_seen: datetime | None = None


class Fleet:
    def __init__(self, site: Site, clock) -> None:  # type: ignore[no-untyped-def]
        self._clock = clock
        self.devices = {d.id: DeviceHealth(d.id, str(d.role)) for d in site.devices}
        self.broker = DeviceHealth(BROKER_ID, BROKER_ID)
        self.broker_certificate_expires: datetime | None = None

    def set_devices(self, site: Site) -> None:
        """The site file was reloaded: new devices start unseen, the kept ones keep their
        health, removed ones are forgotten."""
        self.devices = {
            d.id: self.devices.get(d.id) or DeviceHealth(d.id, str(d.role)) for d in site.devices
        }

    def broker_connected(self, certificate_expires: datetime | None) -> None:
        """The hub is connected to its broker, whose certificate runs out then."""
        now = self._clock()
        self.broker_certificate_expires = certificate_expires
        self.broker.online = True
        self.broker.last_seen = now
        self.broker.detail = None
        if certificate_expires is not None and certificate_expires - now <= CERT_WARNING:
            self.broker.detail = (
                f"server certificate expires {certificate_expires:%Y-%m-%d}: "
                "okienko provision renew-cert"
            )
            log.warning("the broker's %s", self.broker.detail)

    def broker_lost(self) -> None:
        self.broker.online = False

    def presence(self, device_id: str, payload: bytes) -> None:
        health = self.devices.get(device_id)
        if health is None:
            return  # the hub's own presence, or a device no longer enrolled
        try:
            presence = msg.Presence.model_validate_json(payload)
        except ValidationError:
            log.warning("device %s sent an unreadable presence", device_id)
            return
        health.online = presence.state is msg.PresenceState.ONLINE
        health.last_seen = self._clock()

    def status(self, device_id: str, payload: bytes) -> None:
        health = self.devices.get(device_id)
        if health is None:
            return
        try:
            status = msg.DeviceStatus.model_validate_json(payload)
        except ValidationError:
            log.warning("device %s sent an unreadable status", device_id)
            return
        health.software = status.software
        health.printer = status.printer
        health.speech = status.speech
        health.detail = status.detail
        health.last_seen = self._clock()
