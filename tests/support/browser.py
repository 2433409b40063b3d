"""Debian's Chromium driven by Playwright (never a downloaded browser), and axe-core checks.

Tests that drive pages use the sync API from a plain (non-async) test function.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from PIL import Image, ImageChops
from playwright.sync_api import Browser, Locator, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries Google's services, which this machine's closed network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    results = Axe().run(page, options={**WCAG_AA, "resultTypes": ["violations"]})
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page: Page, shots: Path | None = None, name: str = "page") -> None:
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    found = serious_violations(page)
    assert not found, f"axe on {page.url}: {found}"


def tab_to(page: Page, element_id: str, most: int = 40) -> None:
    """Presses Tab, as a keyboard user does, until #element_id has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reached with Tab")


# Emoji and pictographs (and their variation selector): Debian's Chromium has no font for them
# and draws each as an empty box, so no page may show one.
EMOJI = re.compile("[\U0001f000-\U0001faff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")


def icon_pixels(locator: Locator) -> bytes:
    """The element as it is drawn (RGBA bytes); fails when it is blank, i.e. only its
    background colour, as an icon whose glyph or shape did not render would be."""
    png = locator.screenshot(animations="disabled")
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    plain = Image.new("RGBA", image.size, image.getpixel((0, 0)))
    same = ImageChops.difference(image, plain).convert("L").histogram()[0]
    inked = image.width * image.height - same
    assert inked >= image.width * image.height // 20, f"{locator} is blank ({inked} pixels)"
    return image.tobytes()
