"""A ticket as ESC/POS commands, written to any python-escpos printer.

Polish letters: the text is sent in code page CP852 (ESC t 18), which Epson-compatible ticket
printers carry in ROM. It keeps printing fast and crisp and the bytes readable in tests; a
printer without CP852 can use ``as_image=True``, which prints the text as a bitmap instead.

Lines are wrapped here, at word boundaries, to the printer's columns: left to itself a printer
breaks a long office name mid-word and its centring of the rest goes astray.
"""

from __future__ import annotations

from escpos.escpos import Escpos

from appliance.printing.ticket import PrintedTicket
from appliance.printing.wrap import wrap

CODE_PAGE = "CP852"
# Characters per line in font A (12 dots) on an 80 mm printer: 48 where it prints 576 dots,
# 42 where it prints 512; 42 fits both.
COLUMNS = 42
NUMBER_SIZE = 5  # the number's magnification (GS !), the largest that fits 8 characters


def _lines(p: Escpos, text: str, columns: int) -> None:
    for line in wrap(text, lambda s: len(s) <= columns):
        p.textln(line)


def write_ticket(
    p: Escpos, t: PrintedTicket, *, as_image: bool = False, columns: int = COLUMNS
) -> None:
    if as_image:
        from appliance.printing.preview import render

        p.image(render(t), center=True)
        p.cut()
        return
    p.charcode(CODE_PAGE)
    p.set_with_default(align="center")
    _lines(p, t.site_name, columns)
    p.set(align="center", bold=True)
    _lines(p, t.service_name, columns)
    if t.kind_label:
        # white on black, a space either side: the mark a clerk sees at a glance
        p.ln()
        p.set(align="center", bold=True, invert=True, double_height=True)
        for line in wrap(t.kind_label, lambda s: len(s) + 2 <= columns):
            p.textln(f" {line} ")
        p.set_with_default(align="center")  # ends the inversion
    size = max(1, min(NUMBER_SIZE, columns // max(1, len(t.number))))
    p.set(align="center", bold=True, custom_size=True, width=size, height=size)
    p.textln(t.number)
    p.set_with_default(align="center")
    _lines(p, f"{t.ahead_label}: {t.people_ahead}", columns)
    p.textln(t.when)
    if t.eticket_url:
        p.ln()
        p.set(align="center")  # native QR codes follow the alignment
        p.qr(t.eticket_url, size=6, native=True)
        _lines(p, t.qr_label, columns)
    p.ln()
    _lines(p, t.note, columns)
    p.cut()
