"""Encrypted attachments ("Tak, proszę zaszyfrować pliki"): AES-256-GCM with a key derived by
scrypt from a generated password. The server keeps the salt, nonce and ciphertext only; the
password goes by e-mail to the recipients, so without it the server cannot give out the file."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# 2**15 × 8 × 1: ~32 MiB and a few tens of milliseconds a derivation.
_N, _R, _P = 2**15, 8, 1
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class WrongPassword(Exception):
    """The password does not open the file (or the file was altered)."""


@dataclass(frozen=True)
class Sealed:
    salt: bytes
    nonce: bytes
    ciphertext: bytes


def generate_password(length: int = 20) -> str:
    """About 115 bits, without look-alike characters (it is typed from an e-mail)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _key(password: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_N, r=_R, p=_P).derive(password.encode())


def seal(password: str, data: bytes, *, context: bytes = b"") -> Sealed:
    """``context`` (e.g. the request number and file name) is authenticated with the data, so a
    ciphertext moved to another request does not open."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    return Sealed(salt, nonce, AESGCM(_key(password, salt)).encrypt(nonce, data, context))


def unseal(password: str, sealed: Sealed, *, context: bytes = b"") -> bytes:
    try:
        return AESGCM(_key(password.strip(), sealed.salt)).decrypt(
            sealed.nonce, sealed.ciphertext, context
        )
    except InvalidTag as exc:
        raise WrongPassword() from exc
