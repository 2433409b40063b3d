"""SMS through one gateway interface: SMSAPI.pl in production (smsapi-client), a file that
collects messages in development and tests (no gateway can exist here).

Messages carry no more personal data than needed: a code, a time, a place; never a name.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from okienko.private_files import append_private, private_dir

PHONE = re.compile(r"^(?:\+?48)?\s*(\d{3})[\s-]?(\d{3})[\s-]?(\d{3})$")


class SmsError(Exception):
    pass


def normalise_phone(text: str) -> str:
    """A Polish mobile number as 48XXXXXXXXX, or SmsError with a clear reason."""
    m = PHONE.match(text.strip())
    if not m:
        raise SmsError(f"'{text}' is not a Polish mobile number (9 digits)")
    return "48" + "".join(m.groups())


class SmsGateway(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


@dataclass
class FileGateway:
    """Development gateway: one JSON line per message in ``path``."""

    path: Path

    async def send(self, phone: str, text: str) -> None:
        record = {"to": normalise_phone(phone), "text": text, "at": datetime.now(UTC).isoformat()}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        private_dir(self.path.parent)
        append_private(self.path, line.encode("utf-8"))

    def sent(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]


@dataclass
class SmsapiGateway:
    """SMSAPI.pl through its official client; ``sender`` is a registered sender name."""

    access_token: str
    sender: str | None = None

    async def send(self, phone: str, text: str) -> None:
        from smsapi.client import SmsApiPlClient
        from smsapi.exception import SmsApiException

        client = SmsApiPlClient(access_token=self.access_token)
        kwargs = {"to": normalise_phone(phone), "message": text}
        if self.sender:
            kwargs["from_"] = self.sender
        try:
            await asyncio.to_thread(client.sms.send, **kwargs)
        except SmsApiException as exc:
            raise SmsError(f"SMSAPI refused the message: {exc}") from exc
