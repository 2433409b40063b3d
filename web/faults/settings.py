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


@dataclass(frozen=True)
class FaultSettings:
    calendar: WorkCalendar
    sla: Sla

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultSettings:
        unknown = set(data) - _CALENDAR_KEYS - {"sla"}
        if unknown:
            raise CalendarError(f"unknown key {sorted(unknown)[0]!r}")
        if "hours" not in data:
            raise CalendarError("hours: the working hours of each working weekday are needed")
        sla = data.get("sla", {})
        if not isinstance(sla, Mapping):
            raise CalendarError("sla: expected a table")
        for key in sla:
            if key not in _SLA_KEYS:
                raise CalendarError(f"sla: unknown key {key!r}")
            value = sla[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise CalendarError(f"sla.{key}: expected a whole number of days, got {value!r}")
        calendar = WorkCalendar.from_mapping({k: v for k, v in data.items() if k != "sla"})
        return cls(calendar, Sla.from_mapping(sla))

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
