"""Tickets as a printer receives them: the ESC/POS bytes decoded back (CP852 text, QR, cut), a
real TCP "printer" on port 9100's protocol, paper status, and the PNG preview."""

from __future__ import annotations

import socket
import threading
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
    from dataclasses import replace

    assert QR_STORE not in escpos_bytes(replace(TICKET, eticket_url=None))


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
