"""A ticket as ESC/POS commands, written to any python-escpos printer.

Polish letters: the text is sent in code page CP852 (ESC t 18), which Epson-compatible ticket
printers carry in ROM. It keeps printing fast and crisp and the bytes readable in tests; a
printer without CP852 can use ``as_image=True``, which prints the text as a bitmap instead.
"""

from __future__ import annotations

from escpos.escpos import Escpos

from appliance.printing.ticket import PrintedTicket

CODE_PAGE = "CP852"


def write_ticket(p: Escpos, t: PrintedTicket, *, as_image: bool = False) -> None:
    if as_image:
        from appliance.printing.preview import render

        p.image(render(t), center=True)
        p.cut()
        return
    p.charcode(CODE_PAGE)
    p.set_with_default(align="center")
    p.textln(t.site_name)
    p.set(align="center", bold=True)
    p.textln(t.service_name)
    p.set(align="center", bold=True, custom_size=True, width=5, height=5)
    p.textln(t.number)
    p.set_with_default(align="center")
    p.textln(f"{t.ahead_label}: {t.people_ahead}")
    p.textln(t.when)
    if t.eticket_url:
        p.ln()
        p.set(align="center")  # native QR codes follow the alignment
        p.qr(t.eticket_url, size=6, native=True)
        p.textln(t.qr_label)
    p.ln()
    p.textln(t.note)
    p.cut()
