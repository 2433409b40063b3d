"""A site's provisioning state: which broker accounts exist, their password hashes, and when
each was issued, rotated or revoked. Pure: every change returns a new state; I/O is in
``provisioning.statedir``.

The site file stays the source of truth for *devices* (id, role, counter); this state only
knows *credentials*. A device is on the broker when it is in the site file and holds a
credential that is not revoked; plain passwords never enter this state (they live only in
the enrolment bundle they were issued in, and the hub's password file).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from hub.config import Device, Site
from hub.contract.topics import HUB_DEVICE_ID
from provisioning.broker import PasswordHash, hash_password

FORMAT_VERSION = 1


class ProvisionError(Exception):
    """A provisioning request that cannot be carried out; the message says why and what to do."""


class AccountStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    NOT_ENROLLED = "not enrolled"
    NOT_IN_SITE = "not in site file"


@dataclass(frozen=True)
class Credential:
    """One broker account's password hash and its history."""

    hash: str | None
    issued: datetime
    rotated: datetime | None = None
    revoked: datetime | None = None

    @property
    def active(self) -> bool:
        # A device enrolled again after a revocation keeps that date in its history.
        return self.hash is not None


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker listens, and what devices are told to connect to."""

    listen: str = "0.0.0.0"
    host: str | None = None
    """Address written into bundles; None = the devices find the hub by zeroconf."""
    port: int = 8883
    """The broker's TLS listener (its only one on the network)."""


@dataclass(frozen=True)
class ProvisioningState:
    site_id: str
    site_file: str
    """The site file, relative to the state directory (absolute in states made before), so
    later commands need only ``--state``; ``provision site-file`` re-points it."""
    broker: BrokerAddress
    accounts: Mapping[str, Credential] = field(default_factory=dict)


def with_port(state: ProvisioningState, port: int) -> ProvisioningState:
    """The broker's TLS port, as bundles carry it (``init --upgrade-tls`` moves it)."""
    return replace(state, broker=replace(state.broker, port=port))


def new_password() -> str:
    return secrets.token_urlsafe(24)


def initial_state(
    site: Site, site_file: str, broker: BrokerAddress, now: datetime, passwords: Mapping[str, str]
) -> ProvisioningState:
    """The state right after ``provision init``: the hub and every device of the site hold a
    credential (``passwords`` has the plain ones, which go to bundles, never in here)."""
    state = ProvisioningState(site.id, site_file, broker)
    for account in (HUB_DEVICE_ID, *(d.id for d in site.devices)):
        state = issue(state, account, passwords[account], now)
    return state


def issue(
    state: ProvisioningState, account: str, password: str, now: datetime
) -> ProvisioningState:
    """A new credential for ``account``: first issue, rotation, or re-enrolment after a
    revocation. The previous hash stops working as soon as the broker reloads."""
    old = state.accounts.get(account)
    if old is None:
        cred = Credential(hash_password(password), issued=now)
    elif not old.active:
        cred = Credential(hash_password(password), issued=now, revoked=old.revoked)
    else:
        cred = Credential(hash_password(password), issued=old.issued, rotated=now)
    return replace(state, accounts={**state.accounts, account: cred})


def revoke(state: ProvisioningState, account: str, now: datetime) -> ProvisioningState:
    old = state.accounts.get(account)
    if old is None or not old.active:
        raise ProvisionError(f"device '{account}' holds no active credential to revoke")
    cred = replace(old, hash=None, revoked=now)
    return replace(state, accounts={**state.accounts, account: cred})


def device_of(site: Site, device_id: str) -> Device:
    device = site.device(device_id)
    if device is None:
        known = ", ".join(d.id for d in site.devices) or "none"
        raise ProvisionError(
            f"device '{device_id}' is not in the site file of '{site.id}' (devices: {known}); "
            "add it under [[site.devices]] first"
        )
    return device


def check_site(state: ProvisioningState, site: Site) -> None:
    if site.id != state.site_id:
        raise ProvisionError(
            f"the site file is of site '{site.id}', but this state belongs to '{state.site_id}'"
        )


def status(state: ProvisioningState, site: Site, account: str) -> AccountStatus:
    cred = state.accounts.get(account)
    if account != HUB_DEVICE_ID and site.device(account) is None:
        return AccountStatus.NOT_IN_SITE
    if cred is None:
        return AccountStatus.NOT_ENROLLED
    return AccountStatus.ACTIVE if cred.active else AccountStatus.REVOKED


def broker_accounts(state: ProvisioningState, site: Site) -> tuple[Site, dict[str, PasswordHash]]:
    """What the broker's passwd and ACL must hold: the hub and the site's devices with an
    active credential. Returned as the site narrowed to those devices (the ACL follows it)."""
    check_site(state, site)
    hub = state.accounts.get(HUB_DEVICE_ID)
    if hub is None or hub.hash is None:
        raise ProvisionError("the state has no hub account; run `okienko provision init` again")
    hashes = {HUB_DEVICE_ID: PasswordHash(hub.hash)}
    devices = []
    for device in site.devices:
        cred = state.accounts.get(device.id)
        if cred is not None and cred.active and cred.hash is not None:
            hashes[device.id] = PasswordHash(cred.hash)
            devices.append(device)
    return site.model_copy(update={"devices": devices}), hashes


# --- (de)serialisation ---------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def to_json(state: ProvisioningState) -> str:
    data = {
        "version": FORMAT_VERSION,
        "site_id": state.site_id,
        "site_file": state.site_file,
        "broker": {
            "listen": state.broker.listen,
            "host": state.broker.host,
            "port": state.broker.port,
        },
        "accounts": {
            name: {
                "hash": c.hash,
                "issued": _when(c.issued),
                "rotated": _when(c.rotated),
                "revoked": _when(c.revoked),
            }
            for name, c in state.accounts.items()
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def from_json(text: str, source: str) -> ProvisioningState:
    try:
        data = json.loads(text)
        if data.get("version") != FORMAT_VERSION:
            raise ProvisionError(f"{source}: unknown state format {data.get('version')!r}")
        broker = data["broker"]
        accounts = {}
        for name, c in data["accounts"].items():
            issued = _parse_when(c["issued"])
            assert issued is not None
            accounts[name] = Credential(
                hash=c["hash"],
                issued=issued,
                rotated=_parse_when(c.get("rotated")),
                revoked=_parse_when(c.get("revoked")),
            )
        return ProvisioningState(
            site_id=str(data["site_id"]),
            site_file=str(data["site_file"]),
            broker=BrokerAddress(
                listen=str(broker["listen"]), host=broker.get("host"), port=int(broker["port"])
            ),
            accounts=accounts,
        )
    except ProvisionError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, AssertionError) as exc:
        raise ProvisionError(f"{source}: not a readable provisioning state ({exc})") from None
