"""The access code a booked visitor carries from the confirmation to the dispenser: its
alphabet, how it is written for reading aloud, and how typed or scanned input is read.

One module for every side of the wire: the cloud draws codes from this alphabet, the
dispenser's keypad offers exactly it, and the hub, reception and dispenser all read input
the same way (case, spaces and dashes ignored).
"""

from __future__ import annotations

import re

# No 0/O, 1/I/L: nothing a visitor can mistake for another sign, on paper or on the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
GROUP = 4
MAX_LENGTH = 16  # what CheckInRequest carries; longer input is not a code


def normalise(text: str) -> str:
    """A code as typed or scanned: any case, spaces and dashes ignored."""
    return re.sub(r"[\s\-]", "", text).upper()[:MAX_LENGTH]


def grouped(code: str) -> str:
    """``TTM4Z9UZ`` → ``TTM4 Z9UZ``: in groups of four, to read out and to type back."""
    code = normalise(code)
    return " ".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def is_code_sign(char: str) -> bool:
    return len(char) == 1 and char.upper() in ALPHABET
