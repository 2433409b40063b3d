"""Notifications: real mail through a real SMTP server (aiosmtpd), SMS through the development
gateway behind the same interface as the SMSAPI adapter."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from web.notify.mail import Mailer, MailError, SmtpSettings
from web.notify.sms import FileGateway, SmsapiGateway, SmsError, SmsGateway, normalise_phone


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
    assert sent["to"] == "48600100200" and sent["text"].startswith("Kod: 123456")
    with pytest.raises(SmsError, match="not a Polish mobile number"):
        await gateway.send("12345", "x")


def test_numbers_are_normalised_and_the_smsapi_adapter_shares_the_interface():
    assert normalise_phone("600-100-200") == "48600100200"
    assert normalise_phone("48600100200") == "48600100200"
    gateway: SmsGateway = SmsapiGateway(access_token="token")
    assert callable(gateway.send)
