"""What a paper ticket says (seed 002: service, number, people waiting, date and time), and
its kind when it is not a plain walk-in one (priority, booked visit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Warsaw")


@dataclass(frozen=True)
class PrintedTicket:
    site_name: str
    service_name: str
    number: str
    people_ahead: int
    issued_at: datetime
    eticket_url: str | None = None
    # e.g. "Obsługa poza kolejnością", "Rezerwacja"; None for a walk-in ticket
    kind_label: str | None = None
    note: str = "Prosimy czekać na wywołanie numeru na monitorze."
    ahead_label: str = "Osób przed Tobą"
    qr_label: str = "Zeskanuj, aby śledzić kolejkę w telefonie"

    @property
    def when(self) -> str:
        return self.issued_at.astimezone(TZ).strftime("%d.%m.%Y %H:%M")
