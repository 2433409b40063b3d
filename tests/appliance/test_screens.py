"""Each appliance screen in a real Kivy window under Xvfb, fed by a real hub: the screenshot
must show what the screen is for, at the sizes the devices have."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.conftest import SiteRig
from tests.support.hubproc import HubProcess
from tests.support.ocr import read_words
from tests.support.screen import display_base, info_file
from tests.support.sitefile import CLERK_PIN

pytestmark = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run")

HIGHLIGHT = (255, 214, 0)  # the display's colour for a fresh call / the flash
SIZES = [(800, 480), (1024, 600), (1920, 1080)]


def screenshot(
    info: Path,
    role: str,
    device: str,
    out: Path,
    size: tuple[int, int],
    extra: list[str] | None = None,
) -> Image.Image:
    run = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-n",
            str(display_base()),
            "-s",
            f"-screen 0 {size[0]}x{size[1]}x24",
            sys.executable,
            "-m",
            "okienko.cli",
            "appliance",
            role,
            "--device",
            device,
            "--info-file",
            str(info),
            "--screenshot",
            str(out),
            "--size",
            f"{size[0]}x{size[1]}",
            *(extra or []),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KIVY_HOME": str(out.parent / ".kivy")},
    )
    assert run.returncode == 0 and out.exists(), run.stdout[-2000:] + run.stderr[-2000:]
    return Image.open(out).convert("RGB")


def share(img: Image.Image, color: tuple[int, int, int], tol: int = 40) -> float:
    """Fraction of pixels near ``color``."""
    small = img.resize((img.width // 4, img.height // 4))
    data = small.get_flattened_data()
    near = sum(1 for p in data if all(abs(a - b) <= tol for a, b in zip(p, color, strict=True)))
    return near / len(data)


@pytest.fixture(scope="module")
def busy_site(rig: SiteRig, hub: HubProcess) -> SiteRig:
    clients = {d: HubClient(rig.creds(d)).start() for d in ("dispenser-1", "terminal-1")}
    d, t = clients["dispenser-1"], clients["terminal-1"]
    for s in ["dowody"] * 3 + ["meldunki"] * 2:
        d.request(
            Operation.ISSUE_TICKET, msg.IssueTicketRequest(request_id=new_request_id(), service=s)
        )
    t.request(
        Operation.SIGN_IN,
        msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN),
    )
    t.request(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
    for c in clients.values():
        c.stop()
    return rig


@pytest.mark.parametrize("size", SIZES)
def test_group_display_shows_calls_and_waiting_at_every_size(
    busy_site: SiteRig, tmp_path: Path, size: tuple[int, int]
):
    img = screenshot(
        info_file(busy_site, tmp_path / "i.json"),
        "display",
        "display-1",
        tmp_path / "display.png",
        size,
    )
    assert img.size == size
    # Dark background with white numbers and the yellow service letters: a real board.
    assert share(img, (15, 23, 41)) > 0.3
    assert share(img, (255, 255, 255), 60) > 0.005
    assert share(img, HIGHLIGHT, 60) > 0.0005
    # The whole board fits the screen, top bar included; the waiting-numbers panel is a site
    # option, off here, and takes no room.
    words = read_words(img, (0, 0, 1, 1), tmp_path / "ocr.png")
    assert {"Urząd", "testowy", "Stanowisko"} <= set(words), words
    assert "oczekujące" not in words


def test_counter_display_shows_the_called_number_large(busy_site: SiteRig, tmp_path: Path):
    img = screenshot(
        info_file(busy_site, tmp_path / "i.json"),
        "counter-display",
        "cdisplay-1",
        tmp_path / "cd.png",
        (800, 480),
    )
    # The number fills a good part of the screen in white.
    assert share(img, (255, 255, 255), 60) > 0.08


def test_counter_terminal_shows_buttons(busy_site: SiteRig, tmp_path: Path):
    img = screenshot(
        info_file(busy_site, tmp_path / "i.json"),
        "counter",
        "terminal-1",
        tmp_path / "t.png",
        (1024, 600),
    )
    assert share(img, (41, 107, 217), 30) > 0.2  # the blue buttons of a signed-in terminal


def test_screens_say_no_connection_instead_of_stale_numbers(rig: SiteRig, tmp_path: Path):
    """The broker answers but no hub of this site is online: no numbers, a plain message."""
    data = json.loads(info_file(rig, tmp_path / "i.json").read_text())
    data["mqtt"]["site"] = "elsewhere"  # the same broker, a site whose hub never came up
    off = tmp_path / "off.json"
    off.write_text(json.dumps(data))
    img = screenshot(
        off,
        "display",
        "display-1",
        tmp_path / "off.png",
        (1024, 600),
        extra=["--screenshot-after", "5"],  # time to start and find no hub on a busy machine
    )
    assert share(img, HIGHLIGHT, 60) > 0.002  # the yellow "Brak połączenia z serwerem…"
    assert share(img, (255, 255, 255), 30) < 0.002  # and no white numbers


@pytest.mark.parametrize("size", [(800, 480), (1920, 1080)])
def test_dispenser_shows_service_tiles(busy_site: SiteRig, tmp_path: Path, size: tuple[int, int]):
    img = screenshot(
        info_file(busy_site, tmp_path / "i.json"),
        "dispenser",
        "dispenser-1",
        tmp_path / "d.png",
        size,
    )
    # Blue touch tiles for the open services, a grey one for the closed service.
    assert share(img, (41, 107, 217), 30) > 0.3
    assert share(img, (51, 59, 77), 20) > 0.02


def test_a_display_with_voice_tells_the_fleet_its_speech_works(busy_site: SiteRig, tmp_path: Path):
    import time

    from tests.support.observe import watching

    topic = f"okienko/v1/{busy_site.site_id}/status/display-1"
    screenshot(
        info_file(busy_site, tmp_path / "i.json"),
        "display",
        "display-1",
        tmp_path / "display.png",
        (800, 480),
    )
    # retained: what the hub's fleet view holds for the display once it has started
    with watching(busy_site.port, busy_site.passwords["hub"], topic, busy_site.ca_file) as seen:
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
    assert seen and seen[-1]["role"] == "display" and seen[-1]["speech"] == "ok", seen
