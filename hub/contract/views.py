"""From the queue's state to contract messages: what displays, terminals and dispensers see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.config import Device, Site
from hub.contract import messages as msg
from hub.domain import events as ev
from hub.domain.model import Ticket, TicketState
from hub.domain.queue import Queue
from hub.spoken import spoken_letters

WAITING_NUMBERS = 12  # numbers per service listed on the group displays (when switched on)


class Views:
    def __init__(self, site: Site, queue: Queue) -> None:
        self.site = site
        self.queue = queue
        self._services = {s.id: s for s in site.services}
        self._counters = {c.id: c for c in site.counters}
        self._clerks = {c.id: c.name for c in site.clerks}

    def ticket(self, t: Ticket, now: datetime) -> msg.TicketInfo:
        ahead = self.queue.people_ahead(t, now)
        counter = self._counters.get(t.counter) if t.counter else None
        wait = self.queue.estimated_wait(t.service, ahead) if t.state is TicketState.WAITING else 0
        base = self.site.eticket_url
        return msg.TicketInfo(
            id=t.id,
            number=t.number,
            service=t.service,
            service_name=self._services[t.service].name,
            kind=t.kind,
            state=t.state,
            issued_at=t.issued_at,
            counter=t.counter,
            counter_name=counter.name if counter else None,
            people_ahead=ahead,
            estimated_wait_s=wait,
            calls=t.calls,
            not_before=t.not_before,
            eticket_url=f"{base.rstrip('/')}/{t.token}" if base else None,
        )

    def reply(
        self, request_id: str, device: Device, events: Sequence[ev.Event], now: datetime
    ) -> msg.Reply:
        state = self.queue.state
        ticket: Ticket | None = None
        for e in reversed(events):
            tid = getattr(e, "ticket_id", None)
            if tid is not None:
                ticket = state.tickets[tid]
                break
        counter = self.counter_state(device.counter, now) if device.counter else None
        return msg.Reply(
            request_id=request_id,
            ok=True,
            ticket=self.ticket(ticket, now) if ticket else None,
            counter=counter,
        )

    def counter_state(self, counter_id: str, now: datetime) -> msg.CounterState:
        counter = self._counters[counter_id]
        runtime = self.queue.state.counter(counter_id)
        current = self.queue.state.current_ticket(counter_id)
        waiting_here = len(self.queue.state.waiting_by_counter.get(counter.id, {}))
        return msg.CounterState(
            counter=counter.id,
            name=counter.name,
            number=counter.number,
            status=runtime.status,
            clerk=self._clerks.get(runtime.clerk or "", runtime.clerk),
            services=list(counter.services),
            current=self.ticket(current, now) if current else None,
            waiting_here=waiting_here,
            served_today=runtime.served,
            skipped=[self.queue.state.tickets[t].number for t in runtime.skipped],
            skipped_waiting=len(runtime.skipped),
            clerks=[msg.ClerkInfo(id=c.id, name=c.name) for c in self.site.clerks],
        )

    def queue_state(self, now: datetime) -> msg.QueueState:
        services = []
        listed = self.site.display_waiting_numbers
        for s in self.site.services:
            view = self.queue.service_view(s.id, now)
            services.append(
                msg.ServiceState(
                    id=s.id,
                    name=s.name,
                    name_en=s.name_en,
                    name_uk=s.name_uk,
                    prefix=s.prefix,
                    waiting=view.waiting,
                    estimated_wait_s=view.estimated_wait_s,
                    availability=view.availability,
                    open_counters=view.open_counters,
                    last_called=view.last_called,
                    waiting_numbers=(
                        self.queue.waiting_numbers(s.id, now, WAITING_NUMBERS) if listed else None
                    ),
                )
            )
        calls = []
        state = self.queue.state
        for r in state.recent_calls:
            c = self._counters[r.counter]
            calls.append(
                msg.CallInfo(
                    number=r.number,
                    counter=c.id,
                    counter_name=c.name,
                    counter_number=c.number,
                    at=r.at,
                    current=state.counter(r.counter).current == r.ticket_id,
                )
            )
        return msg.QueueState(
            site=self.site.id,
            site_name=self.site.name,
            at=now,
            day=self.queue.state.day.isoformat(),
            services=services,
            recent_calls=calls,
            counters=[
                msg.CounterSummary(
                    id=c.id,
                    name=c.name,
                    number=c.number,
                    status=self.queue.state.counter(c.id).status,
                    services=list(c.services),
                )
                for c in self.site.counters
            ],
            building=msg.Building(
                inside=self.queue.state.inside(),
                limit=self.site.building_limit,
                full=self.queue.building_full(now),
            ),
            voice=self.site.voice,
        )

    def called(self, e: ev.TicketCalled) -> msg.TicketCalled:
        t = self.queue.state.tickets[e.ticket_id]
        c = self._counters[e.counter]
        # "A 12" reads better aloud than "A012"; a transferred ticket keeps its first letter.
        letters = t.number.rstrip("0123456789")
        fields = {
            "letters": letters,
            "number": int(t.number[len(letters) :]),
            "counter": c.number,
            "ticket": t.number,
        }
        return msg.TicketCalled(
            number=t.number,
            service=t.service,
            counter=c.id,
            counter_name=c.name,
            counter_number=c.number,
            at=e.at,
            call_no=e.call_no,
            recall=e.recall,
            auto=e.auto,
            announcement=msg.Announcement(
                pl=self.site.announcement_pl.format(**fields),
                en=self.site.announcement_en.format(**fields),
                uk=self.site.announcement_uk.format(
                    **{**fields, "letters": spoken_letters(letters, "uk")}
                ),
            ),
            hall_languages=self.site.hall_languages,
        )
