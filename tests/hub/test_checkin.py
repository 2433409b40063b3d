"""Check-in of a booked visit at the dispenser, against the hub's local copy of reservations:
a reservation ticket at the booked hour, once per code, within the windows, never when
cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from hub.domain.checkin import LocalReservation
from hub.store.database import EventStore
from tests.conftest import SiteRig, make_rig
from tests.support.hubproc import HubProcess


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteRig, HubProcess]]:
    rig = make_rig(tmp_path_factory.mktemp("checkin"))
    now = datetime.now(UTC)
    items = [
        LocalReservation("SOON2345", "dowody", now + timedelta(minutes=10), number="R007"),
        LocalReservation("LATER234", "dowody", now + timedelta(hours=5)),
        LocalReservation("PAST2345", "dowody", now - timedelta(hours=2)),
        LocalReservation("GONE2345", "dowody", now + timedelta(minutes=5), cancelled=True),
    ]

    async def seed() -> None:
        store = EventStore(rig.dir / "hub.sqlite3")
        await store.open()
        await store.save_reservations(items)
        await store.close()

    asyncio.run(seed())
    hub = rig.hub().start()
    yield rig, hub
    hub.stop()
    rig.broker.stop()


def check_in(client: HubClient, code: str) -> msg.Reply:
    return client.request(
        Operation.CHECK_IN, msg.CheckInRequest(request_id=new_request_id(), code=code)
    )


def test_a_booked_visitor_gets_a_reservation_ticket_once(booked, tmp_path: Path):  # type: ignore[no-untyped-def]
    rig, _hub = booked
    with HubClient(rig.creds("dispenser-1")) as d:
        reply = check_in(d, "soon2345")  # typed in lower case on the keypad
        assert reply.ok and reply.ticket
        # The visit's own number, as on its confirmation and the docket: not the next A001.
        assert reply.ticket.kind == "reservation" and reply.ticket.number == "R007"
        assert reply.ticket.not_before is not None
        again = check_in(d, "SOON2345")
        assert not again.ok and again.error and again.error.code == "already_checked_in"


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("LATER234", "too_early"),
        ("PAST2345", "too_late"),
        ("GONE2345", "reservation_cancelled"),
        ("NOPE2345", "unknown_code"),
    ],
)
def test_check_in_refusals_say_why(booked, code: str, error: str):  # type: ignore[no-untyped-def]
    rig, _hub = booked
    with HubClient(rig.creds("dispenser-2")) as d:
        reply = check_in(d, code)
    assert not reply.ok and reply.error and reply.error.code == error


def test_a_reservation_is_called_before_walk_ins_once_its_hour_comes(booked):  # type: ignore[no-untyped-def]
    rig, _hub = booked
    # SOON2345's hour is 10 minutes away: a counter calls the walk-in first.
    with HubClient(rig.creds("dispenser-1")) as d, HubClient(rig.creds("terminal-3")) as t:
        walk_in = d.request(
            Operation.ISSUE_TICKET,
            msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
        )
        assert walk_in.ok and walk_in.ticket
        assert walk_in.ticket.number == "A001"  # the walk-ins' numbering is untouched
        t.request(
            Operation.SIGN_IN,
            msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin="2468"),
        )
        first = t.request(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
        assert first.ok and first.ticket and first.ticket.kind == "walk_in"
