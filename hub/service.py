"""The hub's service layer: turns device commands into queue operations, stores them, and only
then answers and publishes the new state.

Commands are processed by one worker in batches (group commit): everything that arrived while
the previous batch was being written is decided in memory, written in one transaction, and then
acknowledged. Nothing is acknowledged before it is on disk; a batch that cannot be written is
refused and the state reloaded from the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time as monotonic
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import ValidationError

from hub.clerks import PinChecker, PinRefused
from hub.config import Device, DeviceRole, Site
from hub.contract import access_code
from hub.contract import messages as msg
from hub.contract.sync import DeviceHealth, TicketLive
from hub.contract.sync import Snapshot as SyncSnapshot
from hub.contract.topics import COUNTER_OPERATIONS, DISPENSER_OPERATIONS, Operation, Topics
from hub.contract.views import Views
from hub.domain import commands as cmd
from hub.domain import errors as err
from hub.domain import events as ev
from hub.domain.checkin import check_in
from hub.domain.queue import IdSource, Queue
from hub.fleet import Fleet
from hub.store.database import Batch, EventStore, StoredCommand

log = logging.getLogger("okienko.hub")

MAX_PAYLOAD = 4096  # no legitimate command comes near this
MAX_BATCH = 512

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class Observer(Protocol):
    """Told what the pipeline did, after the fact (hub/metrics.py counts it)."""

    def committed(self, events: list[ev.Event], seconds: float) -> None: ...

    def refused(self, code: str) -> None: ...


class Publisher(Protocol):
    async def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, correlation: bytes | None = None
    ) -> None: ...


@dataclass
class Inbound:
    device: str
    operation: str
    payload: bytes
    response_topic: str | None = None
    correlation: bytes | None = None


@dataclass
class _Outcome:
    reply: msg.Reply
    inbound: Inbound
    store_key: str | None = None  # set when the reply must be remembered (it changed state)


@dataclass
class HubStats:
    batches: int = 0
    commands: int = 0
    refused: int = 0
    last_batch_ms: float = 0.0
    started: float = field(default_factory=monotonic.monotonic)


REQUEST_MODELS: dict[str, type[msg.Request]] = {
    Operation.ISSUE_TICKET: msg.IssueTicketRequest,
    Operation.CHECK_IN: msg.CheckInRequest,
    Operation.TRANSFER: msg.TransferRequest,
    Operation.SIGN_IN: msg.SignInRequest,
}


class SiteReloadRefused(Exception):
    """A reloaded site file the running hub cannot take; it keeps the one it has."""


class Hub:
    def __init__(
        self,
        site: Site,
        store: EventStore,
        *,
        clock: Clock = system_clock,
        ids: IdSource | None = None,
    ) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        # When the devices were read from the site file: a refusal of an unknown device names it.
        self.site_loaded_at = datetime.now(UTC)
        self.topics = Topics(site.id)
        self.queue = Queue(site, ids=ids)
        self.views = Views(site, self.queue)
        self.pins = PinChecker(site, store, clock=clock)
        self.fleet = Fleet(site, clock)
        self.publisher: Publisher | None = None
        self.observer: Observer | None = None
        # The cloud sync's last health (hub/sync.py), None without a cloud: metrics read it.
        self.sync_health: msg.SyncHealth | None = None
        self.stats = HubStats()
        self._replies: dict[str, bytes] = {}
        self._inbox: asyncio.Queue[Inbound] = asyncio.Queue()
        self._published: dict[str, bytes] = {}  # topic -> last retained payload (sans time)
        self._lock = asyncio.Lock()
        # Set after every commit that stored events: the cloud sync wakes on it.
        self.changed = asyncio.Event()

    # --- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await self.pins.load()
        await self._load()

    async def _load(self) -> None:
        now = self.clock()
        day = self.queue.local_day(now)
        events, replies = await self.store.load_day(day)
        self.queue = Queue(self.site, ids=self.queue.ids, today=day)
        self.queue.replay(events)
        self.views = Views(self.site, self.queue)
        self._replies = {k: r.reply.encode() for k, r in replies.items()}
        await self.store.forget_replies_before(day)
        log.info("queue of %s loaded: %d events", day, len(events))

    def reload_devices(self, site: Site) -> list[str]:
        """Take the devices of a reloaded site file (``provision add-device``, a SIGHUP) without
        a restart; the rest of the site is what the running queue was built from, so it stays.
        Refuses (SiteReloadRefused) a file of another site or a device whose counter the
        running hub does not know; returns what else changed, which needs a restart."""
        if site.id != self.site.id:
            raise SiteReloadRefused(f"it is of site '{site.id}', this hub serves '{self.site.id}'")
        counters = {c.id for c in self.site.counters}
        for d in site.devices:
            if d.counter is not None and d.counter not in counters:
                raise SiteReloadRefused(
                    f"device '{d.id}' is at counter '{d.counter}', which the running hub does not "
                    "have; a new counter needs a restart of the hub"
                )
        ignored = [
            name
            for name in type(site).model_fields
            if name != "devices" and getattr(site, name) != getattr(self.site, name)
        ]
        self.site = self.site.model_copy(update={"devices": site.devices})
        self.fleet.set_devices(self.site)
        self.site_loaded_at = datetime.now(UTC)
        return ignored

    def submit(self, inbound: Inbound) -> None:
        """Called by the transport for every command message; never raises."""
        self._inbox.put_nowait(inbound)

    async def run(self) -> None:
        """Process commands until cancelled."""
        while True:
            first = await self._inbox.get()
            batch = [first]
            while len(batch) < MAX_BATCH and not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            try:
                await self._process(batch)
            except Exception:  # the hub must not die of one bad batch
                log.exception("batch of %d commands failed", len(batch))

    async def tick(self) -> None:
        """Periodic: a new day, opening hours and the building limit change what people see."""
        async with self._lock:
            if self.queue.roll_over(self.clock()):
                log.info("new day %s: numbering starts again", self.queue.state.day)
            await self.publish_state()

    def snapshot(self, now: datetime | None = None) -> SyncSnapshot:
        """The queue as the cloud shows it: the hall's state and each waiting ticket's place."""
        now = now or self.clock()
        tickets = []
        for t in self.queue.state.waiting():
            ahead = self.queue.people_ahead(t, now)
            tickets.append(
                TicketLive(
                    token=t.token, ahead=ahead, wait_s=self.queue.estimated_wait(t.service, ahead)
                )
            )
        devices = [
            DeviceHealth(
                id=d.id,
                role=d.role,
                online=d.online,
                software=d.software,
                printer=d.printer,
                speech=d.speech,
                detail=d.detail,
                last_seen=d.last_seen,
            )
            for d in (*self.fleet.devices.values(), self.fleet.broker)
        ]
        return SyncSnapshot(queue=self.views.queue_state(now), tickets=tickets, devices=devices)

    # --- the pipeline --------------------------------------------------------------------

    async def _process(self, batch: list[Inbound]) -> None:
        async with self._lock:
            t0 = monotonic.perf_counter()
            now = self.clock()
            if self.queue.roll_over(now):
                self._replies.clear()
            outcomes: list[_Outcome] = []
            stored: list[tuple[ev.Event, str | None]] = []
            pending: dict[str, bytes] = {}
            for inbound in batch:
                outcome = await self._decide(inbound, now, pending, stored)
                outcomes.append(outcome)
                if outcome.store_key is not None:
                    pending[outcome.store_key] = outcome.reply.dump()
            if pending or stored:
                records = [
                    StoredCommand(key, o.inbound.device, pending[key].decode())
                    for o in outcomes
                    if (key := o.store_key) is not None
                ]
                written = monotonic.perf_counter()
                try:
                    await self.store.write(
                        Batch(day=self.queue.state.day, at=now, events=stored, replies=records)
                    )
                except Exception as exc:
                    log.error("could not store %d commands, refusing them: %s", len(records), exc)
                    await self._load()
                    await self._refuse_all(
                        outcomes, "storage_error", "the queue could not be saved"
                    )
                    return
                self._replies.update(pending)
                if self.observer is not None:
                    events = [e for e, _ in stored]
                    self.observer.committed(events, monotonic.perf_counter() - written)
            self.stats.batches += 1
            self.stats.commands += len(batch)
            self.stats.last_batch_ms = (monotonic.perf_counter() - t0) * 1000
            await self._after_commit(outcomes, [e for e, _ in stored])

    async def _decide(
        self,
        inbound: Inbound,
        now: datetime,
        pending: dict[str, bytes],
        stored: list[tuple[ev.Event, str | None]],
    ) -> _Outcome:
        request_id = _request_id_of(inbound)
        device = self.site.device(inbound.device)
        try:
            if device is None:
                raise _Refused("unknown_device", self._unknown(inbound.device))
            request = self._parse(device, inbound)
            key = f"{device.id}:{request.request_id}"
            seen = pending.get(key) or self._replies.get(key)
            if seen is not None:
                # A redelivery or a retry: the same answer, no second effect.
                return _Outcome(msg.Reply.model_validate_json(seen), inbound)
            command = await self._command(device, inbound.operation, request)
            events = self.queue.handle(command, now)
            stored.extend((e, key) for e in events)
            reply = self.views.reply(request.request_id, device, events, now)
            return _Outcome(reply, inbound, store_key=key)
        except _Refused as exc:
            # A refusal changes no queue state, but may be worth a record (a clerk locked).
            stored.extend((e, None) for e in exc.events)
            self.stats.refused += 1
            self._count_refusal(exc.code)
            log.warning("refused %s from %s: %s", inbound.operation, inbound.device, exc.message)
            return _Outcome(_error_reply(request_id, exc.code, exc.message), inbound)
        except err.QueueError as exc:
            reason = getattr(exc, "reason", None)
            self._count_refusal(exc.code)
            return _Outcome(_error_reply(request_id, exc.code, str(exc), reason), inbound)

    def _unknown(self, device_id: str) -> str:
        loaded = self.site_loaded_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        return (
            f"device '{device_id}' is not in the site file loaded at {loaded}; "
            "add it with `okienko provision add-device`, or send the hub SIGHUP "
            "(`systemctl reload okienko-hub`) if the file already lists it"
        )

    def _count_refusal(self, code: str) -> None:
        if self.observer is not None:
            self.observer.refused(code)

    def _parse(self, device: Device, inbound: Inbound) -> msg.Request:
        allowed = {
            DeviceRole.DISPENSER: DISPENSER_OPERATIONS,
            DeviceRole.COUNTER: COUNTER_OPERATIONS,
        }.get(device.role, frozenset())
        if inbound.operation not in allowed:
            raise _Refused(
                "forbidden", f"a {device.role} may not ask for '{inbound.operation[:40]}'"
            )
        if len(inbound.payload) > MAX_PAYLOAD:
            raise _Refused("bad_request", f"payload over {MAX_PAYLOAD} bytes")
        model = REQUEST_MODELS.get(inbound.operation, msg.CounterRequest)
        try:
            return model.model_validate_json(inbound.payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "payload"
            raise _Refused("bad_request", f"{where}: {first['msg']}") from None

    async def _command(self, device: Device, operation: str, request: msg.Request) -> cmd.Command:
        if isinstance(request, msg.IssueTicketRequest):
            return cmd.IssueTicket(
                service=request.service, kind=request.kind, priority_reason=request.priority_reason
            )
        if isinstance(request, msg.CheckInRequest):
            code = access_code.normalise(request.code)
            return check_in(
                await self.store.reservation(code),
                self.clock(),
                early_min=self.site.checkin_early_minutes,
                late_min=self.site.checkin_late_minutes,
                already=code in self.queue.state.by_reservation,
            )
        counter = device.counter
        assert counter is not None  # the config guarantees it for counter terminals
        if isinstance(request, msg.TransferRequest):
            return cmd.Transfer(counter, request.to_service, request.to_counter)
        if isinstance(request, msg.SignInRequest):
            try:
                clerk = await self.pins.verify(device.id, counter, request.clerk, request.pin)
            except PinRefused as exc:
                locked = [exc.locked] if exc.locked is not None else []
                raise _Refused(exc.code, exc.message, events=locked) from None
            return cmd.OpenCounter(counter, clerk)
        simple: dict[str, Callable[[str], cmd.Command]] = {
            Operation.CALL_NEXT: cmd.CallNext,
            Operation.RECALL: cmd.Recall,
            Operation.START_SERVICE: cmd.StartService,
            Operation.FINISH_SERVICE: cmd.FinishService,
            Operation.NO_SHOW: cmd.NoShow,
            Operation.PAUSE_COUNTER: cmd.PauseCounter,
            Operation.RESUME_COUNTER: cmd.ResumeCounter,
            Operation.CLOSE_COUNTER: cmd.CloseCounter,
        }
        return simple[operation](counter)

    async def _refuse_all(self, outcomes: list[_Outcome], code: str, message: str) -> None:
        for o in outcomes:
            self._count_refusal(code)
            await self._send_reply(o.inbound, _error_reply(o.reply.request_id, code, message))

    async def _after_commit(self, outcomes: list[_Outcome], events: list[ev.Event]) -> None:
        if events:
            self.changed.set()
        if self.publisher is None:
            return
        now = self.clock()
        # The hall display's state goes out first: it is what people in the hall wait for.
        sends = self._state_updates(now, counters=self._touched(events)) if events else []
        sends += [self._send_reply(o.inbound, o.reply) for o in outcomes]
        for e in events:
            if isinstance(e, ev.TicketCalled):
                called = self.views.called(e)
                sends.append(self.publisher.publish(self.topics.called(e.counter), called.dump()))
        await asyncio.gather(*sends)

    async def _send_reply(self, inbound: Inbound, reply: msg.Reply) -> None:
        if self.publisher is None:
            return
        topic = self.topics.reply(inbound.device)
        if inbound.response_topic not in (None, topic):
            # Never let a device make the hub write to a topic of its choosing.
            log.warning("device %s asked for replies on %r", inbound.device, inbound.response_topic)
        correlation = inbound.correlation or reply.request_id.encode()
        await self.publisher.publish(topic, reply.dump(), correlation=correlation)

    async def publish_state(self, now: datetime | None = None, *, force: bool = False) -> None:
        """Publish retained state that changed (all of it with ``force``, e.g. on reconnect)."""
        if self.publisher is not None:
            await asyncio.gather(*self._state_updates(now or self.clock(), force=force))

    def _touched(self, events: list[ev.Event]) -> set[str]:
        """Counters whose retained state these events may have changed."""
        touched: set[str] = set()
        for e in events:
            for attr in ("counter", "from_counter", "to_counter"):
                value = getattr(e, attr, None)
                if value is not None:
                    touched.add(value)
            if isinstance(e, ev.TicketCancelled):
                counter = self.queue.state.tickets[e.ticket_id].counter
                if counter is not None:
                    touched.add(counter)
        return touched

    def _state_updates(
        self, now: datetime, *, force: bool = False, counters: set[str] | None = None
    ) -> list[Coroutine[Any, Any, None]]:
        """Publications of the retained state that changed since it was last published:
        the queue snapshot, and the ``counters`` given (all of them when None)."""
        if self.publisher is None:
            return []
        updates: list[tuple[str, msg.Message]] = [
            (self.topics.queue_state, self.views.queue_state(now))
        ]
        for c in self.site.counters:
            if counters is None or c.id in counters:
                state = self.views.counter_state(c.id, now)
                updates.append((self.topics.counter_state(c.id), state))
        sends = []
        for topic, message in updates:
            payload = message.dump()
            # Only the queue snapshot carries a time; leave it out when comparing.
            fingerprint = (
                message.model_dump_json(exclude={"at"}).encode()
                if isinstance(message, msg.QueueState)
                else payload
            )
            if not force and self._published.get(topic) == fingerprint:
                continue
            self._published[topic] = fingerprint
            sends.append(self.publisher.publish(topic, payload, retain=True))
        return sends


class _Refused(Exception):
    def __init__(self, code: str, message: str, *, events: Sequence[ev.Event] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.events = list(events)


def _error_reply(request_id: str, code: str, message: str, reason: str | None = None) -> msg.Reply:
    return msg.Reply(
        request_id=request_id,
        ok=False,
        error=msg.ErrorInfo(code=code, message=message, reason=reason),
    )


def _request_id_of(inbound: Inbound) -> str:
    """Best effort, so that even a malformed command gets a reply the sender can match."""
    try:
        data = json.loads(inbound.payload)
        rid = data.get("request_id") if isinstance(data, dict) else None
        if isinstance(rid, str) and 0 < len(rid) <= 64:
            return rid
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    if inbound.correlation:
        return inbound.correlation[:64].decode("utf-8", "replace")
    return "unknown"
