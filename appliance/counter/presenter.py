"""The clerk's counter terminal: sign-in with a PIN, then the buttons Przywołaj, Przywołaj
ponownie, Rozpocznij, Zakończ, Nie zgłosił się, Przekaż, Przerwa, and the current ticket.

Every button gives feedback at once (``busy``) and then the hub's answer: the new state, or a
clear reason when the hub refuses. Commands run off the UI thread; a second tap while one is
in flight is ignored rather than sent twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import ValidationError

from appliance.common.errors import describe
from appliance.common.hub_client import HubClient, HubUnavailable, new_request_id
from appliance.common.presenter import Presenter
from hub.contract import messages as msg
from hub.contract.topics import Operation

log = logging.getLogger("okienko.appliance.counter")


@dataclass(frozen=True)
class Button:
    operation: str
    label: str
    enabled: bool


@dataclass(frozen=True)
class CounterModel:
    available: bool
    signed_in: bool
    counter_label: str
    clerk: str
    status_text: str
    ticket: str  # current number or ""
    ticket_state: str  # "Wezwany (2. wezwanie)", "Obsługa", ""
    waiting: tuple[tuple[str, int], ...]  # (service name, waiting), then skipped visitors
    served_today: int
    buttons: tuple[Button, ...]
    message: str  # feedback: an error, "Brak osób w kolejce", the offline text
    busy: bool
    clerks: tuple[tuple[str, str], ...] = ()  # (id, name) for the sign-in list
    transfer_services: tuple[tuple[str, str], ...] = ()
    transfer_counters: tuple[tuple[str, str], ...] = ()
    texts: dict[str, str] = field(default_factory=dict)


class CounterPresenter(Presenter[CounterModel]):
    def __init__(
        self,
        client: HubClient,
        counter: str,
        *,
        language: str = "pl",
        run: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        super().__init__(client, language=language)
        self.counter = counter
        self.state: msg.CounterState | None = None
        self.queue: msg.QueueState | None = None
        self.message = ""
        self.busy = False
        # Where commands run: a thread by default; tests may run them inline.
        self._run = run or (lambda fn: threading.Thread(target=fn, daemon=True).start())
        self.watch(client.topics.counter_state(counter), msg.CounterState, self._set_state)
        self.watch(client.topics.queue_state, msg.QueueState, self._set_queue)

    # --- hub input -----------------------------------------------------------------------

    def _set_state(self, state: msg.CounterState) -> None:
        self.state = state

    def _set_queue(self, queue: msg.QueueState) -> None:
        self.queue = queue

    # --- actions -------------------------------------------------------------------------

    def sign_in(self, clerk: str, pin: str) -> None:
        self._send(
            Operation.SIGN_IN, msg.SignInRequest(request_id=new_request_id(), clerk=clerk, pin=pin)
        )

    def press(self, operation: str) -> None:
        """One of the buttons (call_next, recall, start, finish, no_show, pause, resume, close)."""
        self._send(operation, msg.CounterRequest(request_id=new_request_id()))

    def transfer(self, *, to_service: str | None = None, to_counter: str | None = None) -> None:
        self._send(
            Operation.TRANSFER,
            msg.TransferRequest(
                request_id=new_request_id(), to_service=to_service, to_counter=to_counter
            ),
        )

    def _send(self, operation: str, request: msg.Request) -> None:
        with self._lock:
            if self.busy:
                return  # a double tap must not become two commands
            self.busy = True
            self.message = ""
        self.changed()

        def work() -> None:
            try:
                reply = self.client.request(operation, request, timeout=4.0, attempts=2)
                text = "" if reply.ok else describe(reply.error, self._)
                if reply.ok and reply.counter is not None:
                    with self._lock:
                        self.state = reply.counter
            except HubUnavailable:
                text = self._("The server did not answer. Try again.")
            except ValidationError as exc:  # e.g. a PIN with letters, caught before sending
                text = self._("Invalid input.")
                log.info("rejected locally: %s", exc.errors()[0]["msg"])
            with self._lock:
                self.busy = False
                self.message = text
            self.changed()

        self._run(work)

    # --- view model ----------------------------------------------------------------------

    def model(self) -> CounterModel:
        _ = self._
        with self._lock:
            st, q = self.state, self.queue
            texts = {
                "sign_in": _("Sign in"),
                "pin": _("PIN"),
                "transfer_to": _("Transfer to"),
                "cancel": _("Cancel"),
                "served": _("Served today"),
                "waiting": _("Waiting"),
            }
            if not self.available or st is None:
                return CounterModel(
                    False,
                    False,
                    st.name if st else "",
                    "",
                    "",
                    "",
                    "",
                    (),
                    0,
                    (),
                    self.offline_text(),
                    False,
                    texts=texts,
                )
            signed_in = st.status != "closed"
            current = st.current
            ticket = current.number if current else ""
            if current is None:
                ticket_state = ""
            elif current.state == "called":
                ticket_state = _("Called (call {n})").format(n=max(current.calls, 1))
            else:
                ticket_state = _("Being served")
            services = {s.id: s for s in q.services} if q else {}
            waiting = tuple(
                (services[s].name, services[s].waiting) for s in st.services if s in services
            )
            if st.skipped_waiting:
                # Visitors who did not come wait for their next call: "Przywołaj" calls them
                # when nobody else waits, so the clerk sees they are there.
                waiting += ((_("To call again (did not come)"), st.skipped_waiting),)
            status_text = {
                "open": _("Open"),
                "paused": _("Break"),
                "closed": _("Closed"),
            }[st.status]
            # Only what can happen next is enabled: a called visitor is recalled, started or
            # marked absent; only a visitor whose service started can be finished (served).
            has = current is not None
            called = has and current is not None and current.state == "called"
            serving = has and not called
            open_ = st.status == "open"
            paused = st.status == "paused"
            buttons = (
                Button(Operation.CALL_NEXT, _("Call next"), open_ and not called),
                Button(Operation.RECALL, _("Call again"), called),
                Button(Operation.START_SERVICE, _("Start"), called),
                Button(Operation.FINISH_SERVICE, _("Finish"), serving),
                Button(Operation.NO_SHOW, _("Did not come"), called),
                Button(Operation.TRANSFER, _("Transfer"), has),
                Button(
                    Operation.RESUME_COUNTER if paused else Operation.PAUSE_COUNTER,
                    _("Resume") if paused else _("Break"),
                    paused or (open_ and not has),
                ),
                Button(Operation.CLOSE_COUNTER, _("Sign out"), signed_in and not has),
            )
            return CounterModel(
                available=True,
                signed_in=signed_in,
                counter_label=st.name,
                clerk=st.clerk or "",
                status_text=status_text,
                ticket=ticket,
                ticket_state=ticket_state,
                waiting=waiting,
                served_today=st.served_today,
                buttons=buttons,
                message=self.message,
                busy=self.busy,
                clerks=tuple((c.id, c.name) for c in st.clerks),
                transfer_services=tuple((s.id, s.name) for s in q.services) if q else (),
                transfer_counters=tuple(
                    (c.id, c.name) for c in (q.counters if q else []) if c.id != self.counter
                ),
                texts=texts,
            )
