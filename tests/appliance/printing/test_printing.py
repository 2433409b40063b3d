"""Tickets as a printer receives them: the ESC/POS bytes decoded back (CP852 text, QR, cut), a
real TCP "printer" on port 9100's protocol, paper status, and the PNG preview."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from escpos.printer import Dummy
from PIL import Image

from appliance.printing.layout import write_ticket
from appliance.printing.printers import (
    NetworkConf,
    PreviewConf,
    PrinterError,
    open_printer,
)
from appliance.printing.ticket import PrintedTicket
from hub.contract.messages import PrinterState

TICKET = PrintedTicket(
    site_name="Urząd Miasta Torunia",
    service_name="Zażółć gęślą jaźń – Dowody osobiste",
    number="A012",
    people_ahead=3,
    issued_at=datetime(2026, 11, 24, 13, 5, tzinfo=UTC),
    eticket_url="https://okienko.example/e/Qm9rLXRva2Vu",
)
CUT = b"\x1dV"
SELECT_CP852 = b"\x1bt\x12"
QR_STORE = b"\x1d(k"


def escpos_bytes(ticket: PrintedTicket) -> bytes:
    d = Dummy()
    write_ticket(d, ticket)
    return bytes(d.output)


def test_polish_text_goes_out_in_cp852_with_the_code_page_selected():
    out = escpos_bytes(TICKET)
    assert out.index(SELECT_CP852) < out.index("Zażółć".encode("cp852"))
    text = out.decode("cp852", errors="replace")
    for words in ("Zażółć gęślą jaźń", "Osób przed Tobą: 3", "24.11.2026 14:05", "A012"):
        assert words in text, words


def test_number_is_large_qr_holds_the_eticket_link_and_paper_is_cut():
    out = escpos_bytes(TICKET)
    size = out.rfind(b"\x1d!", 0, out.index(b"A012"))  # GS ! character size before the number
    assert size != -1 and out[size + 2] != 0
    assert QR_STORE in out and TICKET.eticket_url.encode() in out
    assert out.rstrip(b"\n").endswith(CUT) or out[out.rfind(CUT) :].startswith(CUT)
    assert out.rfind(CUT) > out.rfind(b"Prosimy")


def test_no_qr_without_an_eticket_link():
    assert QR_STORE not in escpos_bytes(replace(TICKET, eticket_url=None))


LONG = replace(
    TICKET,
    site_name=(
        "Miejski Ośrodek Pomocy Rodzinie w Starachowicach, "
        "Dział Świadczeń Rodzinnych i Alimentacyjnych"
    ),
    service_name="Świadczenia wychowawcze, zasiłki rodzinne i fundusz alimentacyjny",
    eticket_url=None,  # its QR commands are not text lines
)
INVERT_ON = b"\x1dB\x01"


def printed_lines(out: bytes) -> list[tuple[bytes, str]]:
    """Each line the printer prints: its leading commands (ESC or GS, a letter, one parameter)
    and its text."""
    lines = []
    for raw in out.split(b"\n"):
        commands = re.match(rb"(?:[\x1b\x1d].[\x00-\xff])*", raw, re.S)
        assert commands is not None
        lines.append((commands.group(0), raw[commands.end() :].decode("cp852")))
    return lines


@pytest.mark.parametrize("columns", [42, 48])
def test_long_names_wrap_between_words_within_the_printers_columns(columns: int):
    d = Dummy()
    write_ticket(d, LONG, columns=columns)
    texts = [text for _, text in printed_lines(bytes(d.output))]
    # a longer line the printer itself would break mid-word, and centre the rest askew
    assert max(len(t) for t in texts) <= columns
    joined = " ".join(t for t in texts if t)
    assert LONG.site_name in joined and LONG.service_name in joined
    assert len([t for t in texts if t]) > 6  # names took more than a line each


@pytest.mark.parametrize("label", ["Obsługa poza kolejnością", "Rezerwacja"])
def test_a_priority_or_booked_ticket_prints_its_kind_white_on_black(label: str):
    lines = printed_lines(escpos_bytes(replace(LONG, kind_label=label)))
    (commands,) = [c for c, text in lines if text.strip() == label]
    assert INVERT_ON in commands
    after = [c for c, text in lines if text == LONG.number]
    assert after and INVERT_ON not in after[0]  # the number is printed normally again


def test_a_walk_in_ticket_has_no_kind_mark():
    out = escpos_bytes(LONG)
    assert INVERT_ON not in out
    assert not any(
        t.strip() in ("Obsługa poza kolejnością", "Rezerwacja") for _, t in printed_lines(out)
    )


class FakeNetworkPrinter:
    """A TCP server that takes ESC/POS like a printer on port 9100 and answers DLE EOT 4."""

    def __init__(self, paper: int = 0x12) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.paper = paper
        self.received = bytearray()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(65536):
                    if data == b"\x10\x04\x04":
                        conn.sendall(bytes([self.paper]))
                    else:
                        self.received += data


def test_network_printer_receives_the_ticket():
    server = FakeNetworkPrinter(paper=0x12)  # Epson's "paper adequate" status byte
    printer = open_printer(NetworkConf(kind="network", host="127.0.0.1", port=server.port))
    printer.print_ticket(TICKET)
    deadline = threading.Event()
    for _ in range(50):
        if CUT in server.received:
            break
        deadline.wait(0.05)
    assert "Zażółć".encode("cp852") in server.received and CUT in server.received


@pytest.mark.parametrize(
    ("reply", "state"), [(0x1E, PrinterState.PAPER_NEAR_END), (0x72, PrinterState.PAPER_OUT)]
)
def test_paper_status_is_read_from_the_printer(reply: int, state: PrinterState):
    server = FakeNetworkPrinter(paper=reply)
    printer = open_printer(NetworkConf(kind="network", host="127.0.0.1", port=server.port))
    assert printer.status() is state
    if state is PrinterState.PAPER_OUT:
        with pytest.raises(PrinterError) as info:
            printer.print_ticket(TICKET)
        assert info.value.state is PrinterState.PAPER_OUT


def test_unreachable_printer_is_offline():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    printer = open_printer(NetworkConf(kind="network", host="127.0.0.1", port=port, timeout=1))
    with pytest.raises(PrinterError) as info:
        printer.print_ticket(TICKET)
    assert info.value.state is PrinterState.OFFLINE


def test_preview_printer_writes_a_ticket_picture(tmp_path: Path):
    printer = open_printer(PreviewConf(kind="preview", directory=tmp_path))
    printer.print_ticket(TICKET)
    (png,) = tmp_path.glob("A012-*.png")
    img = Image.open(png).convert("L")
    assert img.height > img.width  # a paper strip
    dark = sum(
        1 for p in img.resize((img.width // 4, img.height // 4)).get_flattened_data() if p < 128
    )
    assert dark > 500  # text and a QR code, not a blank page


SELECT_CP1251 = b"\x1bt\x2e"  # ESC t 46: Epson's WPC1251


def decoded(out: bytes) -> str:
    """The text as the printer prints it, following each ESC t (code page) switch."""
    pages = {18: "cp852", 46: "cp1251"}
    text, page = [], "cp437"
    for n, part in enumerate(re.split(rb"\x1bt([\x00-\xff])", out)):
        if n % 2:
            page = pages[part[0]]
        else:
            text.append(part.decode(page, errors="replace"))
    return "".join(text)


def ukrainian_ticket() -> PrintedTicket:
    """The ticket the dispenser prints for a visitor who chose Українська."""
    from appliance.common.i18n import gettext_for
    from appliance.dispenser.presenter import printed_ticket
    from hub.contract import messages as msg
    from hub.domain.events import TicketKind
    from hub.domain.model import TicketState

    info = msg.TicketInfo(
        id="t1",
        number="A012",
        service="dowody",
        service_name="Посвідчення особи",
        kind=TicketKind.PRIORITY,
        state=TicketState.WAITING,
        issued_at=datetime(2026, 11, 24, 13, 5, tzinfo=UTC),
        people_ahead=3,
    )
    return printed_ticket(info, "Urząd Miasta Łodzi", gettext_for("uk"))


def test_a_ukrainian_ticket_prints_cyrillic_in_cp1251_beside_polish_in_cp852():
    server = FakeNetworkPrinter(paper=0x12)
    printer = open_printer(NetworkConf(kind="network", host="127.0.0.1", port=server.port))
    printer.print_ticket(ukrainian_ticket())
    for _ in range(50):
        if CUT in server.received:
            break
        threading.Event().wait(0.05)
    out = bytes(server.received)
    # the office's Polish name in CP852, then each Cyrillic run in CP1251, switched for it
    assert out.index(SELECT_CP852) < out.index("Łodzi".encode("cp852")) < out.index(SELECT_CP1251)
    assert SELECT_CP1251 + "Посвідчення особи".encode("cp1251") in out
    assert " Обслуговування поза чергою ".encode("cp1251") in out  # the page is still CP1251
    text = decoded(out)
    for line in (
        "Urząd Miasta Łodzi",
        "Посвідчення особи",
        "Перед вами в черзі: 3",
        "Будь ласка, чекайте, доки ваш номер з’явиться на екрані.",
    ):
        assert line in text.replace("\n", " "), line  # (the note wraps at 42 columns)
    # і, ї, є, ґ and the apostrophe: what CP866 could not print comes out whole, no "?"
    assert "?" not in text.replace("\ufffd", "") and "\ufffd" not in text.split("\x1dV")[0]
