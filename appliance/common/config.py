"""An appliance's configuration: one validated schema, from a TOML file or the demo's info file.

Errors name the file and the key, like the hub's site file.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.config import ConfigError, DeviceRole, Ident, format_validation_error


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HubAddress(_Strict):
    host: str | None = Field(None, description="broker address; none = find the hub by zeroconf")
    port: int = Field(8883, ge=1, le=65535, description="the broker's TLS port")
    site: str | None = Field(None, description="site id; required when host is set")
    ca_cert: str | None = Field(None, description="the site CA certificate (PEM), from the bundle")
    ca_file: Path | None = Field(None, description="or a file holding it")

    def ca_pem(self) -> str:
        """The site CA: the only one the device trusts (TLS only, no plaintext fallback)."""
        if self.ca_cert is not None:
            return self.ca_cert
        if self.ca_file is not None:
            try:
                return self.ca_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"hub.ca_file: {self.ca_file}: {exc.strerror}") from None
        raise ConfigError(
            "hub.ca_cert: not set; the device connects with TLS only and needs the site CA "
            "(enrolment bundles carry it: `okienko provision enrol`)"
        )


class VoiceConfig(_Strict):
    enabled: bool = Field(True, description="speak calls (also needs the site's voice switch)")
    rate: int = Field(150, ge=80, le=300, description="words per minute")
    volume: int = Field(
        100,
        ge=10,
        le=150,
        description="loudness in per cent of the voice's own (espeak-ng amplitude); on the "
        "dispenser the keypad's + and - change it by 10 for one visitor",
    )


class ApplianceConfig(_Strict):
    role: DeviceRole
    device: Ident
    password: str | None = None
    password_file: Path | None = None
    counter: Ident | None = Field(None, description="the counter of a terminal or its display")
    hub: HubAddress = Field(default_factory=lambda: HubAddress())
    language: Literal["pl", "en", "uk"] = "pl"
    fullscreen: bool | None = Field(None, description="default: fullscreen on a Raspberry Pi")
    idle_seconds: float = Field(20, gt=0, le=600, description="dispenser: back to start after")
    printer: dict[str, Any] | None = Field(
        None, description="dispenser: printer connection (see appliance.printing)"
    )
    voice: VoiceConfig = Field(default_factory=lambda: VoiceConfig())
    double_strike_s: float = Field(
        0,
        ge=0,
        le=2,
        description="dispenser: the same keypad key again within this time is ignored",
    )
    low_reach: bool = Field(
        False, description="dispenser: every control in the lower part of the screen"
    )

    def secret(self) -> str:
        if self.password_file is not None:
            return self.password_file.read_text(encoding="utf-8").strip()
        if self.password is None:
            raise ConfigError(f"device {self.device}: no password or password_file")
        return self.password


def _validate(data: dict[str, Any], source: str) -> ApplianceConfig:
    try:
        return ApplianceConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            format_validation_error(source, exc).replace("site configuration", "configuration")
        ) from None


def load_config(path: Path) -> ApplianceConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _validate(data, str(path))


def from_info_file(path: Path, device: str, **overrides: Any) -> ApplianceConfig:
    """A device's configuration from ``okienko demo --info-file`` output."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        mqtt = info["mqtt"]
        entry = info["devices"][device]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the info file: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{path}: no device '{device}' in this info file") from None
    data: dict[str, Any] = {
        "role": entry["role"],
        "device": device,
        "password": entry["password"],
        "counter": entry.get("counter"),
        "hub": {
            "host": mqtt["host"],
            "port": mqtt["port"],
            "site": mqtt["site"],
            "ca_file": mqtt.get("ca_file"),
        },
        **overrides,
    }
    return _validate(data, f"{path} (device {device})")
