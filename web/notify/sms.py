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

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from okienko.private_files import append_private, private_dir

# What can receive an SMS; a country that does not tell mobiles from landlines says "either".
MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class SmsError(Exception):
    pass


def normalise_phone(text: str) -> str:
    """A mobile number in E.164 (+48600100200, +4915123456789), or SmsError with a reason.

    Without a country code the number is Polish; "0049…" and numbers stored before E.164
    (48600100200) are read too."""
    typed = text.strip()
    digits = re.sub(r"[\s().-]", "", typed)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    candidates = [digits]
    if digits.isdigit() and len(digits) > 9:
        candidates.append("+" + digits)  # a number stored without its plus
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "PL")
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            if phonenumbers.number_type(number) not in MOBILE:
                raise SmsError(f"'{text}' is not a mobile number")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise SmsError(f"'{text}' is not a phone number")


def show_phone(phone: str) -> str:
    """A stored number as people read it: +48 600 100 200, +49 1512 3456789."""
    try:
        number = phonenumbers.parse(normalise_phone(phone))
    except SmsError:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


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
        kwargs = {"to": normalise_phone(phone).lstrip("+"), "message": text}
        if self.sender:
            kwargs["from_"] = self.sender
        try:
            await asyncio.to_thread(client.sms.send, **kwargs)
        except SmsApiException as exc:
            raise SmsError(f"SMSAPI refused the message: {exc}") from exc
