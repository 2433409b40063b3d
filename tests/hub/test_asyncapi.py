"""docs/asyncapi.yaml is generated from the contract's models and stays in step with them."""

from __future__ import annotations

import re

import yaml

from hub.config import load_site
from hub.contract.asyncapi import DOC, EXAMPLE_SITE, MESSAGE_MODELS, render_yaml

REQUIRED_OPERATIONS = {
    "issueTicket",
    "callNext",
    "recall",
    "startService",
    "finishService",
    "noShow",
    "transfer",
    "queueState",
    "counterState",
    "ticketCalled",
    "devicePresence",
}


def _doc() -> dict:
    return yaml.safe_load(DOC.read_text(encoding="utf-8"))


def test_committed_document_matches_the_code():
    expected = render_yaml(load_site(EXAMPLE_SITE).site)
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/asyncapi.yaml is stale: run `python -m hub.contract.asyncapi`"
    )


def test_required_operations_exist_and_requests_declare_replies():
    doc = _doc()
    assert doc["asyncapi"] == "3.0.0"
    ops = doc["operations"]
    assert REQUIRED_OPERATIONS <= set(ops)
    for op_id, op in ops.items():
        if op["action"] == "send":
            assert op["reply"]["channel"] == {"$ref": "#/channels/reply"}, op_id


def test_every_example_is_a_valid_payload_for_the_example_site():
    doc = _doc()
    site = load_site(EXAMPLE_SITE).site
    services = {s.id for s in site.services}
    counters = {c.id for c in site.counters}
    for name, message in doc["components"]["messages"].items():
        assert message["examples"], name
        for example in message["examples"]:
            payload = MESSAGE_MODELS[name].model_validate(example["payload"])
            for field in ("service", "to_service"):
                value = getattr(payload, field, None)
                assert value is None or value in services, (name, value)
            counter = getattr(payload, "counter", None)
            assert counter is None or isinstance(counter, str) is False or counter in counters


def test_channel_parameters_are_declared():
    doc = _doc()
    for name, channel in doc["channels"].items():
        for param in re.findall(r"{(\w+)}", channel["address"]):
            assert param in channel["parameters"], (name, param)


def test_a_call_from_an_older_hub_without_ukrainian_still_validates():
    """Issue 14 added `Announcement.uk` and `TicketCalled.hall_languages`; a hub that predates
    them sends neither, and a display then says the call in Polish only."""
    from hub.contract import messages as msg

    old = {
        "v": 1,
        "number": "A012",
        "service": "dowody",
        "counter": "s1",
        "counter_name": "Stanowisko 1",
        "counter_number": "1",
        "at": "2026-03-02T09:00:00+01:00",
        "call_no": 1,
        "recall": False,
        "auto": False,
        "announcement": {"pl": "Numer A 12, stanowisko 1.", "en": "Number A 12, counter 1."},
    }
    called = msg.TicketCalled.model_validate(old)
    assert called.announcement.uk is None and called.hall_languages == ["pl"]
