"""The hall's group display: one row per ticket and counter (the counter's visitor now
highlighted, a fresh call or recall flashing for a while), waiting counts per service, optionally
the waiting numbers, site name and clock; each call is also spoken when the site has voice."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from appliance.common.hub_client import HubClient
from appliance.common.i18n import localized
from appliance.common.presenter import Presenter
from hub.contract import messages as msg

log = logging.getLogger("okienko.appliance.display")
TZ = ZoneInfo("Europe/Warsaw")
SHOWN_CALLS = 6


class Speaker(Protocol):
    def announce(self, text: str, language: str | None = None, *, chime: bool = True) -> None: ...


@dataclass(frozen=True)
class CallRow:
    number: str
    counter: str  # the counter's short number, e.g. "3"
    highlighted: bool  # the counter's visitor now
    flashing: bool = False  # called or recalled a moment ago


@dataclass(frozen=True)
class ServiceRow:
    name: str
    prefix: str
    waiting: int


@dataclass(frozen=True)
class WaitingNumbers:
    prefix: str
    numbers: tuple[str, ...]  # the next ones in queue order
    more: int  # waiting beyond those listed


@dataclass(frozen=True)
class DisplayModel:
    available: bool
    message: str | None  # shown instead of the numbers when set
    site_name: str = ""
    calls: tuple[CallRow, ...] = ()
    services: tuple[ServiceRow, ...] = ()
    clock: str = ""
    headings: dict[str, str] = field(default_factory=dict)
    # The panel of waiting numbers, when the site switches it on (display_waiting_numbers).
    waiting_panel: bool = False
    waiting: tuple[WaitingNumbers, ...] = ()


def hall_phrases(called: msg.TicketCalled, display_language: str) -> list[tuple[str, str]]:
    """What the hall voice says for a call, as (language, text) in order: Polish (English on an
    English display; a Ukrainian hall screen keeps it Polish), then the site's second language.
    A language the hub sent no text for (an older hub) is left out."""
    first = "en" if display_language == "en" else "pl"
    phrases: list[tuple[str, str]] = []
    for language in [first, *called.hall_languages[1:]]:
        text = getattr(called.announcement, language)
        if text and language not in {lang for lang, _ in phrases}:
            phrases.append((language, text))
    return phrases


class DisplayPresenter(Presenter[DisplayModel]):
    def __init__(
        self,
        client: HubClient,
        *,
        language: str = "pl",
        speaker: Speaker | None = None,
        flash_s: float = 8.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(TZ),
    ) -> None:
        super().__init__(client, language=language)
        self.speaker = speaker
        self.flash_s = flash_s  # how long a call or recall flashes
        self._monotonic = monotonic
        self._now = now
        self.state: msg.QueueState | None = None
        self._flash: dict[tuple[str, str], float] = {}  # (number, counter id) -> until
        self.watch(client.topics.queue_state, msg.QueueState, self._set_state)
        self.watch(client.topics.all_called, msg.TicketCalled, self._on_called)

    def _set_state(self, state: msg.QueueState) -> None:
        self.state = state

    def _on_called(self, called: msg.TicketCalled) -> None:
        """Runs under the presenter's lock (see ``watch``); speaking only enqueues."""
        now = self._monotonic()
        self._flash = {k: until for k, until in self._flash.items() if until > now}
        self._flash[(called.number, called.counter)] = now + self.flash_s
        voice = self.state.voice if self.state else True
        if self.speaker is not None and voice:
            for i, (language, text) in enumerate(hall_phrases(called, self.language)):
                # One chime per call, then each language in its own voice.
                self.speaker.announce(text, language, chime=i == 0)

    def tick(self) -> None:
        """Called every second by the view: the clock and the end of a flash."""
        self.changed()

    def _calls(self, state: msg.QueueState) -> tuple[CallRow, ...]:
        now = self._monotonic()
        rows: list[CallRow] = []
        seen: set[tuple[str, str]] = set()
        for c in state.recent_calls:
            key = (c.number, c.counter)
            if key in seen:  # the hub lists a ticket once per counter; stay safe if not
                continue
            seen.add(key)
            # Only the counter's visitor now is highlighted: a finished, transferred or missed
            # ticket goes back to a plain row even while its flash would last.
            flashing = c.current and self._flash.get(key, 0) > now
            rows.append(CallRow(c.number, c.counter_number, c.current, flashing))
            if len(rows) == SHOWN_CALLS:
                break
        return tuple(rows)

    def model(self) -> DisplayModel:
        _ = self._
        with self._lock:
            headings = {
                "ticket": _("Ticket"),
                "counter": _("Counter"),
                "waiting": _("Waiting"),
                "numbers": _("Waiting numbers"),
                "nobody": _("Nobody is waiting"),
            }
            if not self.available or self.state is None:
                return DisplayModel(
                    False,
                    self.offline_text(),
                    headings=headings,
                    clock=self._now().strftime("%H:%M"),
                )
            services = tuple(
                ServiceRow(
                    localized(self.language, s.name, s.name_en, s.name_uk),
                    s.prefix,
                    s.waiting,
                )
                for s in self.state.services
            )
            listed = [s for s in self.state.services if s.waiting_numbers is not None]
            waiting = tuple(
                WaitingNumbers(
                    s.prefix,
                    tuple(s.waiting_numbers or ()),
                    max(0, s.waiting - len(s.waiting_numbers or ())),
                )
                for s in listed
                if s.waiting_numbers
            )
            return DisplayModel(
                available=True,
                message=None,
                site_name=self.state.site_name,
                calls=self._calls(self.state),
                services=services,
                clock=self._now().strftime("%H:%M"),
                headings=headings,
                waiting_panel=bool(listed),
                waiting=waiting,
            )
