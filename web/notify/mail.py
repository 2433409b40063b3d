"""E-mail over SMTP with aiosmtplib, from a no-reply sender configured per installation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "Okienko <no-reply@localhost>"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0


class MailError(Exception):
    """The message could not be handed to the SMTP server."""


class SmtpConfigError(ValueError):
    """The SMTP options of ``okienko web`` do not describe a usable server."""


def smtp_settings(
    address: str,
    sender: str,
    *,
    username: str | None = None,
    starttls: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> SmtpSettings:
    """``--smtp HOST:PORT`` with the account from ``--smtp-user`` or OKIENKO_SMTP_USER and
    STARTTLS from ``--smtp-starttls`` or OKIENKO_SMTP_STARTTLS=1. The password is read from
    OKIENKO_SMTP_PASSWORD only: a command line is visible to every user of the machine."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise SmtpConfigError(f"--smtp: '{address}' is not HOST:PORT")
    username = username or environ.get("OKIENKO_SMTP_USER") or None
    password = environ.get("OKIENKO_SMTP_PASSWORD") or None
    if bool(username) != bool(password):
        raise SmtpConfigError(
            "SMTP sign-in needs both --smtp-user (or OKIENKO_SMTP_USER) and OKIENKO_SMTP_PASSWORD"
        )
    on = environ.get("OKIENKO_SMTP_STARTTLS", "").strip().lower() in ("1", "yes", "true", "on")
    return SmtpSettings(
        host=host,
        port=int(port),
        sender=sender,
        username=username,
        password=password,
        starttls=starttls or on,
    )


class Mailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def compose(
        self,
        to: str,
        subject: str,
        text: str,
        *,
        attachments: tuple[tuple[str, str, bytes], ...] = (),
    ) -> EmailMessage:
        """A plain-text message; ``attachments``: (file name, MIME type, content)."""
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        for filename, mime, content in attachments:
            maintype, subtype = mime.split("/", 1)
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        return message

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                start_tls=s.starttls,
                timeout=s.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailError(f"mail to the SMTP server {s.host}:{s.port} failed: {exc}") from exc
