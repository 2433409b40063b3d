"""Reading a picture back as text with Tesseract (Debian's tesseract-ocr, Polish data)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def read_text(image: Path, *, psm: int = 4, language: str = "pol") -> str:
    """The text Tesseract reads in `image`; psm 4 takes it as one column of lines of any size."""
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
