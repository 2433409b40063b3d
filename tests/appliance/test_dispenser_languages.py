"""The dispenser in Polish, English and Ukrainian, in a real Kivy window under Xvfb fed by a real
hub: the language chosen by a tap or by the keypad, the screens read back with Tesseract in each
language at the smallest and the largest size (the glyphs render, nothing is cut off), the voice
in each language's own espeak-ng voice (``spoken: TEXT``), the ticket printed in Ukrainian, and
Polish again for the next visitor.

One window per size for the whole module: each start costs seconds of a shared CPU."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.appliance.test_dispenser_voice import Listener, keep
from tests.conftest import SiteRig, make_rig
from tests.support.ocr import read_text, read_words
from tests.support.screen import NEEDS_X, ApplianceWindow, info_file, ocr

pytestmark = NEEDS_X

NAMES = 'name = "Dowody osobiste"\nname_en = "Identity cards"\nname_uk = "Посвідчення особи"'
# What each language's first screen must show, word for word, read back by Tesseract.
FIRST_SCREEN = {
    "pl": ("pol", ["Wybierz sprawę", "Dowody osobiste", "Potwierdzenie wizyty", "Duży tekst"]),
    "en": ("eng", ["Choose your matter", "Identity cards", "Confirm a booked visit", "Large text"]),
    "uk": (
        "ukr",
        ["Виберіть справу", "Посвідчення особи", "Підтвердження візиту", "Великий текст"],
    ),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRig]:
    # One service named in all three languages, the others in Polish only (the fallback).
    rig = make_rig(
        tmp_path_factory.mktemp("languages"),
        edit=lambda text: text.replace('name = "Dowody osobiste"', NAMES),
    )
    hub = rig.hub().start()
    yield rig
    hub.stop()
    rig.broker.stop()


def _window(
    site: SiteRig, tmp: Path, size: tuple[int, int], device: str, language: str
) -> Iterator[ApplianceWindow]:
    info = info_file(site, tmp / "i.json")
    # --idle-seconds: the module's steps are slow; time-outs are tested apart
    extra = ["--idle-seconds", "120", "--language", language]
    with ApplianceWindow("dispenser", device, info, tmp, size, extra=extra) as screen:
        screen.button("Polski")
        yield screen


@pytest.fixture(scope="module")
def small(site: SiteRig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApplianceWindow]:
    yield from _window(site, tmp_path_factory.mktemp("small"), (800, 480), "dispenser-1", "pl")


@pytest.fixture(scope="module")
def large(site: SiteRig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApplianceWindow]:
    yield from _window(site, tmp_path_factory.mktemp("large"), (1920, 1080), "dispenser-2", "uk")


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("window", ["small", "large"])
def test_each_language_is_a_tap_away_and_reads_back_whole(
    window: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    screen: ApplianceWindow = request.getfixturevalue(window)
    w, h = screen.size
    # the large one was started with `--language uk`: Ukrainian is where every visitor begins
    default = {"small": "pl", "large": "uk"}[window]
    screen.wait_text(FIRST_SCREEN[default][1][0])
    # the choice is written as each language names itself, on the first screen, no flags
    row = [b for b in screen.widgets() if b.text in ("Polski", "English", "Українська")]
    assert [b.text for b in sorted(row, key=lambda b: b.x)] == ["Polski", "English", "Українська"]
    for language, native in (("uk", "Українська"), ("en", "English"), ("pl", "Polski")):
        tesseract, words = FIRST_SCREEN[language]
        chosen = screen.tap(native)
        screen.wait_text(words[0])
        time.sleep(0.5)  # the frame after the redraw
        shot = keep(screen.screenshot(tmp_path / f"dispenser-{language}-{w}x{h}.png"))
        read = flat(ocr(shot, tesseract))
        for text in words:
            assert text in read, f"{text!r} not read whole at {w}×{h} in:\n{read}"
        # the chosen language, dark on white (Tesseract reads it apart from the dark screen)
        box = (chosen.x / w, chosen.y / h, (chosen.x + chosen.w) / w, (chosen.y + chosen.h) / h)
        assert native in read_words(Image.open(shot), box, tmp_path / "crop.png", tesseract)
        # every control lies wholly on the screen
        for b in screen.widgets():
            if b.kind == "button":
                assert b.x >= 0 and b.y >= 0 and b.x + b.w <= w and b.y + b.h <= h, b
    assert "Wybierz sprawę" in screen.texts()  # left as the next test finds it


def test_the_keypad_chooses_ukrainian_then_the_next_visitor_hears_polish(
    small: ApplianceWindow, site: SiteRig
) -> None:
    screen = small
    ear = Listener(screen)
    assert ear.after("KP_Enter").startswith("Prowadzenie głosowe włączone.")
    # up from the first service: the last row, each language said in its own voice
    assert ear.after("KP_8") == "Українська"
    said = ear.after("KP_5")
    assert said.startswith("Мова: українська. Виберіть справу.") and said.endswith(
        "Українська, вибрано."
    )
    screen.wait_text("Виберіть справу")
    assert "language uk uses voice zle/uk" in screen.log.read_text(encoding="utf-8")
    # round to the first service, named as the site file names it in Ukrainian, with plurals
    service = ear.after("KP_2")
    assert re.fullmatch(
        r"Посвідчення особи\. \d+ ос(оба чекає|оби чекають|іб чекають)\. .+\.", service
    ), service
    said = ear.after("KP_5")  # "Друкую талон…", unless the ticket overtook it
    ticket = said if "Ваш номер" in said else ear.until("Ваш номер")
    assert re.match(r"Ваш номер A \d+, Посвідчення особи\. Перед вами \d+ ос", ticket), ticket
    assert "Ваш номер оголосять уголос і покажуть на екрані." in ticket
    screen.wait_text("Ваш талон")
    # the ticket on paper is Ukrainian too (the preview printer's picture, read back)
    (png,) = sorted((screen.dir / "var" / "tickets").glob("A*.png"))[-1:]
    paper = flat(read_text(png, language="ukr"))
    assert "Посвідчення особи" in paper and "Перед вами в черзі:" in paper, paper
    # Back (the focus is on it): the ticket is taken, the next visitor starts in Polish
    back = ear.after("KP_5")
    assert back.startswith("Wybierz sprawę. Dowody osobiste."), back
    screen.wait_text("Wybierz sprawę")
    assert "Виберіть справу" not in screen.texts()
