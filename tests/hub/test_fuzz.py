"""Hypothesis throws generated payloads at the real hub over MQTT; it must answer each with a
reply (never crash, never hang) and keep serving proper requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.common.hub_client import HubClient, new_request_id
from hub.contract import messages as msg
from hub.contract.topics import COUNTER_OPERATIONS, DISPENSER_OPERATIONS, Operation
from tests.support.hubproc import HubProcess

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(
    [
        "v",
        "request_id",
        "service",
        "kind",
        "priority_reason",
        "to_service",
        "to_counter",
        "clerk",
        "pin",
        "code",
    ]
)
plausible = st.fixed_dictionaries(
    {
        "v": st.sampled_from([1, 1, 1, 2, "1", None]),
        "request_id": st.text(min_size=0, max_size=70) | st.integers(),
    },
).flatmap(lambda base: st.dictionaries(keys, json_values, max_size=5).map(lambda d: {**d, **base}))
payloads = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | plausible.map(lambda v: json.dumps(v).encode())
)
operations = st.sampled_from(
    [*sorted(DISPENSER_OPERATIONS | COUNTER_OPERATIONS), "", "x", "issue_ticket/extra"]
)


def test_generated_payloads_never_crash_the_hub(
    hub: HubProcess, connect: Callable[[str], HubClient]
):
    dispenser, terminal = connect("dispenser-2"), connect("terminal-2")
    replies: list[bytes] = []
    arrived = threading.Semaphore(0)

    def on_reply(_t: str, payload: bytes) -> None:
        replies.append(payload)
        arrived.release()

    for c in (dispenser, terminal):
        c.subscribe(c.topics.reply(c.creds.device), on_reply)
    sent = {"n": 0}

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(device=st.sampled_from([dispenser, terminal]), op=operations, payload=payloads)
    def throw(device: HubClient, op: str, payload: bytes) -> None:
        topic = device.topics.command(device.creds.device, op)
        device.mqtt.publish(topic, payload, qos=1).wait_for_publish(5)
        allowed = DISPENSER_OPERATIONS if device is dispenser else COUNTER_OPERATIONS
        if op in allowed:  # anything else the broker's ACL drops before the hub sees it
            sent["n"] += 1
            # Every command the hub receives is answered, valid or not.
            assert arrived.acquire(timeout=5), f"no reply to {op!r} {payload[:60]!r}"

    throw()
    assert hub.alive()
    assert all(msg.Reply.model_validate_json(r) for r in replies)
    ok = dispenser.request(
        Operation.ISSUE_TICKET,
        msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
    )
    assert ok.ok
