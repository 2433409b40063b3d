"""The ticket as a picture (Pillow + qrcode): the preview printer of demos and tests, and the
bitmap a printer without CP852 prints. Every text line is wrapped within the margins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from appliance.printing.ticket import PrintedTicket
from appliance.printing.wrap import wrap

WIDTH = 576  # dots across 80 mm paper at 203 dpi
MARGIN = 20  # blank dots at each side: a head prints up to the edge, the paper may sit askew
TEXT_WIDTH = WIDTH - 2 * MARGIN
BAND_PAD = 20  # dots between the kind's rules and its text
RULE = 5  # the rules' thickness
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
BOLD = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int, bold: bool = False) -> Font:
    for path in BOLD if bold else FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _width(text: str, font: Font) -> float:
    return font.getlength(text)


@dataclass(frozen=True)
class _Block:
    """Lines in one font; `band` sets them between two thick rules (the ticket's kind): it
    stands out on paper and, unlike white on black or a frame, still reads back by OCR."""

    lines: list[str]
    font: Font
    step: int  # dots from one line's top to the next
    gap: int = 0  # extra dots after the block
    band: bool = False

    @property
    def height(self) -> int:
        return self.step * len(self.lines) + self.gap + (2 * BAND_PAD if self.band else 0)


def _text(text: str, size: int, *, bold: bool = False, gap: int = 0, band: bool = False) -> _Block:
    font = _font(size, bold)
    lines = wrap(text, lambda s: _width(s, font) <= TEXT_WIDTH)
    return _Block(lines, font, int(size * 1.3), gap, band)


def _number(text: str) -> _Block:
    # The number stays on one line: a smaller size rather than a break in "A012".
    size = 120
    while size > 40 and _width(text, _font(size, True)) > TEXT_WIDTH:
        size -= 8
    return _Block([text], _font(size, True), int(size * 1.2))


def render(t: PrintedTicket) -> Image.Image:
    head = [_text(t.site_name, 22, gap=14), _text(t.service_name, 30, bold=True, gap=14)]
    if t.kind_label:
        head.append(_text(t.kind_label, 28, bold=True, band=True, gap=10))
    head += [
        _number(t.number),
        _text(f"{t.ahead_label}: {t.people_ahead}", 26),
        _text(t.when, 24, gap=10),
    ]
    qr = None
    tail: list[_Block] = []
    if t.eticket_url:
        qr = qrcode.make(t.eticket_url, box_size=6, border=2).get_image().convert("L")
        tail.append(_text(t.qr_label, 18, gap=12))
    tail.append(_text(t.note, 20))
    height = 20 + sum(b.height for b in head + tail) + (qr.height + 8 if qr else 0) + 40
    img = Image.new("L", (WIDTH, height), 255)
    draw = ImageDraw.Draw(img)
    y = 20
    for block in head:
        y = _draw(draw, block, y)
    if qr is not None:
        img.paste(qr, ((WIDTH - qr.width) // 2, y))
        y += qr.height + 8
    for block in tail:
        y = _draw(draw, block, y)
    return img


def _draw(draw: ImageDraw.ImageDraw, block: _Block, y: int) -> int:
    if block.band:
        bottom = y + block.height - block.gap - 1
        draw.rectangle((MARGIN, y, WIDTH - MARGIN - 1, y + RULE - 1), fill=0)
        draw.rectangle((MARGIN, bottom - RULE + 1, WIDTH - MARGIN - 1, bottom), fill=0)
        y += BAND_PAD
    for line in block.lines:
        w = _width(line, block.font)
        draw.text(((WIDTH - w) / 2, y), line, font=block.font, fill=0)
        y += block.step
    return y + (BAND_PAD if block.band else 0) + block.gap
