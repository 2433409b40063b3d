"""The ticket picture read back with Tesseract, as a visitor reads the paper: every line whole
(a long office name wraps, nothing runs off the 576-dot strip), every field there, and the mark
of a priority or booked ticket."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from appliance.printing.preview import WIDTH
from appliance.printing.printers import PreviewConf, open_printer
from appliance.printing.ticket import PrintedTicket
from tests.support.ocr import read_text

PRIORITY = "Obsługa poza kolejnością"
BOOKED = "Rezerwacja"
TICKET = PrintedTicket(
    site_name=(
        "Miejski Ośrodek Pomocy Rodzinie w Starachowicach, "
        "Dział Świadczeń Rodzinnych i Alimentacyjnych"
    ),
    service_name="Świadczenia wychowawcze, zasiłki rodzinne i fundusz alimentacyjny",
    number="A012",
    people_ahead=12,
    issued_at=datetime(2026, 11, 24, 13, 5, tzinfo=UTC),
    eticket_url="https://okienko.example/e/Qm9rLXRva2Vu",
)


def words(text: str) -> list[str]:
    return re.findall(r"[\wąćęłńóśźżĄĆĘŁŃÓŚŹŻ.:]+", text)


def printed(ticket: PrintedTicket, directory: Path) -> Path:
    printer = open_printer(PreviewConf(kind="preview", directory=directory))
    printer.print_ticket(ticket)
    assert printer.last is not None  # type: ignore[union-attr]
    return printer.last  # type: ignore[union-attr]


def assert_reads_whole(png: Path, ticket: PrintedTicket) -> str:
    """Every field is read back word for word, and no line holds a cut-off word."""
    text = read_text(png)
    flat = " ".join(words(text))
    fields = [
        ticket.site_name,
        ticket.service_name,
        ticket.number,
        f"{ticket.ahead_label}: {ticket.people_ahead}",
        ticket.when,
        ticket.note,
    ]
    for field in fields:
        assert " ".join(words(field)) in flat, f"{field!r} not read whole in:\n{text}"
    known = {
        w for field in [*fields, ticket.qr_label, ticket.kind_label or ""] for w in words(field)
    }
    for line in text.splitlines():
        seen = words(line)
        if sum(w in known for w in seen) * 2 > len(seen):  # a text line, not the QR code's noise
            assert all(w in known for w in seen), f"a clipped word in {line!r}"
    return text


def test_a_long_office_and_service_name_wrap_and_read_back_whole(tmp_path: Path) -> None:
    png = printed(TICKET, tmp_path)
    img = Image.open(png).convert("L")
    assert img.width == WIDTH
    # nothing printed in the outer 8 dots: no text runs off either edge of the paper
    edges = [img.getpixel((x, y)) for y in range(img.height) for x in (*range(8), *range(-8, 0))]
    assert min(edges) > 128  # type: ignore[operator]
    text = assert_reads_whole(png, TICKET)
    assert PRIORITY not in text and BOOKED not in text  # a walk-in ticket has no mark


@pytest.mark.parametrize("label", [PRIORITY, BOOKED])
def test_a_priority_or_booked_ticket_says_so(tmp_path: Path, label: str) -> None:
    ticket = replace(TICKET, kind_label=label)
    text = assert_reads_whole(printed(ticket, tmp_path), ticket)
    assert label in text


def test_a_priority_ticket_from_the_dispenser_carries_its_mark(  # type: ignore[no-untyped-def]
    hub, connect: Callable[[str], object], tmp_path: Path
) -> None:
    from appliance.dispenser.presenter import DispenserPresenter

    printer = open_printer(PreviewConf(kind="preview", directory=tmp_path))
    p = DispenserPresenter(connect("dispenser-1"), printer, run=lambda fn: fn())  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while not p.model().available:
        assert time.monotonic() < deadline, "the dispenser got no queue state"
        time.sleep(0.02)
    p.start_priority()
    p.choose_priority("disability")
    p.choose_service("dowody")
    ticket = p.model().ticket
    assert ticket is not None and p.model().screen == "ticket"
    text = read_text(printer.last)  # type: ignore[union-attr,arg-type]
    # (the number's reading is checked above: Tesseract reads the 120-dot "A001" as "A0O01")
    for field in ("Urząd testowy", "Dowody osobiste", PRIORITY, "Osób przed Tobą"):
        assert field in text, f"{field!r} missing in:\n{text}"


def test_a_ukrainian_ticket_from_the_dispenser_reads_back_in_ukrainian(  # type: ignore[no-untyped-def]
    hub, connect: Callable[[str], object], tmp_path: Path
) -> None:
    """A visitor who chose Українська gets the ticket in Ukrainian: read back with Tesseract's
    Ukrainian model; the office's and the service's Polish names (no name_uk) stay Polish."""
    from appliance.dispenser.presenter import DispenserPresenter

    printer = open_printer(PreviewConf(kind="preview", directory=tmp_path))
    p = DispenserPresenter(connect("dispenser-1"), printer, run=lambda fn: fn())  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while not p.model().available:
        assert time.monotonic() < deadline, "the dispenser got no queue state"
        time.sleep(0.02)
    p.choose_language("uk")
    p.start_priority()
    p.choose_priority("disability")
    p.choose_service("dowody")
    assert p.model().screen == "ticket"
    png = printer.last  # type: ignore[union-attr]
    ukrainian = " ".join(read_text(png, language="ukr").split())  # type: ignore[arg-type]
    for field in (
        "Обслуговування поза чергою",
        "Перед вами в черзі:",
        "Будь ласка, чекайте, доки ваш номер",
        "на екрані.",
    ):
        assert field in ukrainian, f"{field!r} missing in:\n{ukrainian}"
    polish = read_text(png, language="pol")  # type: ignore[arg-type]
    assert "Urząd testowy" in polish and "Dowody osobiste" in polish
