"""The public form's map (``[map]`` in the fault settings file): a resident points at the place
with the mouse or with the keyboard alone, the coordinates fields follow, typed coordinates
move the pin, and the report keeps the place picked. Tiles come from a local tile server
(this machine has no other), which must be asked for them. Screenshots go to
/tmp/okienko-shots/faults/."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.faults.conftest import make_people
from tests.faults.rig import Rig
from tests.support.browser import assert_accessible, chromium
from tests.support.webproc import Smtp, WebProcess
from web.db.models import FaultReport

SHOTS = Path("/tmp/okienko-shots/faults")
CENTRE = (51.7592, 19.4560)


def _tile() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), (232, 240, 228))
    ImageDraw.Draw(image).rectangle((0, 0, 255, 255), outline=(160, 170, 160))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def tiles() -> Iterator[tuple[str, list[str]]]:
    asked: list[str] = []
    body = _tile()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory, tiles: tuple[str, list[str]]) -> Iterator[Rig]:
    workdir = tmp_path_factory.mktemp("faults-map")
    settings = workdir / "faults.toml"
    settings.write_text(
        "[map]\n"
        f'tiles = "{tiles[0]}/{{z}}/{{x}}/{{y}}.png"\n'
        'attribution = "© Miejski Ośrodek Geodezji"\n'
        f"center = [{CENTRE[0]}, {CENTRE[1]}]\n"
        "zoom = 15\n",
        encoding="utf-8",
    )
    smtp = Smtp.start()
    web = WebProcess.start(workdir, smtp_port=smtp.port, extra=["--faults-calendar", str(settings)])
    try:
        rig = Rig(web, smtp, None, workdir)  # type: ignore[arg-type]
        rig.people = rig.db(lambda engine: make_people(engine))
        yield rig
    finally:
        web.stop()
        smtp.stop()


def _coords(page: Page) -> tuple[float, float]:
    return float(page.input_value("#lat")), float(page.input_value("#lon"))


def test_the_place_is_picked_on_the_map_by_mouse_and_by_keyboard(
    mapped: Rig, tiles: tuple[str, list[str]]
) -> None:
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{mapped.web.url}/usterka")
        page.select_option("#sub", label="Dziura w jezdni")
        page.click("form[method=get] button")
        expect(page.locator("#map")).to_be_visible()
        expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
        assert any(re.fullmatch(r"/15/\d+/\d+\.png", p) for p in tiles[1]), tiles[1]
        expect(page.locator(".leaflet-control-attribution")).to_contain_text("Geodezji")
        assert page.input_value("#lat") == "" and page.input_value("#lon") == ""

        # A tap north-east of the centre: the fields get a place north-east of it.
        page.locator("#map").scroll_into_view_if_needed()
        box = page.locator("#map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
        lat, lon = _coords(page)
        assert CENTRE[0] < lat < CENTRE[0] + 0.02 and CENTRE[1] < lon < CENTRE[1] + 0.02
        expect(page.locator("#map-status")).to_contain_text(f"{lat:.6f}, {lon:.6f}")
        expect(page.locator(".leaflet-marker-icon")).to_have_count(1)

        # Keyboard only: the map takes the focus, the arrows move it west, Enter pins its centre.
        page.locator("#map").focus()
        for _ in range(3):
            page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(400)  # Leaflet's pan animation
        page.keyboard.press("Enter")
        lat2, lon2 = _coords(page)
        assert lon2 < CENTRE[1] and abs(lat2 - CENTRE[0]) < 0.001, (lat2, lon2)

        # Typed coordinates move the pin (and the view) to them.
        before = page.locator(".leaflet-marker-icon").bounding_box()
        page.fill("#lat", "51.7650")
        page.fill("#lon", "19.4700")
        page.locator("#lon").dispatch_event("change")
        page.wait_for_timeout(400)
        after = page.locator(".leaflet-marker-icon").bounding_box()
        assert before is not None and after is not None and before != after
        expect(page.locator("#map-status")).to_have_text("Zaznaczone miejsce: 51.7650, 19.4700")

        page.fill("#description", "Zapadnięta studzienka na środku pasa")
        page.fill("#attr_depth_cm", "8")
        assert_accessible(page, SHOTS, "8-form-map")
        page.click("button.primary")
        expect(page.locator(".success")).to_contain_text("Zgłoszenie zarejestrowano")

    async def stored(engine):  # type: ignore[no-untyped-def]
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(FaultReport.lat, FaultReport.lon).order_by(FaultReport.id.desc())
                )
            ).first()
        return row

    assert tuple(mapped.db(stored)) == (51.765, 19.47)


def test_without_a_map_setting_the_form_loads_no_map(mapped: Rig) -> None:
    """An installation without [map]: nothing from a tile server, no map script."""
    workdir = mapped.dir / "plain"
    workdir.mkdir()
    web = WebProcess.start(workdir, smtp_port=mapped.smtp.port)
    try:
        form = httpx.get(f"{web.url}/usterka").text
        sub = re.search(r'<option value="(\d+)">Dziura w jezdni', form)
        assert sub is not None
        html = httpx.get(f"{web.url}/usterka", params={"sub": sub.group(1)}).text
        assert 'id="lat"' in html and 'id="map"' not in html and "leaflet" not in html
    finally:
        web.stop()


def test_the_map_loads_tiles_only_from_the_configured_server(
    mapped: Rig, tiles: tuple[str, list[str]]
) -> None:
    """The office chose its tile server: the form's CSP allows exactly that host besides its
    own, and the browser contacts nobody else. The form says reports are published."""
    own, tile_host = urlsplit(mapped.web.url).netloc, urlsplit(tiles[0]).netloc
    with chromium() as browser:
        page = browser.new_page()
        hosts: set[str] = set()
        page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
        page.goto(f"{mapped.web.url}/usterka")
        page.select_option("#sub", label="Dziura w jezdni")
        with page.expect_navigation() as navigation:
            page.click("form[method=get] button")
        response = navigation.value
        expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
        expect(page.locator("#published")).to_contain_text("Zgłoszenia są publikowane")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert f"img-src 'self' {tiles[0]};" in csp, csp
    assert hosts == {own, tile_host}, hosts
