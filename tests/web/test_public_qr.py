"""The QR code of the access code on the done and visit pages: the squares drawn are exactly
the QR symbol of the code (with its quiet zone, on white), and it has a text alternative."""

from __future__ import annotations

import re

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from web.public.qr import access_qr


def drawn(svg: str) -> tuple[int, set[tuple[int, int]]]:
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))  # type: ignore[union-attr]
    d = re.search(r'<path fill="#000" d="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    return size, {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)h1v1h-1z", d)}


def test_the_svg_draws_the_qr_symbol_of_the_access_code():
    svg = access_qr("K7M2Q9PX", "pl")
    size, dark = drawn(svg)
    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    symbol.add_data("K7M2Q9PX")
    symbol.make(fit=True)
    modules = symbol.get_matrix()
    assert size == len(modules) + 8  # four blank modules around: the quiet zone scanners need
    expected = {(x + 4, y + 4) for y, row in enumerate(modules) for x, on in enumerate(row) if on}
    assert dark == expected
    assert f'<rect width="{size}" height="{size}" fill="#fff"/>' in svg


def test_the_qr_code_says_what_it_is_in_the_visitors_language():
    pl, en = str(access_qr("K7M2Q9PX", "pl")), str(access_qr("K7M2Q9PX", "en"))
    assert 'role="img"' in pl
    assert 'aria-label="Kod QR z kodem dostępu K 7 M 2 Q 9 P X, dla recepcji' in pl
    assert 'aria-label="QR code of the access code K 7 M 2 Q 9 P X, for the reception' in en
