"""The site's own small PKI: a CA (ECDSA P-256) whose key never leaves the state directory,
and the broker's server certificate for the hub's names and addresses. Pure: bytes in, bytes
out; the files are written by ``provisioning.statedir``.

An office with its own PKI hands in its CA certificate and a server certificate instead
(``check_server``): then there is no CA key here, and renewal is the office's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 397
"""Like the public web's limit: a yearly `provision renew-cert`, warned 30 days ahead."""
RENEW_BEFORE = timedelta(days=30)


class PkiError(Exception):
    """A certificate or key that cannot serve the site; the message says which and why."""


@dataclass(frozen=True)
class KeyPair:
    cert_pem: bytes
    key_pem: bytes


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def create_ca(site_id: str, now: datetime, *, days: int = CA_DAYS) -> KeyPair:
    """A new site CA: may sign server certificates only (path length 0)."""
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Okienko"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Okienko site CA {site_id}"),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def issue_server(
    ca: KeyPair, names: Iterable[str], now: datetime, *, days: int = SERVER_DAYS
) -> KeyPair:
    """The broker's certificate, valid for ``names`` (host names and IP addresses)."""
    sans = list(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    if not sans:
        raise PkiError("the broker's certificate needs at least one host name or address")
    ca_cert = load_cert(ca.cert_pem, "the site CA")
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise PkiError("the site CA's key is not an ECDSA key")
    key = _new_key()
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, sans[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([_general_name(n) for n in sans]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def load_cert(pem: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise PkiError(f"{what}: not a PEM certificate") from None


def names_of(cert_pem: bytes) -> list[str]:
    """The host names and addresses a certificate is valid for."""
    cert = load_cert(cert_pem, "certificate")
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n.value) for n in san]


def expires(cert_pem: bytes) -> datetime:
    return load_cert(cert_pem, "certificate").not_valid_after_utc


def due_for_renewal(cert_pem: bytes, now: datetime) -> bool:
    return expires(cert_pem) - now <= RENEW_BEFORE


def check_server(ca_pem: bytes, server: KeyPair, names: Iterable[str], now: datetime) -> None:
    """An office's own certificates: the server certificate is signed by the CA, its key
    matches, it is valid now and covers every name devices use. Raises ``PkiError``."""
    ca = load_cert(ca_pem, "CA certificate")
    cert = load_cert(server.cert_pem, "server certificate")
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise PkiError("the server certificate is not issued by the given CA") from None
    try:
        key = serialization.load_pem_private_key(server.key_pem, password=None)
    except (ValueError, TypeError):
        raise PkiError("the server key is not an unencrypted PEM private key") from None
    same = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*same) != cert.public_key().public_bytes(*same):
        raise PkiError("the server key does not belong to the server certificate")
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise PkiError(
            f"the server certificate is not valid now (expires {expires(server.cert_pem)})"
        )
    have = {n.lower() for n in names_of(server.cert_pem)}
    missing = [n for n in names if n.lower() not in have]
    if missing:
        raise PkiError(f"the server certificate does not cover: {', '.join(missing)}")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
