"""Where codes and confirmations go: e-mail to an address, SMS to a phone number.

``Notifier`` picks the channel from the contact the visitor gave. In development (no SMTP
server, no SMS account) messages land in an outbox folder: .eml files and sms.jsonl.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from okienko.private_files import create_private, private_dir
from web.notify.mail import Mailer, SmtpSettings
from web.notify.sms import FileGateway, SmsGateway


class OutboxMailer(Mailer):
    """A mailer that writes each message as an .eml file instead of sending it."""

    def __init__(self, directory: Path, sender: str = "Okienko <no-reply@localhost>") -> None:
        super().__init__(SmtpSettings(sender=sender))
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}.eml"
        await asyncio.to_thread(self._write, path, message.as_bytes())

    def _write(self, path: Path, data: bytes) -> None:
        # Codes and links in these messages are secrets: private folder, private files.
        private_dir(self.directory)
        create_private(path, data)


@dataclass
class Notifier:
    mailer: Mailer
    sms: SmsGateway

    async def send(self, contact: str, subject: str, text: str) -> None:
        if "@" in contact:
            await self.mailer.send(self.mailer.compose(contact, subject, text))
        else:
            await self.sms.send(contact, text)

    @classmethod
    def outbox(cls, directory: Path) -> Notifier:
        return cls(OutboxMailer(directory), FileGateway(directory / "sms.jsonl"))
