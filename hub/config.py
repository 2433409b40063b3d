"""The site file (TOML): one validated schema for a whole site, and the hub's runtime settings.

The schema is the documentation: every field says what it means. ``load_site`` turns any
mistake into a ``ConfigError`` that names the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ANNOUNCEMENT_FIELDS = ("letters", "number", "counter", "ticket")
# The hall voice is Polish; a site may add one of these after it (issue 14).
HALL_EXTRA_LANGUAGES = ("en", "uk")
HallLanguage = Literal["pl", "en", "uk"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID = r"^[a-z0-9][a-z0-9_-]{0,31}$"
Ident = Annotated[str, Field(pattern=_ID, description="lower-case id: letters, digits, - and _")]


class ConfigError(Exception):
    """A site or settings file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hours(_Strict):
    """Opening hours of one weekday, e.g. "08:00-16:00"; absent means closed that day."""

    opens: time
    closes: time

    @classmethod
    def parse(cls, text: str) -> Hours:
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not m:
            raise ValueError(f"'{text}' is not opening hours like 08:00-16:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        try:
            opens = time(h1, m1)
            # "24:00" is the end of the day; time() has no such value.
            closes = time.max if (h2, m2) == (24, 0) else time(h2, m2)
        except ValueError as exc:
            raise ValueError(f"'{text}': {exc}") from None
        if closes <= opens:
            raise ValueError(f"'{text}' closes before it opens")
        return cls(opens=opens, closes=closes)


class Department(_Strict):
    id: Ident
    name: str = Field(min_length=1)


class Service(_Strict):
    """A kind of matter visitors come for (sprawa)."""

    id: Ident
    name: str = Field(min_length=1, description="Polish name shown on the dispenser")
    name_en: str | None = Field(None, description="English name; the Polish one when absent")
    name_uk: str | None = Field(None, description="Ukrainian name; the Polish one when absent")
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$", description="ticket letter(s), e.g. A")
    department: Ident | None = None
    hours: dict[str, Hours] = Field(
        default_factory=dict, description='weekday ("mon".."sun") -> "08:00-16:00"'
    )
    daily_limit: int | None = Field(None, ge=1, description="tickets per day; none = no limit")
    cutoff_minutes: int = Field(
        15, ge=0, le=600, description="stop issuing this many minutes before closing"
    )
    service_minutes: float = Field(
        8.0, gt=0, le=240, description="typical service time until real ones are measured"
    )

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for day, spec in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday '{day}' (use {', '.join(WEEKDAYS)})")
            out[day] = Hours.parse(spec) if isinstance(spec, str) else spec
        return out


class Counter(_Strict):
    """A service desk (stanowisko) and the services it serves, in order of preference."""

    id: Ident
    name: str = Field(min_length=1, description='shown and spoken, e.g. "Stanowisko 3"')
    number: str = Field(min_length=1, max_length=8, description='short label, e.g. "3"')
    services: list[Ident] = Field(min_length=1)
    weights: list[float] | None = Field(
        None, description="call-next weight per service (default 1, 0.75, 0.56, …)"
    )

    @model_validator(mode="after")
    def _weights_match(self) -> Counter:
        if self.weights is not None:
            if len(self.weights) != len(self.services):
                raise ValueError("weights must have one number per service")
            if any(w <= 0 for w in self.weights):
                raise ValueError("weights must be positive")
        if len(set(self.services)) != len(self.services):
            raise ValueError("a service is listed twice")
        return self

    def weight(self, index: int) -> float:
        return self.weights[index] if self.weights is not None else 0.75**index


class DeviceRole(StrEnum):
    DISPENSER = "dispenser"
    COUNTER = "counter"
    DISPLAY = "display"
    COUNTER_DISPLAY = "counter-display"


class Device(_Strict):
    """An appliance with its own broker account."""

    id: Ident
    role: DeviceRole
    counter: Ident | None = Field(None, description="required for counter and counter-display")
    name: str | None = None

    @model_validator(mode="after")
    def _counter_needed(self) -> Device:
        needs = self.role in (DeviceRole.COUNTER, DeviceRole.COUNTER_DISPLAY)
        if needs and self.counter is None:
            raise ValueError(f"a {self.role} device needs 'counter'")
        if not needs and self.counter is not None:
            raise ValueError(f"a {self.role} device has no 'counter'")
        return self


class Clerk(_Strict):
    id: Ident
    name: str = Field(min_length=1)
    pin_hash: str = Field(min_length=10, description="argon2 hash of the clerk's PIN")


class Site(_Strict):
    """One office building with its own hub and broker."""

    id: Ident
    name: str = Field(min_length=1)
    address: str = ""
    timezone: str = "Europe/Warsaw"
    building_limit: int | None = Field(
        None, ge=1, description="most visitors inside at once (issued, not finished)"
    )
    priority_streak: int = Field(
        2, ge=1, description="most priority calls in a row at a counter while others wait"
    )
    voice: bool = Field(True, description="spoken calls on the group displays")
    display_waiting_numbers: bool = Field(
        False, description="group displays also list the numbers of waiting tickets (seed 004)"
    )
    announcement_pl: str = Field(
        "Numer {letters} {number}, zapraszamy do stanowiska {counter}.",
        description="spoken/shown call; placeholders {letters} {number} {counter} {ticket}",
    )
    announcement_en: str = Field(
        "Number {letters} {number}, please go to counter {counter}.",
        description="the same in English",
    )
    announcement_uk: str = Field(
        "Талон {letters} {number}, запрошуємо до вікна {counter}.",
        description="the same in Ukrainian; {letters} is said by its Ukrainian letter names",
    )
    hall_languages: list[HallLanguage] = Field(
        default_factory=lambda: list[HallLanguage](["pl"]),
        description='languages the hall voice says each call in, in order: "pl" first, then at '
        'most one of "en", "uk" (e.g. ["pl", "uk"])',
    )
    checkin_early_minutes: int = Field(
        60, ge=0, le=600, description="a booked visitor may check in this long before the hour"
    )
    checkin_late_minutes: int = Field(
        15, ge=0, le=240, description="and this long after it; later means a new walk-in ticket"
    )
    eticket_url: str | None = Field(
        None, description="base URL of e-ticket pages; the ticket token is appended"
    )
    departments: list[Department] = Field(default_factory=list)
    services: list[Service] = Field(min_length=1)
    counters: list[Counter] = Field(min_length=1)
    devices: list[Device] = Field(default_factory=list)
    clerks: list[Clerk] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @field_validator("hall_languages", mode="before")
    @classmethod
    def _hall_languages(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value  # pydantic says what a list is
        allowed = ", ".join(f'"{x}"' for x in HALL_EXTRA_LANGUAGES)
        if not value or value[0] != "pl":
            raise ValueError(f'the hall voice speaks Polish first: start with "pl" (got {value})')
        if len(value) > 2:
            raise ValueError(f'at most one language after "pl" (one of {allowed}); got {value}')
        if len(value) == 2 and value[1] not in HALL_EXTRA_LANGUAGES:
            raise ValueError(f'unknown hall language {value[1]!r} (after "pl": one of {allowed})')
        return value

    @field_validator("announcement_pl", "announcement_en", "announcement_uk")
    @classmethod
    def _template(cls, value: str) -> str:
        import string

        for _, name, _, _ in string.Formatter().parse(value):
            if name is not None and name not in ANNOUNCEMENT_FIELDS:
                raise ValueError(
                    f"unknown placeholder {{{name}}} (use {', '.join(ANNOUNCEMENT_FIELDS)})"
                )
        return value

    @model_validator(mode="after")
    def _references(self) -> Site:
        _unique("departments", [d.id for d in self.departments])
        _unique("services", [s.id for s in self.services])
        _unique("service prefixes", [s.prefix for s in self.services])
        if "R" in {s.prefix for s in self.services}:
            # R007 is a booked visit's number, carried by its ticket from check-in.
            raise ValueError("the ticket prefix R is kept for booked visits; choose another")
        _unique("counters", [c.id for c in self.counters])
        _unique("devices", [d.id for d in self.devices])
        _unique("clerks", [c.id for c in self.clerks])
        departments = {d.id for d in self.departments}
        services = {s.id for s in self.services}
        counters = {c.id for c in self.counters}
        for s in self.services:
            if s.department is not None and s.department not in departments:
                raise ValueError(f"service '{s.id}': unknown department '{s.department}'")
        for c in self.counters:
            for sid in c.services:
                if sid not in services:
                    raise ValueError(f"counter '{c.id}': unknown service '{sid}'")
        for d in self.devices:
            if d.counter is not None and d.counter not in counters:
                raise ValueError(f"device '{d.id}': unknown counter '{d.counter}'")
            if d.id == "hub":
                raise ValueError("device id 'hub' is reserved for the hub")
        return self

    def service(self, service_id: str) -> Service:
        for s in self.services:
            if s.id == service_id:
                return s
        raise KeyError(service_id)

    def counter(self, counter_id: str) -> Counter:
        for c in self.counters:
            if c.id == counter_id:
                return c
        raise KeyError(counter_id)

    def device(self, device_id: str) -> Device | None:
        return next((d for d in self.devices if d.id == device_id), None)


class MqttSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(8883, ge=1, le=65535, description="the broker's TLS port")
    username: str = "hub"
    password: str | None = None
    password_file: Path | None = Field(None, description="file holding the hub's broker password")
    tls_ca: Path | None = Field(
        None,
        description="the site CA certificate (STATE/pki/ca.crt); the hub connects with TLS "
        "only and refuses to start without it",
    )

    def secret(self) -> str | None:
        if self.password_file is not None:
            return self.password_file.read_text(encoding="utf-8").strip()
        return self.password


class CloudSettings(_Strict):
    """Where the hub syncs with the cloud; without it the hub works alone."""

    url: str = Field(description="the cloud's base address, e.g. https://kolejka.um.example")
    token: str | None = Field(None, description="the site token (okienko site-token)")
    token_file: Path | None = Field(None, description="file holding the site token")
    interval_s: float = Field(5.0, gt=0, le=3600, description="pull reservations this often")
    timeout_s: float = Field(10.0, gt=0, le=120)

    def secret(self) -> str | None:
        if self.token_file is not None:
            return self.token_file.read_text(encoding="utf-8").strip()
        return self.token


class BrokerSettings(_Strict):
    """The site's Mosquitto as provisioning writes it (``okienko provision init``)."""

    names: list[str] = Field(
        default_factory=list,
        description="host names and addresses devices reach the broker by; its certificate "
        "is made for these (and localhost, 127.0.0.1, okienko-SITE.local)",
    )
    plaintext_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="a plaintext listener on 127.0.0.1 alone, for tools on the hub's machine; "
        "none by default",
    )


class MetricsSettings(_Strict):
    """Where the hub serves Prometheus metrics ([hub.metrics]); keep it off the devices' LAN."""

    listen: str = Field(
        "127.0.0.1:9464", description="host:port of GET /metrics (loopback unless you mean it)"
    )

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        parse_listen(value)
        return value


def parse_listen(text: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:9464`` for IPv6), as the site file and ``okienko web`` take it."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{text}' is not host:port, e.g. 127.0.0.1:9464")
    return host.strip("[]"), int(port)


class HubSettings(_Strict):
    """How this hub runs: where it stores, which broker it uses, whether it advertises."""

    database: Path = Field(Path("var/hub.sqlite3"), description="SQLite file of the queue")
    durability: Literal["full", "normal"] = Field(
        "full",
        description="full: fsync each commit (survives power loss); normal: survives a crash",
    )
    mqtt: MqttSettings = Field(default_factory=lambda: MqttSettings())
    broker: BrokerSettings = Field(default_factory=lambda: BrokerSettings())
    advertise: bool = Field(True, description="announce the hub by zeroconf (mDNS)")
    advertise_host: str | None = Field(None, description="address to announce; default: own")
    cloud: CloudSettings | None = Field(None, description="sync with the cloud ([hub.cloud])")
    metrics: MetricsSettings | None = Field(
        None, description="serve Prometheus metrics ([hub.metrics]); absent: none"
    )


class SiteFile(_Strict):
    site: Site
    hub: HubSettings = Field(default_factory=lambda: HubSettings())


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{what}: '{i}' appears twice")
        seen.add(i)


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"  # people count entries from one
        elif not part.startswith(("function-", "constrained-")):
            out += ("." if out else "") + str(part)
    return out


def format_validation_error(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid site configuration"]
    for err in exc.errors():
        key = _location(err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)


def parse_site_file(text: str, source: str = "<site file>") -> SiteFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return SiteFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None


def load_site(path: Path) -> SiteFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the site file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the site file is not UTF-8 text") from None
    site_file = parse_site_file(text, str(path))
    base = path.parent
    hub = site_file.hub
    # Relative paths in a site file are relative to that file, not to where the hub starts.
    updates: dict[str, Any] = {}
    if not hub.database.is_absolute():
        updates["database"] = base / hub.database
    mqtt_updates: dict[str, Any] = {}
    if hub.mqtt.password_file is not None and not hub.mqtt.password_file.is_absolute():
        mqtt_updates["password_file"] = base / hub.mqtt.password_file
    if hub.mqtt.tls_ca is not None and not hub.mqtt.tls_ca.is_absolute():
        mqtt_updates["tls_ca"] = base / hub.mqtt.tls_ca
    if mqtt_updates:
        updates["mqtt"] = hub.mqtt.model_copy(update=mqtt_updates)
    cloud = hub.cloud
    if cloud is not None and cloud.token_file is not None and not cloud.token_file.is_absolute():
        updates["cloud"] = cloud.model_copy(update={"token_file": base / cloud.token_file})
    if updates:
        site_file = site_file.model_copy(update={"hub": hub.model_copy(update=updates)})
    return site_file
