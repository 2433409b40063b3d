"""Text on a screenshot as a person would read it: tesseract (Polish) on a part of the image."""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image


def read_words(
    img: Image.Image, box: tuple[float, float, float, float], scratch: Path
) -> list[str]:
    """Words in ``box`` (left, top, right, bottom as fractions of the image); ``scratch`` is a
    file the crop is written to."""
    w, h = img.size
    part = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    # Small screens have small letters: twice the size reads more reliably.
    scale = 2 if w < 1200 else 1
    part.resize((part.width * scale, part.height * scale), Image.Resampling.LANCZOS).save(scratch)
    run = subprocess.run(
        ["tesseract", str(scratch), "-", "--psm", "11", "-l", "pol"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return run.stdout.split()
