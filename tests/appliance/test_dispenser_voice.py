"""The dispenser without sight (EN 301 549 clause 5): a real window on Xvfb, real keypad keys and
a real held touch (xdotool), real speech (pyttsx3 on espeak-ng) whose phrases are read back from
the appliance's log (``spoken: TEXT``), a real hub with a booked visit behind a real broker."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from hub.contract import access_code
from hub.domain.checkin import LocalReservation
from hub.store.database import EventStore
from tests.appliance.test_touch_dispenser import Issued
from tests.conftest import SiteRig, make_rig
from tests.support.screen import NEEDS_X, ApplianceWindow, info_file

pytestmark = NEEDS_X

CODE = "KP7W4H2C"  # a booked visit, checked in from the keypad alone
SPOKEN = re.compile(r" INFO okienko\.appliance\.speech: spoken: (.*)$")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "a11y"  # screenshots to look at


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRig]:
    rig = make_rig(tmp_path_factory.mktemp("voice"))
    soon = datetime.now(UTC) + timedelta(minutes=10)

    async def seed() -> None:
        store = EventStore(rig.dir / "hub.sqlite3")
        await store.open()
        await store.save_reservations([LocalReservation(CODE, "meldunki", soon)])
        await store.close()

    asyncio.run(seed())
    hub = rig.hub().start()
    yield rig
    hub.stop()
    rig.broker.stop()


@pytest.fixture
def issued(booked: SiteRig) -> Iterator[Issued]:
    watch = Issued(booked)
    yield watch
    watch.stop()


class Listener:
    """What the dispenser has said, from its log, one phrase after another."""

    def __init__(self, screen: ApplianceWindow) -> None:
        self.screen = screen
        self.heard = 0

    def phrases(self) -> list[str]:
        lines = self.screen.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [m.group(1) for line in lines if (m := SPOKEN.search(line))]

    def after(self, *keys: str, timeout: float = 30.0) -> str:
        """Press the keys, then the first phrase said after them."""
        self.heard = len(self.phrases())
        if keys:
            self.screen.key(*keys)
        return self.next(timeout)

    def next(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            said = self.phrases()
            if len(said) > self.heard:
                self.heard = len(said)
                return said[-1]  # only the newest phrase is said: older ones are overtaken
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing more was said; so far: {said}\n{self.screen.tail()}")
            time.sleep(0.1)

    def settles_on(self, *keys: str, timeout: float = 30.0) -> str:
        """Press the keys (fast: phrases of the ones before are overtaken), then the phrase
        said once the guide is quiet."""
        said = self.after(*keys, timeout=timeout)
        time.sleep(2.0)
        return self.phrases()[-1] if len(self.phrases()) > self.heard else said

    def until(self, fragment: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            said = self.next(max(0.1, deadline - time.monotonic()))
            if fragment in said:
                return said
        raise AssertionError(f"{fragment!r} never said")


def keep(path: Path) -> Path:
    """A copy of a screenshot where a person can look at it after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(path, ARTIFACTS / path.name))


def test_keypad_guides_by_voice_to_a_ticket(
    booked: SiteRig, issued: Issued, tmp_path: Path
) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path) as screen:
        screen.button("Potwierdzenie wizyty")
        ear = Listener(screen)
        assert ear.phrases() == []  # silent until a visitor asks
        first = ear.after("KP_2")  # any keypad key starts the guidance; it moves nothing yet
        assert first.startswith("Prowadzenie głosowe włączone. Strzałki albo klawisze 8 i 2")
        # no counter has served yet, so no estimate
        assert re.search(
            r"Wybierz sprawę\. Dowody osobiste\. \d+ os(oba czeka|oby czekają|ób czeka)\. "
            r"Czas oczekiwania nieznany\.$",
            first,
        )
        assert re.match(r"Sprawy meldunkowe\. \d+ os", ear.after("KP_2"))
        assert ear.after("Down") == "Usługa nieczynna. Niedostępne: Teraz nieczynne."
        assert ear.after("KP_6").startswith("Obsługa poza kolejnością: dla kobiet w ciąży")
        assert ear.after("Right") == "Potwierdzenie wizyty, kodem z rezerwacji."
        # the focus ring is drawn where the voice is
        time.sleep(1)
        shot = keep(screen.screenshot(tmp_path / "dispenser-focus-ring.png"))
        check_in = screen.button("Potwierdzenie wizyty")
        assert ring_around(Image.open(shot), check_in, (255, 214, 0))
        assert ear.after("KP_0").startswith("Strzałki albo klawisze 8 i 2")  # help again
        assert ear.after("Escape").startswith("Strzałki albo klawisze 8 i 2")
        for _ in range(3):
            ear.after("KP_8")
        assert ear.after("Up").startswith("Dowody osobiste.")
        before = issued.waiting.get("dowody", 0)
        said = ear.after("KP_5")  # "Drukuję bilet…", unless the ticket overtook it
        ticket = said if "Twój numer" in said else ear.until("Twój numer to")
        issued.until("dowody", before + 1)
        assert re.search(
            r"Twój numer to A \d+, Dowody osobiste\. Przed Tobą (jest|są) \d+ os(oba|oby|ób)\.",
            ticket,
        )
        assert "zaczekać w poczekalni" in ticket
        assert "Numer zostanie wywołany głosem i pokazany na monitorze." in ticket
        screen.wait_text("Twój bilet")
        assert ear.after("KP_0") == ticket  # 0 says it again


def test_the_guidance_speaks_the_sessions_language(booked: SiteRig, tmp_path: Path) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow(
        "dispenser", "dispenser-1", info, tmp_path, extra=["--language", "en"]
    ) as screen:
        screen.button("Confirm a booked visit")
        ear = Listener(screen)
        first = ear.after("KP_Enter")
        assert first.startswith("Voice guidance is on. Arrows or keys 8 and 2 move")
        # the last row: the languages, each named (and said) in itself
        assert ear.after("Up") == "Українська"
        assert ear.after("Up") == "English, chosen."
        ear.after("Up")
        assert ear.after("Up") == "Large text and high contrast: off"
        assert ear.after("Up") == "Confirm a booked visit, with the code."
        # NumLock off: the keypad sends its other keysyms; the keys do the same
        assert (
            ear.after("KP_Up") == "Priority service: for pregnant women, people with a "
            "disability, holders of the Large Family Card and seniors."
        )
        assert ear.after("KP_Insert").startswith("Arrows or keys 8 and 2")
        assert ear.after("KP_Begin").startswith("Priority service. Choose the reason.")
        assert "language en uses voice gmw/en" in screen.log.read_text()


def moves(frm: int, to: int, count: int, row: int = 8) -> list[str]:
    """Keypad keys that take the focus from item `frm` to `to`: rows down, then signs right."""
    keys: list[str] = []
    gap = (to - frm) % count
    keys += ["KP_2"] * (gap // row)
    keys += ["KP_6"] * (gap % row)
    return keys


def test_a_booked_visitor_checks_in_from_the_keypad_each_sign_echoed(
    booked: SiteRig, issued: Issued, tmp_path: Path
) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path) as screen:
        screen.button("Potwierdzenie wizyty")
        ear = Listener(screen)
        ear.after("KP_Enter")
        ear.settles_on("KP_2", "KP_2", "KP_2")  # down the services to the priority choice
        assert ear.after("KP_2") == "Potwierdzenie wizyty, kodem z rezerwacji."
        intro = ear.after("KP_5")
        assert intro.startswith("Potwierdzenie wizyty. Wpisz kod z potwierdzenia, znak po znaku.")
        assert "bez I, L i O" in intro and intro.endswith("Kod jest pusty. 2")
        # signs, then delete, back, OK and the large-text switch
        items = [*access_code.ALPHABET, "delete", "cancel", "ok", "contrast"]
        at = 0
        for n, sign in enumerate(CODE, 1):
            target = items.index(sign)
            steps = moves(at, target, len(items))
            if steps:
                assert ear.settles_on(*steps) == sign
            echo = ear.after("KP_5")
            assert echo == f"{sign}. Wpisany kod: {' '.join(CODE[:n])}."
            at = target
        screen.wait_text(f"{CODE[:4]} {CODE[4:]}")
        ok = ear.settles_on(*moves(at, items.index("ok"), len(items)))
        assert ok == f"Zatwierdź kod. Wpisany kod: {' '.join(CODE)}."
        meldunki = issued.waiting.get("meldunki", 0)
        ticket = ear.after("KP_5")
        if "Twój numer" not in ticket:
            ticket = ear.until("Twój numer")
        assert ticket.startswith("Twój numer to B ")
        issued.until("meldunki", meldunki + 1)  # the booked visit entered the queue


def test_a_finger_held_three_seconds_starts_the_guidance_without_pressing(
    booked: SiteRig, issued: Issued, tmp_path: Path
) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path) as screen:
        tile = screen.button("Dowody osobiste")
        issued.until("dowody", issued.waiting.get("dowody", 0))
        before = issued.waiting["dowody"]
        ear = Listener(screen)
        screen.hold(*tile.centre, seconds=3.5)
        assert ear.next().startswith("Prowadzenie głosowe włączone.")
        time.sleep(1.5)
        assert issued.waiting["dowody"] == before  # lifting the finger chose nothing
        assert "Twój bilet" not in screen.texts()
        # a short tap still takes a ticket, as before
        screen.tap("Dowody osobiste")
        issued.until("dowody", before + 1)


def test_high_contrast_large_text_from_the_screen_and_the_keypad(
    booked: SiteRig, tmp_path: Path
) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow("dispenser", "dispenser-1", info, tmp_path) as screen:
        normal = screen.button("Dowody osobiste")
        screen.tap("Aa  Duży tekst")
        screen.wait_for(
            lambda s: s.button("Dowody osobiste").w > normal.w, "the tiles never widened"
        )
        time.sleep(0.5)
        shot = Image.open(keep(screen.screenshot(tmp_path / "dispenser-high-contrast.png")))
        pixels = shot.convert("RGB").getdata()
        black = sum(1 for p in pixels if max(p) < 20) / len(pixels)
        assert black > 0.5, f"only {black:.0%} of the screen is black"
        yellow = sum(1 for p in pixels if p[0] > 230 and p[1] > 230 and p[2] < 40)
        assert yellow > 500  # the text is yellow
        # the keypad's star turns it back, and says so
        ear = Listener(screen)
        ear.after("KP_0")
        time.sleep(1)
        shot = Image.open(keep(screen.screenshot(tmp_path / "dispenser-high-contrast-focus.png")))
        # the focused choice turns black on yellow inside a white ring
        tile = screen.button("Dowody osobiste")
        assert ring_around(shot, tile, (255, 255, 255))
        assert shot.convert("RGB").getpixel((tile.x + 20, tile.y + tile.h // 2)) == (255, 255, 0)
        assert ear.after("KP_Multiply") == "Zwykły widok."
        screen.wait_for(
            lambda s: s.button("Dowody osobiste").w == normal.w, "the tiles never came back"
        )


def test_low_reach_keeps_every_control_in_the_lower_part(booked: SiteRig, tmp_path: Path) -> None:
    info = info_file(booked, tmp_path / "i.json")
    w, h = 1024, 600
    with ApplianceWindow(
        "dispenser", "dispenser-1", info, tmp_path, (w, h), extra=["--low-reach"]
    ) as screen:
        screen.button("Potwierdzenie wizyty")
        keep(screen.screenshot(tmp_path / "dispenser-low-reach.png"))
        buttons = [b for b in screen.widgets() if b.kind == "button"]
        assert all(b.y >= 0.39 * h for b in buttons), [(b.text, b.y) for b in buttons]
        screen.tap("Potwierdzenie wizyty")
        screen.button("Z")
        keys = [b for b in screen.widgets() if b.kind == "button"]
        assert len(keys) > 30 and all(b.y >= 0.39 * h for b in keys)
        assert min(k.h for k in keys) >= 44  # still large enough for a finger


def test_time_runs_out_only_after_a_warning_on_screen_and_aloud(
    booked: SiteRig, tmp_path: Path
) -> None:
    info = info_file(booked, tmp_path / "i.json")
    with ApplianceWindow(
        "dispenser", "dispenser-1", info, tmp_path, extra=["--idle-seconds", "3"]
    ) as screen:
        ear = Listener(screen)
        screen.tap("Potwierdzenie wizyty")
        screen.tap("K")
        warned = ear.next()
        assert warned == (
            "Potrzebujesz więcej czasu? Dotknij ekranu albo naciśnij dowolny klawisz. "
            "W przeciwnym razie biletomat zacznie od początku."
        )
        screen.wait_text("Potrzebujesz więcej czasu?")
        time.sleep(0.5)
        keep(screen.screenshot(tmp_path / "dispenser-time-warning.png"))
        screen.tap("Więcej czasu")
        screen.wait_for(lambda s: "Potrzebujesz" not in s.texts(), "the warning stayed")
        assert "Wpisz kod dostępu:  K___ ____" in screen.texts()  # nothing was lost
        # Left alone: warned again, and only 20 s after that back to the start.
        ear.next()
        warned_at = time.monotonic()
        screen.wait_text("Wybierz sprawę", timeout=40)
        assert time.monotonic() - warned_at >= 18


def ring_around(img: Image.Image, button: object, colour: tuple[int, int, int]) -> bool:
    """The ring's colour on all four sides just inside the button's edge."""
    rgb = img.convert("RGB")
    x, y, w, h = (getattr(button, k) for k in ("x", "y", "w", "h"))
    sides = [
        (x + w // 2, y + 5),
        (x + w // 2, y + h - 6),
        (x + 5, y + h // 2),
        (x + w - 6, y + h // 2),
    ]

    def near(p: tuple[int, int, int]) -> bool:
        return all(abs(a - b) < 40 for a, b in zip(p, colour, strict=True))

    return all(
        any(near(rgb.getpixel((sx + dx, sy + dy))) for dx in range(-3, 4) for dy in range(-3, 4))
        for sx, sy in sides
    )


def test_plus_and_minus_on_the_keypad_turn_the_voice_down_and_up(
    booked: SiteRig, tmp_path: Path
) -> None:
    """A visitor at a noisy or quiet moment sets the loudness: the keypad's - and + (real X key
    events), each step said at its new loudness, which reaches pyttsx3: the WAV the guide
    made (kept in the appliance's TMPDIR) is quieter after -, louder after +."""
    from tests.support.audio import read_wav, rms

    info = info_file(booked, tmp_path / "i.json")
    tmp = tmp_path / "appliance-tmp"
    tmp.mkdir()
    with ApplianceWindow(
        "dispenser", "dispenser-1", info, tmp_path, env={"TMPDIR": str(tmp)}
    ) as screen:
        screen.button("Potwierdzenie wizyty")
        ear = Listener(screen)
        first = ear.after("KP_Subtract")  # starts the guidance, one step quieter
        assert first.startswith("Ciszej. Głośność 90 procent. Prowadzenie głosowe włączone.")
        assert "Klawisze plus i minus zmieniają głośność." in first

        def made() -> float:  # the loudness of the phrase just said
            (wav,) = tmp.glob("okienko-guide-*/guide.wav")
            return rms(read_wav(wav)[1])

        steps = [ear.after("KP_Subtract") for _ in range(6)]
        assert steps[-1] == "Ciszej. Głośność 30 procent."
        quiet = made()
        for percent in range(40, 110, 10):
            assert ear.after("KP_Add") == f"Głośniej. Głośność {percent} procent."
        normal = made()
        assert quiet < 0.5 * normal, (quiet, normal)
        for percent in range(110, 160, 10):
            assert ear.after("KP_Add") == f"Głośniej. Głośność {percent} procent."
        assert ear.after("KP_Add") == "To największa głośność."
        assert made() > 1.2 * normal
        assert "guidance volume: 150%" in screen.log.read_text()
