"""The broker restarts under a running hub: the hub reconnects by itself and displays get the
true state again from retained topics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.common.hub_client import HubClient, HubUnavailable, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import Operation
from tests.conftest import SiteRig, make_rig
from tests.support.observe import waiting_seen_by_display


@pytest.fixture
def fresh_rig(tmp_path: Path) -> Iterator[SiteRig]:
    r = make_rig(tmp_path)
    yield r
    r.broker.stop()


def _issue(client: HubClient) -> msg.Reply:
    req = msg.IssueTicketRequest(request_id=new_request_id(), service="dowody")
    return client.request(Operation.ISSUE_TICKET, req, timeout=2.0)


def test_hub_reconnects_after_broker_restart(fresh_rig: SiteRig):
    hub = fresh_rig.hub().start()
    try:
        with HubClient(fresh_rig.creds("dispenser-1")) as d:
            assert _issue(d).ok
        fresh_rig.broker.stop()
        time.sleep(1.0)
        fresh_rig.broker.start()
        with HubClient(fresh_rig.creds("dispenser-1")) as d:
            reply = None
            deadline = time.monotonic() + 20
            while reply is None and time.monotonic() < deadline:
                try:
                    reply = _issue(d)
                except HubUnavailable:
                    continue
            assert reply is not None and reply.ok, "the hub did not come back"
            assert reply.ticket and reply.ticket.number == "A002"
        assert hub.alive()
        assert waiting_seen_by_display(fresh_rig.creds("display-1"), "dowody") == 2
    finally:
        hub.stop()
