"""The fault reports' configuration: the working calendar and the SLA limits in working days,
from one TOML file validated at start (an error names the file and the key); without a file,
the seed's Łódź calendar and limits. The app keeps it in ``app.state.fault_settings``.

    timezone = "Europe/Warsaw"
    holidays = "PL"
    closed = []
    [hours]
    mon = "08:00-16:00"
    tue = "08:00-17:00"
    wed = "08:00-16:00"
    thu = "08:00-16:00"
    fri = "08:00-16:00"
    [sla]
    take_up_days = 1
    realise_days = 10
    return_days = 2
    [sla.hours]             # categories realised within working hours (the devices' own)
    brak-papieru = 4
    urzadzenie-offline = 8
    [map]                   # optional: a map on the public form to point at the place
    tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    attribution = "© OpenStreetMap"
    center = [51.7592, 19.4560]
    zoom = 13

Without ``[sla.hours]`` a dispenser out of paper has 4 working hours and a device offline 8;
``[sla.hours]`` replaces that list (an empty table: every category in working days).
Without ``[map]`` the form takes an address, typed coordinates or the device's location, and
loads nothing from a tile server. A file with only ``[map]`` keeps the seed's calendar.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web.faults.workdays import CalendarError, Sla, WorkCalendar, lodz_calendar

_CALENDAR_KEYS = {"timezone", "holidays", "closed", "hours"}
_SLA_KEYS = {"take_up_days", "realise_days", "return_days"}
_MAP_KEYS = {"tiles", "attribution", "center", "zoom"}


@dataclass(frozen=True)
class MapSettings:
    """Where the public form's map takes its tiles (an XYZ URL template) and where it opens."""

    tiles: str
    attribution: str
    center: tuple[float, float]
    zoom: int = 13

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MapSettings:
        for key in data:
            if key not in _MAP_KEYS:
                raise CalendarError(f"map: unknown key {key!r}")
        tiles = data.get("tiles")
        if not isinstance(tiles, str) or not tiles.startswith(("https://", "http://")):
            raise CalendarError("map.tiles: expected an http(s) URL template")
        if not all(part in tiles for part in ("{z}", "{x}", "{y}")):
            raise CalendarError("map.tiles: the URL needs {z}, {x} and {y}")
        attribution = data.get("attribution")
        if not isinstance(attribution, str) or not attribution.strip():
            raise CalendarError("map.attribution: the tiles' licence needs its credit line")
        center = data.get("center")
        if (
            not isinstance(center, list)
            or len(center) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in center)
            or not (-90 <= center[0] <= 90 and -180 <= center[1] <= 180)
        ):
            raise CalendarError(f"map.center: expected [latitude, longitude], got {center!r}")
        zoom = data.get("zoom", 13)
        if not isinstance(zoom, int) or isinstance(zoom, bool) or not 1 <= zoom <= 19:
            raise CalendarError(f"map.zoom: expected a whole number 1-19, got {zoom!r}")
        return cls(tiles, attribution.strip(), (float(center[0]), float(center[1])), zoom)


def _check_hours(hours: object) -> None:
    if not isinstance(hours, Mapping):
        raise CalendarError("sla.hours: expected a table of subcategory code = hours")
    for code, value in hours.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CalendarError(
                f"sla.hours.{code}: expected a whole number of working hours, got {value!r}"
            )


@dataclass(frozen=True)
class FaultSettings:
    calendar: WorkCalendar
    sla: Sla
    map: MapSettings | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultSettings:
        unknown = set(data) - _CALENDAR_KEYS - {"sla", "map"}
        if unknown:
            raise CalendarError(f"unknown key {sorted(unknown)[0]!r}")
        place = data.get("map")
        if place is not None and not isinstance(place, Mapping):
            raise CalendarError("map: expected a table")
        map_settings = MapSettings.from_mapping(place) if place is not None else None
        own_calendar = set(data) & _CALENDAR_KEYS
        if not own_calendar and "sla" not in data:
            return cls(DEFAULT.calendar, DEFAULT.sla, map_settings)
        if "hours" not in data:
            raise CalendarError("hours: the working hours of each working weekday are needed")
        sla = data.get("sla", {})
        if not isinstance(sla, Mapping):
            raise CalendarError("sla: expected a table")
        for key in sla:
            if key == "hours":
                _check_hours(sla[key])
                continue
            if key not in _SLA_KEYS:
                raise CalendarError(f"sla: unknown key {key!r}")
            value = sla[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise CalendarError(f"sla.{key}: expected a whole number of days, got {value!r}")
        calendar = WorkCalendar.from_mapping(
            {k: v for k, v in data.items() if k not in ("sla", "map")}
        )
        return cls(calendar, Sla.from_mapping(sla), map_settings)

    @classmethod
    def from_file(cls, path: Path) -> FaultSettings:
        try:
            with path.open("rb") as f:
                return cls.from_mapping(tomllib.load(f))
        except OSError as exc:
            raise CalendarError(f"{path}: {exc.strerror}") from exc
        except (tomllib.TOMLDecodeError, CalendarError) as exc:
            raise CalendarError(f"{path}: {exc}") from exc


DEFAULT = FaultSettings(lodz_calendar(), Sla())


def of(app: Any) -> FaultSettings:
    """The app's settings (the default ones for an app that was given none)."""
    found = getattr(app.state, "fault_settings", None)
    return found if isinstance(found, FaultSettings) else DEFAULT
