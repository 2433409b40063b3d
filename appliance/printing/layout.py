"""A ticket as ESC/POS commands, written to any python-escpos printer.

Polish letters: the text is sent in code page CP852 (ESC t 18), which Epson-compatible ticket
printers carry in ROM. It keeps printing fast and crisp and the bytes readable in tests; a
printer without CP852 can use ``as_image=True``, which prints the text as a bitmap instead.

Ukrainian letters: in CP1251 (ESC t 46, "WPC1251" in Epson's tables), switched to for each run
of Cyrillic and back to CP852 for the Polish office name beside it. CP1251 rather than CP866:
CP866 (the Russian DOS page) lacks І/і and Ґ/ґ, and і is among the commonest Ukrainian letters;
CP1251 has the whole Ukrainian alphabet (Є І Ї Ґ) and is in the ROM of the same printers.
Neither page has both Polish and Cyrillic, hence the switching (python-escpos emits ESC t only
when the page changes). A printer without CP1251 prints with ``as_image=True``.

Lines are wrapped here, at word boundaries, to the printer's columns: left to itself a printer
breaks a long office name mid-word and its centring of the rest goes astray.
"""

from __future__ import annotations

from escpos.escpos import Escpos

from appliance.printing.ticket import PrintedTicket
from appliance.printing.wrap import wrap

CODE_PAGE = "CP852"
CYRILLIC_PAGE = "CP1251"
# Characters per line in font A (12 dots) on an 80 mm printer: 48 where it prints 576 dots,
# 42 where it prints 512; 42 fits both.
COLUMNS = 42
NUMBER_SIZE = 5  # the number's magnification (GS !), the largest that fits 8 characters


def _fits(page: str, char: str) -> bool:
    try:
        char.encode(page)
        return True
    except UnicodeEncodeError:
        return False


def runs(text: str) -> list[tuple[str, str]]:
    """(code page, text) pieces: CP852 where it can print a letter, else CP1251; signs both
    have (digits, spaces, punctuation) stay in the page in use, so no switch is wasted."""
    out: list[tuple[str, str]] = []
    both = [c for c in text if not (_fits(CODE_PAGE, c) and _fits(CYRILLIC_PAGE, c))]
    first = CYRILLIC_PAGE if both and not _fits(CODE_PAGE, both[0]) else CODE_PAGE
    for char in text:
        page = out[-1][0] if out else first
        if not _fits(page, char):
            page = CYRILLIC_PAGE if _fits(CYRILLIC_PAGE, char) else CODE_PAGE
        if out and out[-1][0] == page:
            out[-1] = (page, out[-1][1] + char)
        else:
            out.append((page, char))
    return out


def _textln(p: Escpos, line: str) -> None:
    for page, text in runs(line):
        p.charcode(page)
        p.text(text)
    p.text("\n")


def _lines(p: Escpos, text: str, columns: int) -> None:
    for line in wrap(text, lambda s: len(s) <= columns):
        _textln(p, line)


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
            _textln(p, f" {line} ")
        p.set_with_default(align="center")  # ends the inversion
    size = max(1, min(NUMBER_SIZE, columns // max(1, len(t.number))))
    p.set(align="center", bold=True, custom_size=True, width=size, height=size)
    p.textln(t.number)
    p.set_with_default(align="center")
    _lines(p, f"{t.ahead_label}: {t.people_ahead}", columns)
    _textln(p, t.when)
    if t.eticket_url:
        p.ln()
        p.set(align="center")  # native QR codes follow the alignment
        p.qr(t.eticket_url, size=6, native=True)
        _lines(p, t.qr_label, columns)
    p.ln()
    _lines(p, t.note, columns)
    p.cut()
