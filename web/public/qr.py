"""The access code as a QR code, drawn as inline SVG, so reception's scanner reads it off the
visitor's phone; the code is also printed beside it, and the SVG carries a text alternative."""

from __future__ import annotations

import qrcode
from markupsafe import Markup, escape
from qrcode.constants import ERROR_CORRECT_M

from web.i18n import translations


def access_qr(code: str, language: str) -> Markup:
    """An ``<svg role="img">`` of ``code``: one square per dark module on a white ground with
    the standard quiet zone (a dark page theme must not eat the border scanners need)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(code)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    label = translations(language).gettext(
        "QR code of the access code %(code)s, for the reception or the ticket machine"
    ) % {"code": " ".join(code)}  # spelled out: a screen reader reads it sign by sign
    return Markup(
        '<svg class="qr" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {size} {size}" '
        'shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )
