"""Staff passwords as argon2 hashes (argon2-cffi), checked off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10
# Verified when the e-mail is unknown, so the answer takes as long either way.
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, stored, password)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable (English msgid), or None."""
    if len(password) < MIN_LENGTH:
        return "The password must have at least 10 characters."
    if password.isdigit() or password.isalpha():
        return "The password must mix letters with digits or other characters."
    return None
