"""The hall's group display: the latest calls (the newest highlighted for a while), waiting
counts per service, site name and clock; each call is also spoken when the site has voice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from appliance.common.hub_client import HubClient
from appliance.common.presenter import Presenter
from hub.contract import messages as msg

log = logging.getLogger("okienko.appliance.display")
TZ = ZoneInfo("Europe/Warsaw")
SHOWN_CALLS = 6


class Speaker(Protocol):
    def announce(self, text: str) -> None: ...


@dataclass(frozen=True)
class CallRow:
    number: str
    counter: str  # the counter's short number, e.g. "3"
    highlighted: bool


@dataclass(frozen=True)
class ServiceRow:
    name: str
    prefix: str
    waiting: int


@dataclass(frozen=True)
class DisplayModel:
    available: bool
    message: str | None  # shown instead of the numbers when set
    site_name: str = ""
    calls: tuple[CallRow, ...] = ()
    services: tuple[ServiceRow, ...] = ()
    clock: str = ""
    headings: dict[str, str] = field(default_factory=dict)


class DisplayPresenter(Presenter[DisplayModel]):
    def __init__(
        self,
        client: HubClient,
        *,
        language: str = "pl",
        speaker: Speaker | None = None,
        highlight_s: float = 8.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(TZ),
    ) -> None:
        super().__init__(client, language=language)
        self.speaker = speaker
        self.highlight_s = highlight_s
        self._monotonic = monotonic
        self._now = now
        self.state: msg.QueueState | None = None
        self._highlight: dict[str, float] = {}  # number -> until (monotonic)
        self.watch(client.topics.queue_state, msg.QueueState, self._set_state)
        self.watch(client.topics.all_called, msg.TicketCalled, self._on_called)

    def _set_state(self, state: msg.QueueState) -> None:
        self.state = state

    def _on_called(self, called: msg.TicketCalled) -> None:
        """Runs under the presenter's lock (see ``watch``); speaking only enqueues."""
        self._highlight[called.number] = self._monotonic() + self.highlight_s
        voice = self.state.voice if self.state else True
        if self.speaker is not None and voice:
            text = called.announcement.pl if self.language == "pl" else called.announcement.en
            self.speaker.announce(text)

    def tick(self) -> None:
        """Called every second by the view: the clock and the highlight's end."""
        self.changed()

    def model(self) -> DisplayModel:
        _ = self._
        with self._lock:
            headings = {
                "ticket": _("Ticket"),
                "counter": _("Counter"),
                "waiting": _("Waiting"),
            }
            if not self.available or self.state is None:
                return DisplayModel(
                    False,
                    self.offline_text(),
                    headings=headings,
                    clock=self._now().strftime("%H:%M"),
                )
            now = self._monotonic()
            calls = tuple(
                CallRow(c.number, c.counter_number, self._highlight.get(c.number, 0) > now)
                for c in self.state.recent_calls[:SHOWN_CALLS]
            )
            services = tuple(
                ServiceRow(
                    s.name if self.language == "pl" else (s.name_en or s.name),
                    s.prefix,
                    s.waiting,
                )
                for s in self.state.services
            )
            return DisplayModel(
                available=True,
                message=None,
                site_name=self.state.site_name,
                calls=calls,
                services=services,
                clock=self._now().strftime("%H:%M"),
                headings=headings,
            )
