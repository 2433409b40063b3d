"""Reading pictures back as text with Tesseract (Debian's tesseract-ocr, Polish, English and
Ukrainian data): ticket
previews, appliance screenshots, parts of a screen."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image


def read_text(image: Path, *, psm: int = 4, language: str = "pol") -> str:
    """The text Tesseract reads in ``image``: psm 4 takes it as one column of lines of any
    size (a ticket), psm 11 as sparse text (a screen)."""
    if shutil.which("tesseract") is None:
        pytest.fail("tesseract is missing: apt-get install tesseract-ocr tesseract-ocr-pol")
    done = subprocess.run(
        ["tesseract", str(image), "stdout", "-l", language, "--psm", str(psm)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def read_words(
    img: Image.Image,
    box: tuple[float, float, float, float],
    scratch: Path,
    language: str = "pol",
) -> list[str]:
    """Words in ``box`` (left, top, right, bottom as fractions of the image); ``scratch`` is a
    file the crop is written to; ``language`` Tesseract's ("pol", "eng", "ukr", "pol+ukr")."""
    w, h = img.size
    part = img.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    # Small screens have small letters: twice the size reads more reliably.
    scale = 2 if w < 1200 else 1
    part.resize((part.width * scale, part.height * scale), Image.Resampling.LANCZOS).save(scratch)
    return read_text(scratch, psm=11, language=language).split()
