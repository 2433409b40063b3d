"""The ticket as a picture (Pillow + qrcode): the preview printer of demos and tests, and the
bitmap a printer without CP852 prints."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from appliance.printing.ticket import PrintedTicket

WIDTH = 576  # dots across 80 mm paper at 203 dpi
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
BOLD = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in BOLD if bold else FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def render(t: PrintedTicket) -> Image.Image:
    lines: list[tuple[str, int, bool]] = [
        (t.site_name, 22, False),
        (t.service_name, 30, True),
        (t.number, 120, True),
        (f"{t.ahead_label}: {t.people_ahead}", 26, False),
        (t.when, 24, False),
    ]
    qr = None
    if t.eticket_url:
        qr = qrcode.make(t.eticket_url, box_size=6, border=2).get_image().convert("L")
    height = 40 + sum(int(size * 1.4) for _, size, _ in lines) + (qr.height + 60 if qr else 0)
    height += 80
    img = Image.new("L", (WIDTH, height), 255)
    draw = ImageDraw.Draw(img)
    y = 20
    for text, size, bold in lines:
        font = _font(size, bold)
        w = draw.textlength(text, font=font)
        draw.text(((WIDTH - w) / 2, y), text, font=font, fill=0)
        y += int(size * 1.4)
    if qr is not None:
        img.paste(qr, ((WIDTH - qr.width) // 2, y))
        y += qr.height + 8
        font = _font(18)
        w = draw.textlength(t.qr_label, font=font)
        draw.text(((WIDTH - w) / 2, y), t.qr_label, font=font, fill=0)
        y += 40
    font = _font(20)
    w = draw.textlength(t.note, font=font)
    draw.text((max(0, (WIDTH - w) / 2), y + 10), t.note, font=font, fill=0)
    return img
