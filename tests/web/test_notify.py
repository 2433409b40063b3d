"""Notifications: real mail through a real SMTP server (aiosmtpd), SMS through the development
gateway behind the same interface as the SMSAPI adapter."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support.sitefile import site_toml
from web.notify.mail import Mailer, MailError, SmtpConfigError, SmtpSettings, smtp_settings
from web.notify.sms import FileGateway, SmsapiGateway, SmsError, SmsGateway, normalise_phone
from web.reservations.booking import TZ


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_mail_with_polish_text_and_an_attachment_arrives(smtp: tuple[Inbox, int]):
    inbox, port = smtp
    mailer = Mailer(SmtpSettings(port=port, sender="Urząd <no-reply@um.example>"))
    message = mailer.compose(
        "jan@example.org",
        "Potwierdzenie wizyty",
        "Kod dostępu: K7M2Q9PX\nŚroda, 9:00",
        attachments=(("wizyta.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),),
    )
    await mailer.send(message)
    (got,) = inbox.messages
    assert got["To"] == "jan@example.org"
    parts = list(got.walk())
    body = next(p for p in parts if p.get_content_type() == "text/plain")
    assert "Kod dostępu: K7M2Q9PX" in body.get_payload(decode=True).decode("utf-8")
    assert any(p.get_filename() == "wizyta.ics" for p in parts)


async def test_an_unreachable_smtp_server_is_a_clear_error():
    mailer = Mailer(SmtpSettings(port=free_port(), timeout=2))
    with pytest.raises(MailError, match="SMTP server"):
        await mailer.send(mailer.compose("a@example.org", "x", "y"))


async def test_sms_goes_through_the_gateway_interface(tmp_path: Path):
    gateway: SmsGateway = FileGateway(tmp_path / "sms.jsonl")
    await gateway.send("+48 600 100 200", "Kod: 123456. Wizyta 25.11 9:00, Batorego 38/40.")
    assert isinstance(gateway, FileGateway)
    (sent,) = gateway.sent()
    assert sent["to"] == "+48600100200" and sent["text"].startswith("Kod: 123456")
    with pytest.raises(SmsError, match="not a phone number"):
        await gateway.send("12345", "x")
    with pytest.raises(SmsError, match="not a mobile number"):
        await gateway.send("22 123 45 67", "x")  # a Warsaw landline gets no SMS


def test_numbers_are_normalised_and_the_smsapi_adapter_shares_the_interface():
    assert normalise_phone("600-100-200") == "+48600100200"
    assert normalise_phone("48600100200") == "+48600100200"  # as stored before E.164
    assert normalise_phone("+49 151 23456789") == "+4915123456789"
    assert normalise_phone("0049 151 2345 6789") == "+4915123456789"
    assert normalise_phone("+380 50 123 4567") == "+380501234567"
    gateway: SmsGateway = SmsapiGateway(access_token="token")
    assert callable(gateway.send)


# -- a mail server that wants STARTTLS and a password (as most providers do) ----------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key; trusted through SSL_CERT_FILE."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.pem", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, int]]:
    """An SMTP server that accepts mail only after STARTTLS and AUTH as okienko/tajne-haslo."""
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # this process and the ones it starts

    def authenticate(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"okienko",
            b"tajne-haslo",
        )
        return AuthResult(success=ok)

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def test_smtp_account_and_starttls_come_from_flags_or_the_environment():
    env = {"OKIENKO_SMTP_PASSWORD": "tajne-haslo"}
    s = smtp_settings("mail.um.example:587", "U <n@um.example>", username="okienko", environ=env)
    assert (s.host, s.port, s.username, s.password, s.starttls) == (
        "mail.um.example",
        587,
        "okienko",
        "tajne-haslo",
        False,
    )
    env |= {"OKIENKO_SMTP_USER": "z-env", "OKIENKO_SMTP_STARTTLS": "1"}
    s = smtp_settings("mail.um.example:587", "U <n@um.example>", environ=env)
    assert (s.username, s.starttls) == ("z-env", True)
    assert smtp_settings("h:25", "x", starttls=True, environ={}).starttls
    with pytest.raises(SmtpConfigError, match="OKIENKO_SMTP_PASSWORD"):
        smtp_settings("h:25", "x", username="okienko", environ={})
    with pytest.raises(SmtpConfigError, match="HOST:PORT"):
        smtp_settings("mail.um.example", "x", environ={})


async def test_mail_goes_through_a_server_that_wants_starttls_and_a_password(
    provider: tuple[Inbox, int],
):
    inbox, port = provider
    env = {"OKIENKO_SMTP_PASSWORD": "tajne-haslo"}
    settings = smtp_settings(
        f"127.0.0.1:{port}", "U <n@um.example>", username="okienko", starttls=True, environ=env
    )
    mailer = Mailer(settings)
    await mailer.send(mailer.compose("jan@example.org", "Kod", "Kod: 123456"))
    assert [m["To"] for m in inbox.messages] == ["jan@example.org"]
    wrong = Mailer(SmtpSettings(**{**settings.__dict__, "password": "zgadywane"}))
    with pytest.raises(MailError):
        await wrong.send(wrong.compose("jan@example.org", "Kod", "Kod: 123456"))
    plain = Mailer(SmtpSettings(**{**settings.__dict__, "starttls": False}))
    with pytest.raises(MailError):
        await plain.send(plain.compose("jan@example.org", "Kod", "Kod: 123456"))
    assert len(inbox.messages) == 1


def test_okienko_web_signs_in_to_the_mail_server(
    provider: tuple[Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import time

    import httpx

    from tests.support.webproc import WebProcess

    inbox, port = provider
    monkeypatch.setenv("OKIENKO_SMTP_PASSWORD", "tajne-haslo")
    site = tmp_path / "site.toml"
    site.write_text(site_toml(database=tmp_path / "hub.sqlite3", mqtt_port=1, hub_password="x"))
    web = WebProcess.start(
        tmp_path,
        smtp_port=port,
        site=site,
        extra=["--smtp-user", "okienko", "--smtp-starttls"],
    )
    try:
        start = (datetime.now(TZ) + timedelta(days=1)).replace(
            hour=11, minute=0, second=0, microsecond=0
        )
        held = httpx.post(
            f"{web.url}/api/v1/reservations",
            json={
                "service": "dowody",
                "start": start.isoformat(),
                "name": "Jan Nowak",
                "contact": "jan.tls@example.org",
                "terms": True,
                "privacy": True,
            },
        )
        assert held.status_code == 201, held.text
        deadline = time.monotonic() + 10
        while not inbox.messages:
            assert time.monotonic() < deadline, web.log.read_text()
            time.sleep(0.05)
        assert inbox.messages[0]["To"] == "jan.tls@example.org"
    finally:
        web.stop()
