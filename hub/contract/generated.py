"""Writing a document generated from the schemas (docs/asyncapi.yaml, docs/openapi.json), or
checking that the committed copy is still what the code generates: the drift check CI runs."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(out: Path, text: str, *, check: bool, regenerate: str) -> int:
    """Exit status: with ``check``, 1 when ``out`` differs from ``text`` (``regenerate`` is
    the command that brings it up to date); otherwise ``out`` is written."""
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is out of date: run `{regenerate}`", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0
