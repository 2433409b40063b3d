"""The ticket dispenser (biletomat): a touch grid of services with waiting counts and estimated
waits, a priority choice, "Potwierdzenie wizyty" with a code keypad, printing, and printer
trouble reported to the hub and shown to the visitor.

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
from appliance.common.presenter import Presenter
from hub.contract import access_code
from hub.contract import messages as msg
from hub.contract.topics import Operation
from hub.domain.events import PriorityReason, TicketKind

log = logging.getLogger("okienko.appliance.dispenser")


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


def wait_text(seconds: float | None, _: Callable[[str], str]) -> str:
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
    ) -> None:
        super().__init__(client, language=language)
        self.printer = printer
        self.idle_seconds = idle_seconds
        self._monotonic = monotonic
        self._run = run or (lambda fn: threading.Thread(target=fn, daemon=True).start())
        self._make_ticket = make_ticket or _printed_ticket
        self.queue: msg.QueueState | None = None
        self.screen = "services"
        self.message = ""
        self.busy = False
        self.priority_reason: PriorityReason | None = None
        self.code = ""
        self.ticket: msg.TicketInfo | None = None
        self.unprinted: msg.TicketInfo | None = None
        self._last_touch = monotonic()
        self.watch(client.topics.queue_state, msg.QueueState, self._set_queue)

    def _set_queue(self, queue: msg.QueueState) -> None:
        self.queue = queue

    # --- actions -------------------------------------------------------------------------

    def _touch(self) -> None:
        self._last_touch = self._monotonic()

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
        if screen == "services":
            self.start_code()
        for sign in signs:
            self.key(sign)

    def enter(self) -> None:
        """Enter on a keyboard (a scanner ends each code with it)."""
        if self.screen == "code" and not self.busy:
            self.key("ok")

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
        """Every second: back to the start screen after a while without a touch."""
        if self.screen != "services" or self.priority_reason is not None:
            if self._monotonic() - self._last_touch >= self.idle_seconds and not self.busy:
                self._reset()
                return
        self.changed()

    def _reset(self) -> None:
        with self._lock:
            self.screen, self.message, self.code = "services", "", ""
            self.priority_reason = None
            self.ticket = None
        self.changed()

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
            self.printer.print_ticket(self._make_ticket(ticket, site, self._))
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

    def _tile(self, s: msg.ServiceState, building_full: bool) -> Tile:
        _ = self._
        reasons = {
            "closed": _("Closed now"),
            "cutoff": _("No more tickets today"),
            "daily_limit": _("Today's tickets are gone"),
            "building_full": _("Office full, please wait"),
        }
        enabled = s.availability == "open"
        name = s.name if self.language == "pl" else (s.name_en or s.name)
        return Tile(
            s.id,
            name,
            s.prefix,
            s.waiting,
            wait_text(s.estimated_wait_s, _),
            enabled,
            "" if enabled else reasons.get(s.availability, _("Unavailable")),
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
            "waiting": _("waiting"),
            "your_ticket": _("Your ticket"),
            "ahead": _("People ahead of you"),
            "take": _("Please take your ticket."),
        }
        reasons = (
            (PriorityReason.PREGNANCY.value, _("Pregnancy")),
            (PriorityReason.DISABILITY.value, _("Disability")),
            (PriorityReason.LARGE_FAMILY.value, _("Large Family Card")),
            (PriorityReason.SENIOR.value, _("Senior")),
            (PriorityReason.OTHER.value, _("Other legal grounds")),
        )
        with self._lock:
            if not self.available or self.queue is None:
                return DispenserModel(False, "services", self.offline_text(), texts=texts)
            q = self.queue
            tiles = tuple(self._tile(s, q.building.full) for s in q.services)
            return DispenserModel(
                available=True,
                screen=self.screen,
                message=self.message,
                tiles=tiles,
                priority_reason=self.priority_reason.value if self.priority_reason else None,
                reasons=reasons,
                code=self.code,
                ticket=self.ticket,
                busy=self.busy,
                site_name=q.site_name,
                texts=texts,
            )


def _printed_ticket(ticket: msg.TicketInfo, site_name: str, _: Callable[[str], str]) -> Any:
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
