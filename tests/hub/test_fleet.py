"""The hub's view of its devices, from the retained presence and status messages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hub.config import parse_site_file
from hub.contract import messages as msg
from hub.fleet import Fleet
from tests.support.sitefile import site_toml

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def fleet(tmp_path: Path) -> Fleet:
    draft = site_toml(database=tmp_path / "hub.sqlite3", mqtt_port=1883, hub_password="x")
    return Fleet(parse_site_file(draft).site, lambda: NOW)


def display_status(speech: msg.SpeechState, detail: str | None = None) -> bytes:
    status = msg.DeviceStatus(
        device="display-1",
        role="display",
        software="okienko 0.1.0",
        speech=speech,
        detail=detail,
        at=NOW,
    )
    return status.dump()


def test_a_display_reporting_failing_speech_shows_the_fault_until_it_speaks_again(
    tmp_path: Path,
) -> None:
    f = fleet(tmp_path)
    assert f.devices["display-1"].speech is msg.SpeechState.NONE
    f.status("display-1", display_status(msg.SpeechState.FAILING, "SynthesisFailed: no speech"))
    health = f.devices["display-1"]
    assert health.speech is msg.SpeechState.FAILING and health.detail == (
        "SynthesisFailed: no speech"
    )
    assert health.printer is msg.PrinterState.NONE and health.last_seen == NOW
    f.status("display-1", display_status(msg.SpeechState.OK))
    assert f.devices["display-1"].speech is msg.SpeechState.OK
