"""Where a sign-in page sends the user afterwards (``next``): a path on this site, inside one
of the parts the page signs in to, or that part's home page.

Browsers are generous with what they take for another site: ``//evil.example``,
``/\\evil.example`` (a backslash counts as a slash) and ``/<TAB>/evil.example`` (tabs and line
breaks are dropped) all leave the site, so anything with a backslash, a control character or
white space is refused outright rather than cleaned.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

# The parts whose pages a sign-in may return to.
PART_PREFIXES = ("/staff/", "/admin/", "/helpdesk/", "/usterki/")


def _is_own_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str, prefixes: Iterable[str] = PART_PREFIXES) -> str:
    """``target`` when it is a path of this site under one of ``prefixes``, else ``default``."""
    if target and _is_own_path(target) and target.startswith(tuple(prefixes)):
        return target
    return default
