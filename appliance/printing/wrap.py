"""Word wrap for ticket lines, by whatever measure the medium has: characters on an ESC/POS
printer, dots on a picture. A long office or service name goes on two lines, never off the paper."""

from __future__ import annotations

from collections.abc import Callable


def wrap(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy: as many words on a line as `fits`; a word too long for a line on its own is cut
    (a 40-letter word is rarer than a clipped one is harmful)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        while not fits(word) and len(word) > 1:
            cut = max(1, next((n for n in range(len(word), 0, -1) if fits(word[:n])), 1))
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines
