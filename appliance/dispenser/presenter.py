"""The ticket dispenser (biletomat): a touch grid of services with waiting counts and estimated
waits, a priority choice, "Potwierdzenie wizyty" with a code keypad, printing, and printer
trouble reported to the hub and shown to the visitor.

Without sight (EN 301 549 clause 5, docs/ACCESSIBILITY.md): a keypad key or a long touch starts
voice guidance; the keypad then moves a focus over the same choices the screen shows (`choices`),
each spoken as it gets focus. A time limit is always announced, on screen and aloud, and can be
extended.

Each visitor may choose the language (Polski · English · Українська) on the first screen: the
screens, the voice and the printed ticket follow it, and the next visitor starts in the default
language again (after the ticket, or when time runs out).

One tap is one request id: retries after a timeout reuse it, and taps while a request is in
flight are ignored, so a tap never yields two tickets. A ticket the hub issued but the printer
failed to print stays available for a reprint.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from appliance.common.errors import describe
from appliance.common.hub_client import SOFTWARE, HubClient, HubUnavailable, new_request_id
from appliance.common.i18n import LANGUAGES, NATIVE_NAMES, gettext_for, localized, ngettext_for
from appliance.common.presenter import Presenter
from appliance.dispenser import phrases
from appliance.dispenser.choices import Choice, choices, reasons
from hub.contract import access_code
from hub.contract import messages as msg
from hub.contract.topics import Operation
from hub.domain.events import PriorityReason, TicketKind

log = logging.getLogger("okienko.appliance.dispenser")


# What the keypad asks of the dispenser (the view maps key codes to these).
NAV_COMMANDS = (
    "up", "down", "left", "right", "activate", "help", "contrast", "delete", "louder", "quieter"
)  # fmt: skip
VOLUME_STEP, VOLUME_MIN, VOLUME_MAX = 10, 10, 150  # per cent of the voice's own loudness
CODE_COLUMNS = 8  # the code keypad's keys per row: up and down move by a row
GRACE_SECONDS = 20.0  # after the warning, before the reset (WCAG 2.2.1: at least 20 s)
VOICE_IDLE_FACTOR = 3  # a visitor listening needs longer than one reading


class Speaker(Protocol):
    def say(self, text: str, *, language: str) -> None: ...

    # Optional (the guide has it): the loudness of what is said next, 1.0 the voice's own.
    # set_volume(self, volume: float) -> None


class TicketPrinter(Protocol):
    def print_ticket(self, ticket: Any) -> None: ...

    def status(self) -> msg.PrinterState: ...


@dataclass(frozen=True)
class Tile:
    service: str
    name: str
    prefix: str
    waiting: int
    wait_text: str
    enabled: bool
    reason: str  # why it is disabled, shown on the tile
    wait_s: float | None = None  # the estimate in seconds, for speech
    waiting_text: str = ""  # "3 osoby czekają": the count with its noun in agreement


@dataclass(frozen=True)
class DispenserModel:
    available: bool
    screen: str  # services | priority | code | ticket | trouble
    message: str
    tiles: tuple[Tile, ...] = ()
    priority_reason: str | None = None
    reasons: tuple[tuple[str, str], ...] = ()
    code: str = ""  # as typed, without spaces
    ticket: msg.TicketInfo | None = None
    busy: bool = False
    site_name: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    focus: str | None = None  # the key of the focused choice while the keypad guides
    contrast: bool = False  # large text and high contrast
    low_reach: bool = False  # every control in the lower part of the screen
    warning: str = ""  # time is running out: shown with a button to extend it
    language: str = "pl"  # the session's
    languages: tuple[tuple[str, str], ...] = ()  # (code, native name) on the first screen


def wait_text(seconds: float | None, _: Callable[[str], str]) -> str:
    """The estimate on a tile, abbreviated ("ok. 5 min"), so no plural is needed."""
    if seconds is None:
        return _("wait unknown")
    minutes = math.ceil(seconds / 60)
    if minutes <= 1:
        return _("no waiting")
    return _("about {n} min").format(n=minutes)


class DispenserPresenter(Presenter[DispenserModel]):
    def __init__(
        self,
        client: HubClient,
        printer: TicketPrinter,
        *,
        language: str = "pl",
        idle_seconds: float = 20.0,
        run: Callable[[Callable[[], None]], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        make_ticket: Callable[..., Any] | None = None,
        speaker: Speaker | None = None,
        low_reach: bool = False,
        grace_seconds: float = GRACE_SECONDS,
        double_strike_s: float = 0.0,
        volume: int = 100,
    ) -> None:
        super().__init__(client, language=language)
        self.default_language = language
        self.n_ = ngettext_for(language)
        self.printer = printer
        self.idle_seconds = idle_seconds
        self._monotonic = monotonic
        self._run = run or (lambda fn: threading.Thread(target=fn, daemon=True).start())
        self._make_ticket = make_ticket or printed_ticket
        self.queue: msg.QueueState | None = None
        self.screen = "services"
        self.message = ""
        self.busy = False
        self.priority_reason: PriorityReason | None = None
        self.code = ""
        self.ticket: msg.TicketInfo | None = None
        self.unprinted: msg.TicketInfo | None = None
        self._last_touch = monotonic()
        self.speaker = speaker
        self.low_reach = low_reach
        self.grace_seconds = grace_seconds
        # A tremor's second press of the same key (EN 301 549 5.8), ignored within this time.
        self.double_strike_s = double_strike_s
        self._last_nav = ("", float("-inf"))
        self.voice = False  # the keypad guides, by voice
        self.default_volume = volume  # the configured loudness, per cent
        self.volume = volume  # this visitor's (keypad + and -), until the session ends
        self.contrast = False
        self.focus: str | None = None
        self.warning = ""
        self._warned_at = 0.0
        self._typing = False  # signs came from a keyboard or scanner since the last keypad key
        self._heard: tuple[Any, ...] = ()  # the state the guide last spoke about
        self.watch(client.topics.queue_state, msg.QueueState, self._set_queue)

    def _set_queue(self, queue: msg.QueueState) -> None:
        self.queue = queue

    # --- actions -------------------------------------------------------------------------

    def _touch(self) -> None:
        self._last_touch = self._monotonic()
        self.warning = ""

    def touched(self) -> None:
        """A finger anywhere on the screen: time is extended."""
        warned = bool(self.warning)
        self._touch()
        if warned:
            self.changed()

    def choose_service(self, service: str) -> None:
        self._touch()
        with self._lock:
            if self.busy:
                return
            reason = self.priority_reason
            kind = TicketKind.PRIORITY if reason else TicketKind.WALK_IN
            request = msg.IssueTicketRequest(
                request_id=new_request_id(), service=service, kind=kind, priority_reason=reason
            )
        self._request(Operation.ISSUE_TICKET, request)

    def start_priority(self) -> None:
        self._touch()
        with self._lock:
            self.screen = "priority"
        self.changed()

    def choose_priority(self, reason: str) -> None:
        self._touch()
        with self._lock:
            self.priority_reason = PriorityReason(reason)
            self.screen = "services"
        self.changed()

    def start_code(self) -> None:
        self._touch()
        with self._lock:
            self.screen, self.code, self.message = "code", "", ""
        self.changed()

    def key(self, key: str) -> None:
        """Keypad of the access code: a sign of the code's alphabet, "back", "ok"."""
        self._touch()
        with self._lock:
            if key == "back":
                self.code = self.code[:-1]
            elif key == "ok":
                code = self.code
            elif len(self.code) < access_code.MAX_LENGTH and access_code.is_code_sign(key):
                self.code += key.upper()
        if key == "ok":
            try:
                request = msg.CheckInRequest(request_id=new_request_id(), code=code)
            except ValidationError:
                with self._lock:
                    self.message = self._("Enter the code from your confirmation.")
                self.changed()
                return
            self._request(Operation.CHECK_IN, request)
            return
        self.changed()

    def typed(self, text: str) -> None:
        """Keyboard input: an attached keyboard, or a code scanner reading the confirmation's
        QR code (it types the code, then Enter). On the first screen a code sign opens the
        check-in, so a visitor can scan without touching anything first."""
        with self._lock:
            screen, busy = self.screen, self.busy
        if busy or screen not in ("services", "code"):
            return
        signs = [c for c in text if access_code.is_code_sign(c)]
        if not signs:
            return
        self._typing = True
        if screen == "services":
            self.start_code()
        for sign in signs:
            self.key(sign)
        if self.voice:
            self._say(self._code_text())

    def enter(self) -> None:
        """Enter on a keyboard (a scanner ends each code with it); while the keypad guides
        and nothing was typed, it chooses the focused choice."""
        if self.voice and not self._typing:
            self.nav("activate")
        elif self.screen == "code" and not self.busy:
            self._typing = False
            self.key("ok")

    def escape(self) -> None:
        """Escape: the help while the keypad guides, else back to the start."""
        if self.voice:
            self.nav("help")
        else:
            self.cancel()

    def cancel(self) -> None:
        self._touch()
        self._reset()

    def reprint(self) -> None:
        self._touch()
        with self._lock:
            ticket = self.unprinted
            if ticket is None or self.busy:
                return
            self.busy = True
        self.changed()
        self._run(lambda: self._print(ticket))

    def tick(self) -> None:
        """Every second: back to the start after a while without a touch or key. Where a
        visitor would lose something (a choice, a code, the voice or the large text), a warning
        comes first, on screen and aloud, and any touch or key extends the time."""
        with self._lock:
            foreign = self.language != self.default_language
            session = (
                self.screen != "services"
                or self.priority_reason is not None
                or self.voice
                or self.contrast
                or foreign
            )
            idle = self._monotonic() - self._last_touch
            limit = self.idle_seconds * (VOICE_IDLE_FACTOR if self.voice else 1)
            # A printed ticket loses nothing: the next visitor finds the start screen.
            warns = (
                self.voice
                or self.contrast
                or (foreign and self.screen == "services")
                or self.screen in ("priority", "code")
                or (self.screen == "services" and self.priority_reason is not None)
            )
            if not session or self.busy or idle < limit:
                action = "none"
            elif not warns or (
                self.warning and self._monotonic() - self._warned_at >= self.grace_seconds
            ):
                action = "reset"
            elif not self.warning:
                action = "warn"
                self._warned_at = self._monotonic()
                self.warning = self._("Do you need more time? Touch the screen or press any key.")
            else:
                action = "none"
        if action == "reset":
            self._reset(end_session=True)
            return
        if action == "warn":
            self._say(" ".join((self.warning, self._("Otherwise the dispenser starts over."))))
        self.changed()

    def extend(self) -> None:
        self._touch()
        self.changed()

    def choose_language(self, language: str) -> None:
        """The visitor's language, for the screens, the voice and the ticket, until the
        session ends."""
        if language not in LANGUAGES:
            return
        self._touch()
        with self._lock:
            self._set_language(language)
        if self.voice:
            # each catalog names its own language here: "Język: polski.", "Мова: українська."
            said = self._("Language: English.")
            self._say(" ".join((said, self._screen_intro(), self._focused_text())))
        self.changed()

    def _set_language(self, language: str) -> None:
        self.language = language
        self._ = gettext_for(language)
        self.n_ = ngettext_for(language)

    def _reset(self, *, end_session: bool = False) -> None:
        restore = False
        with self._lock:
            if end_session or self.screen in ("ticket", "trouble"):
                # the ticket is taken (or time ran out): the next visitor starts afresh, in
                # the default language and at the configured loudness (EN 301 549 5.1.3.13)
                self._set_language(self.default_language)
                restore = self.volume != self.default_volume
                self.volume = self.default_volume
            self.screen, self.message, self.code = "services", "", ""
            self.priority_reason = None
            self.ticket = None
            self.warning = ""
            if end_session:
                self.voice, self.contrast, self.focus = False, False, None
        if restore:
            self._apply_volume()
        self.changed()

    # --- the keypad and the voice ---------------------------------------------------------

    def nav(self, command: str) -> None:
        """A key of the keypad (see NAV_COMMANDS). The first one starts voice guidance."""
        now = self._monotonic()
        last, at = self._last_nav
        self._last_nav = (command, now)
        if command == last and now - at < self.double_strike_s:
            return
        self._touch()
        with self._lock:
            self._typing = False
            starting = not self.voice
            self.voice = True
            choices = self._choices()
            keys = [c.key for c in choices]
            if self.focus not in keys:
                self.focus = keys[0] if keys else None
        if starting:
            with self._lock:
                self._heard = self._hearing()
                if command == "contrast":  # the star was pressed for what it does: do it too
                    self.contrast = True
            on = self._("Voice guidance is on.")
            if command == "contrast":
                on = " ".join((self._("Large text and high contrast on."), on))
            elif command in ("louder", "quieter"):
                on = " ".join((self._volume_step(command == "louder"), on))
            help_ = phrases.keys_help(self._)
            self._say(f"{on} {help_} {self._screen_intro()} {self._focused_text()}")
            self.changed()
            return
        if command in ("up", "down", "left", "right"):
            self._move(command, keys)
        elif command == "activate":
            self._activate()
        elif command == "help" and self.screen in ("ticket", "trouble"):
            self._say(self._screen_intro())  # the ticket again: what a visitor needs to know
        elif command == "help":
            self._say(f"{phrases.keys_help(self._)} {self._screen_intro()} {self._focused_text()}")
        elif command == "contrast":
            self.toggle_contrast()
        elif command in ("louder", "quieter"):
            self._say(self._volume_step(command == "louder"))
        elif command == "delete" and self.screen == "code":
            self.key("back")
            self._say(" ".join((self._("Deleted."), self._code_text())))

    def _volume_step(self, louder: bool) -> str:
        """The keypad's + or -: one step louder or quieter, within the limits; what to say."""
        with self._lock:
            step = VOLUME_STEP if louder else -VOLUME_STEP
            wanted = min(VOLUME_MAX, max(VOLUME_MIN, self.volume + step))
            if wanted == self.volume:
                return phrases.volume_limit(louder, self._)
            self.volume = wanted
        self._apply_volume()
        return phrases.volume(wanted, louder, self._, self.n_)

    def _apply_volume(self) -> None:
        set_volume = getattr(self.speaker, "set_volume", None)
        if set_volume is not None:
            set_volume(self.volume / 100)

    def toggle_contrast(self) -> None:
        self._touch()
        with self._lock:
            self.contrast = not self.contrast
            on = self.contrast
        if self.voice:
            self._say(self._("Large text and high contrast on.") if on else self._("Normal view."))
        self.changed()

    def _move(self, command: str, keys: list[str]) -> None:
        if not keys:
            return
        step = 1 if command in ("down", "right") else -1
        if self.screen == "code" and command in ("up", "down"):
            step *= CODE_COLUMNS
        with self._lock:
            at = keys.index(self.focus) if self.focus in keys else 0
            self.focus = keys[(at + step) % len(keys)]
            choice = next(c for c in self._choices() if c.key == self.focus)
        self._say(choice.spoken, language=choice.language)
        self.changed()

    def _activate(self) -> None:
        with self._lock:
            choice = next((c for c in self._choices() if c.key == self.focus), None)
        if choice is None or self.busy:
            return
        kind, _sep, arg = choice.key.partition(":")
        if not choice.enabled:
            self._say(choice.spoken)
        elif kind == "service":
            self._say(self._("Printing your ticket, please wait."))
            self.choose_service(arg)
        elif kind == "reason":
            self.choose_priority(arg)
        elif kind == "language":
            self.choose_language(arg)
        elif kind == "sign":
            self.key(arg)
            self._say(f"{arg}. {self._code_text()}")
        else:
            actions: dict[str, Callable[[], None]] = {
                "priority": self.start_priority,
                "check_in": self.start_code,
                "cancel": self.cancel,
                "delete": lambda: self.nav("delete"),
                "ok": lambda: self.key("ok"),
                "reprint": self.reprint,
                "contrast": self.toggle_contrast,
                "extend": self.extend,
            }
            actions[kind]()

    def _say(self, text: str, *, language: str | None = None) -> None:
        if self.speaker is not None:
            self.speaker.say(text, language=language or self.language)

    def _code_text(self) -> str:
        return phrases.code_so_far(self.code, self._)

    def _focused_text(self) -> str:
        with self._lock:
            choice = next((c for c in self._choices() if c.key == self.focus), None)
        return choice.spoken if choice else ""

    def _screen_intro(self) -> str:
        _ = self._
        if not self.available or self.queue is None:
            return self.offline_text()
        with self._lock:
            screen, reason, ticket, message = (
                self.screen,
                self.priority_reason,
                self.ticket,
                self.message,
            )
        if screen == "ticket" and ticket is not None:
            return phrases.ticket(ticket, _, self.n_, self._service_name(ticket))
        if screen == "trouble" and ticket is not None:
            return " ".join(
                (
                    message,
                    _("Your number is {number}.").format(number=phrases.number(ticket.number)),
                )
            )
        if screen == "priority":
            return _("Priority service. Choose the reason.")
        if screen == "code":
            return " ".join((_("Confirm a booked visit."), phrases.code_help(_), self._code_text()))
        if reason is not None:
            label = dict(reasons(_)).get(reason.value, "")
            return _("Priority service: {reason}. Choose your matter.").format(reason=label)
        return _("Choose your matter") + "."

    def _hearing(self) -> tuple[Any, ...]:
        t = self.ticket
        online = self.available and self.queue is not None
        return (self.screen, self.priority_reason, t.id if t else None, online, self.message)

    def _speak_changes(self) -> None:
        """While the keypad guides: a new screen, ticket or message is said, with the choice
        that now has focus (the first)."""
        with self._lock:
            if not self.voice or self.busy:
                return
            now = self._hearing()
            if now == self._heard:
                return
            screen_changed = now[:4] != self._heard[:4]
            self._heard = now
            keys = [c.key for c in self._choices()]
            if screen_changed or self.focus not in keys:
                self.focus = keys[0] if keys else None
            message = self.message
        if screen_changed:
            if self.screen in ("ticket", "trouble"):
                self._say(self._screen_intro())
            else:
                self._say(f"{self._screen_intro()} {self._focused_text()}")
        elif message:
            self._say(message)

    def changed(self) -> None:
        self._speak_changes()
        super().changed()

    def _choices(self) -> tuple[Choice, ...]:
        """What can be chosen now, in the order the screen shows it (called under the lock)."""
        services: tuple[Tile, ...] = ()
        if self.queue is not None and self.available:
            services = tuple(self._tile(s, self.queue.building.full) for s in self.queue.services)
        return choices(
            self.screen if services else "offline",
            services,
            priority=self.priority_reason is not None,
            code=self.code,
            warning=bool(self.warning),
            contrast=self.contrast,
            _=self._,
            n_=self.n_,
            language=self.language,
        )

    def _request(self, operation: str, request: msg.Request) -> None:
        with self._lock:
            self.busy = True
            self.message = ""
        self.changed()

        def work() -> None:
            try:
                reply = self.client.request(operation, request, timeout=3.0, attempts=3)
            except HubUnavailable:
                with self._lock:
                    self.busy = False
                    self.message = self._("The server did not answer. Please try again.")
                self.changed()
                return
            if not reply.ok or reply.ticket is None:
                with self._lock:
                    self.busy = False
                    self.message = describe(reply.error, self._)
                self.changed()
                return
            self._print(reply.ticket)

        self._run(work)

    def _print(self, ticket: msg.TicketInfo) -> None:
        site = self.queue.site_name if self.queue else ""
        try:
            local = self._localized(ticket)
            self.printer.print_ticket(self._make_ticket(local, site, self._))
            state = msg.PrinterState.OK
            printed = True
        except Exception as exc:  # the printer adapter raises PrinterError; anything is trouble
            state = getattr(exc, "state", msg.PrinterState.ERROR)
            log.warning("ticket %s not printed: %s", ticket.number, exc)
            printed = False
        self._report(state)
        with self._lock:
            self.busy = False
            self.priority_reason = None
            self.ticket = ticket
            if printed:
                self.unprinted = None
                self.screen = "ticket"
                self.message = ""
            else:
                self.unprinted = ticket
                self.screen = "trouble"
                self.message = self._("Please collect your ticket at the information desk.")
        self._touch()
        self.changed()

    def _report(self, printer: msg.PrinterState) -> None:
        status = msg.DeviceStatus(
            device=self.client.creds.device,
            role="dispenser",
            software=SOFTWARE,
            printer=printer,
            at=datetime.now(UTC),
        )
        self.client.report_status(status)

    # --- view model ----------------------------------------------------------------------

    def _service_name(self, ticket: msg.TicketInfo) -> str:
        """The ticket's service in the session's language (the hub names it in Polish)."""
        services = self.queue.services if self.queue else ()
        s = next((s for s in services if s.id == ticket.service), None)
        if s is None:
            return ticket.service_name
        return localized(self.language, s.name, s.name_en, s.name_uk)

    def _localized(self, ticket: msg.TicketInfo) -> msg.TicketInfo:
        return ticket.model_copy(update={"service_name": self._service_name(ticket)})

    def _tile(self, s: msg.ServiceState, building_full: bool) -> Tile:
        _ = self._
        reasons = {
            "closed": _("Closed now"),
            "cutoff": _("No more tickets today"),
            "daily_limit": _("Today's tickets are gone"),
            "building_full": _("Office full, please wait"),
        }
        enabled = s.availability == "open"
        name = localized(self.language, s.name, s.name_en, s.name_uk)
        return Tile(
            s.id,
            name,
            s.prefix,
            s.waiting,
            wait_text(s.estimated_wait_s, _),
            enabled,
            "" if enabled else reasons.get(s.availability, _("Unavailable")),
            s.estimated_wait_s,
            phrases.waiting(s.waiting, self.n_),
        )

    def model(self) -> DispenserModel:
        _ = self._
        texts = {
            "title": _("Choose your matter"),
            "priority": _("Priority service"),
            "check_in": _("Confirm a booked visit"),
            "code_prompt": _("Enter the access code"),
            "code_hint": _("From your confirmation, or hold its QR code to the scanner"),
            "cancel": _("Back"),
            "reprint": _("Print again"),
            "your_ticket": _("Your ticket"),
            "ahead": _("People ahead of you"),
            "take": _("Please take your ticket."),
            "contrast": _("Large text"),
            "more_time": _("More time"),
        }
        languages = tuple((lang, NATIVE_NAMES[lang]) for lang in LANGUAGES)
        with self._lock:
            if not self.available or self.queue is None:
                return DispenserModel(
                    False,
                    "services",
                    self.offline_text(),
                    texts=texts,
                    contrast=self.contrast,
                    low_reach=self.low_reach,
                    language=self.language,
                )
            q = self.queue
            tiles = tuple(self._tile(s, q.building.full) for s in q.services)
            return DispenserModel(
                available=True,
                screen=self.screen,
                message=self.message,
                tiles=tiles,
                priority_reason=self.priority_reason.value if self.priority_reason else None,
                reasons=reasons(_),
                code=self.code,
                ticket=self._localized(self.ticket) if self.ticket else None,
                busy=self.busy,
                site_name=q.site_name,
                texts=texts,
                focus=self.focus if self.voice else None,
                contrast=self.contrast,
                low_reach=self.low_reach,
                warning=self.warning,
                language=self.language,
                languages=languages,
            )


def printed_ticket(ticket: msg.TicketInfo, site_name: str, _: Callable[[str], str]) -> Any:
    from appliance.printing.ticket import PrintedTicket

    # The ticket says what kind it is, so the visitor and the clerk see why it came out of turn.
    kinds = {TicketKind.PRIORITY: _("Priority service"), TicketKind.RESERVATION: _("Booked visit")}
    return PrintedTicket(
        site_name=site_name,
        service_name=ticket.service_name,
        number=ticket.number,
        people_ahead=ticket.people_ahead,
        issued_at=ticket.issued_at,
        eticket_url=ticket.eticket_url,
        kind_label=kinds.get(ticket.kind),
        note=_("Please wait for your number on the screen."),
        ahead_label=_("People ahead of you"),
        qr_label=_("Scan to follow the queue on your phone"),
    )
