"""Generate docs/asyncapi.yaml (AsyncAPI 3.0) from the contract: topics.py and messages.py.

The document describes the contract from a device's side: a device *sends* commands and
*receives* replies, state and calls. Request/reply pairs are matched by the MQTT v5
correlation data, which carries the request's ``request_id``.

    python -m hub.contract.asyncapi            write docs/asyncapi.yaml
    python -m hub.contract.asyncapi --check    fail when the file is not what the code says
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from hub.config import Site, load_site
from hub.contract import messages as msg
from hub.contract.generated import write_or_check
from hub.contract.topics import VERSION, Operation, Topics
from hub.domain.events import TicketKind
from hub.domain.model import TicketState
from hub.spoken import spoken_letters

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "asyncapi.yaml"
EXAMPLE_SITE = REPO / "examples" / "torun.toml"
AT = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)  # fixed, so the document is reproducible

# operation id, topic operation, request model, summary
REQUESTS: list[tuple[str, Operation, type[msg.Request], str]] = [
    (
        "issueTicket",
        Operation.ISSUE_TICKET,
        msg.IssueTicketRequest,
        "Dispenser: a walk-in or priority ticket for a service.",
    ),
    (
        "checkIn",
        Operation.CHECK_IN,
        msg.CheckInRequest,
        "Dispenser: confirm a reservation with its access code (Potwierdzenie wizyty).",
    ),
    (
        "callNext",
        Operation.CALL_NEXT,
        msg.CounterRequest,
        "Counter terminal: call the next visitor (Przywołaj).",
    ),
    (
        "recall",
        Operation.RECALL,
        msg.CounterRequest,
        "Counter terminal: call the current visitor again (Przywołaj ponownie).",
    ),
    (
        "startService",
        Operation.START_SERVICE,
        msg.CounterRequest,
        "Counter terminal: the visitor came, service starts (Rozpocznij).",
    ),
    (
        "finishService",
        Operation.FINISH_SERVICE,
        msg.CounterRequest,
        "Counter terminal: service ends (Zakończ); a skipped visitor may be called again.",
    ),
    (
        "noShow",
        Operation.NO_SHOW,
        msg.CounterRequest,
        "Counter terminal: the visitor did not come (Nie zgłosił się); three misses remove.",
    ),
    (
        "transfer",
        Operation.TRANSFER,
        msg.TransferRequest,
        "Counter terminal: send the current visitor to another service or counter (Przekaż).",
    ),
    (
        "signIn",
        Operation.SIGN_IN,
        msg.SignInRequest,
        "Counter terminal: a clerk signs in with a PIN; the counter opens.",
    ),
    (
        "pauseCounter",
        Operation.PAUSE_COUNTER,
        msg.CounterRequest,
        "Counter terminal: a break (Przerwa).",
    ),
    (
        "resumeCounter",
        Operation.RESUME_COUNTER,
        msg.CounterRequest,
        "Counter terminal: back from the break.",
    ),
    (
        "closeCounter",
        Operation.CLOSE_COUNTER,
        msg.CounterRequest,
        "Counter terminal: sign out; the counter closes.",
    ),
]


def _examples(site: Site) -> dict[str, BaseModel]:
    """One real payload per message, valid for the example site."""
    service = site.services[0]
    counter = site.counters[0]
    other = site.services[1] if len(site.services) > 1 else service
    clerk = site.clerks[0] if site.clerks else None
    dispenser = next((d for d in site.devices if d.role == "dispenser"), None)
    ticket = msg.TicketInfo(
        id="5f0c2b7e9d8a4c1b8e3f6a7d2c9b0e1f",
        number=f"{service.prefix}012",
        service=service.id,
        service_name=service.name,
        kind=TicketKind.WALK_IN,
        state=TicketState.WAITING,
        issued_at=AT,
        people_ahead=3,
        estimated_wait_s=1440.0,
        eticket_url=f"{(site.eticket_url or 'https://example.org/e').rstrip('/')}/"
        "Qm9rLXRva2VuLWV4YW1wbGU",
    )
    counter_state = msg.CounterState(
        counter=counter.id,
        name=counter.name,
        number=counter.number,
        status="open",  # type: ignore[arg-type]
        clerk=clerk.name if clerk else None,
        services=list(counter.services),
        current=ticket.model_copy(
            update={
                "state": TicketState.CALLED,
                "counter": counter.id,
                "counter_name": counter.name,
                "people_ahead": 0,
                "estimated_wait_s": 0.0,
                "calls": 1,
            }
        ),
        waiting_here=0,
        served_today=17,
        clerks=[msg.ClerkInfo(id=c.id, name=c.name) for c in site.clerks[:2]],
    )
    rid = "7d3c0a9e2f4b4c6d8e1a2b3c4d5e6f70"
    return {
        "IssueTicketRequest": msg.IssueTicketRequest(request_id=rid, service=service.id),
        "CheckInRequest": msg.CheckInRequest(request_id=rid, code="K7M2Q9"),
        "CounterRequest": msg.CounterRequest(request_id=rid),
        "TransferRequest": msg.TransferRequest(request_id=rid, to_service=other.id),
        "SignInRequest": msg.SignInRequest(
            request_id=rid, clerk=clerk.id if clerk else "anna", pin="1001"
        ),
        "Reply": msg.Reply(
            request_id=rid,
            ok=True,
            ticket=ticket,
            counter=counter_state if dispenser is None else None,
        ),
        "QueueState": msg.QueueState(
            site=site.id,
            site_name=site.name,
            at=AT,
            day=AT.date().isoformat(),
            services=[
                msg.ServiceState(
                    id=s.id,
                    name=s.name,
                    name_en=s.name_en,
                    name_uk=s.name_uk,
                    prefix=s.prefix,
                    waiting=4,
                    estimated_wait_s=960.0,
                    availability="open",  # type: ignore[arg-type]
                    open_counters=1,
                    last_called=f"{s.prefix}008",
                    waiting_numbers=[f"{s.prefix}{n:03d}" for n in range(9, 13)]
                    if site.display_waiting_numbers
                    else None,
                )
                for s in site.services[:2]
            ],
            recent_calls=[
                msg.CallInfo(
                    number=f"{service.prefix}011",
                    counter=counter.id,
                    counter_name=counter.name,
                    counter_number=counter.number,
                    at=AT,
                    current=True,
                )
            ],
            counters=[
                msg.CounterSummary(
                    id=c.id,
                    name=c.name,
                    number=c.number,
                    status="open",  # type: ignore[arg-type]
                    services=list(c.services),
                )
                for c in site.counters[:2]
            ],
            building=msg.Building(inside=23, limit=site.building_limit, full=False),
            voice=site.voice,
        ),
        "CounterState": counter_state,
        "TicketCalled": msg.TicketCalled(
            number=f"{service.prefix}012",
            service=service.id,
            counter=counter.id,
            counter_name=counter.name,
            counter_number=counter.number,
            at=AT,
            call_no=1,
            recall=False,
            auto=False,
            announcement=msg.Announcement(
                pl=site.announcement_pl.format(
                    letters=service.prefix,
                    number=12,
                    counter=counter.number,
                    ticket=f"{service.prefix}012",
                ),
                en=site.announcement_en.format(
                    letters=service.prefix,
                    number=12,
                    counter=counter.number,
                    ticket=f"{service.prefix}012",
                ),
                uk=site.announcement_uk.format(
                    letters=spoken_letters(service.prefix, "uk"),
                    number=12,
                    counter=counter.number,
                    ticket=f"{service.prefix}012",
                ),
            ),
            hall_languages=site.hall_languages,
        ),
        "Presence": msg.Presence(state=msg.PresenceState.ONLINE),
        "DeviceStatus": msg.DeviceStatus(
            device=dispenser.id if dispenser else "dispenser-1",
            role="dispenser",
            software="okienko 0.1.0",
            printer=msg.PrinterState.PAPER_NEAR_END,
            at=AT,
        ),
    }


MESSAGE_MODELS: dict[str, type[BaseModel]] = {
    "IssueTicketRequest": msg.IssueTicketRequest,
    "CheckInRequest": msg.CheckInRequest,
    "CounterRequest": msg.CounterRequest,
    "TransferRequest": msg.TransferRequest,
    "SignInRequest": msg.SignInRequest,
    "Reply": msg.Reply,
    "QueueState": msg.QueueState,
    "CounterState": msg.CounterState,
    "TicketCalled": msg.TicketCalled,
    "Presence": msg.Presence,
    "DeviceStatus": msg.DeviceStatus,
}


def _param(description: str) -> dict[str, Any]:
    return {"description": description}


def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """components.schemas (with $defs hoisted) and a payload $ref per message."""
    schemas: dict[str, Any] = {}
    refs: dict[str, Any] = {}
    for name, model in MESSAGE_MODELS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas[def_name] = definition
        schemas[name] = schema
        refs[name] = {"$ref": f"#/components/schemas/{name}"}
    return dict(sorted(schemas.items())), refs


def build_document(site: Site) -> dict[str, Any]:
    t = Topics("{site}")
    examples = _examples(site)
    schemas, refs = _schemas()
    site_p = {"site": _param(f"site id, e.g. {site.id}")}
    device_p = {**site_p, "device": _param("device id = its broker user name")}
    counter_p = {**site_p, "counter": _param("counter id, e.g. " + site.counters[0].id)}
    correlation = {"location": "$message.header#/correlationData"}

    def message(name: str, summary: str, *, reply: bool = False) -> dict[str, Any]:
        m: dict[str, Any] = {
            "name": name,
            "title": name,
            "summary": summary,
            "contentType": "application/json",
            "payload": refs[name],
            "examples": [
                {"name": f"{name}Example", "payload": examples[name].model_dump(mode="json")}
            ],
        }
        if reply or name.endswith("Request"):
            m["correlationId"] = {"$ref": "#/components/correlationIds/requestId"}
        return m

    messages: dict[str, Any] = {
        "IssueTicketRequest": message("IssueTicketRequest", "A ticket for a service."),
        "CheckInRequest": message("CheckInRequest", "A reservation's access code."),
        "CounterRequest": message("CounterRequest", "A counter button; no fields."),
        "TransferRequest": message("TransferRequest", "Where to send the current visitor."),
        "SignInRequest": message("SignInRequest", "Clerk and PIN."),
        "Reply": message("Reply", "The answer to one request: ok, or an error code.", reply=True),
        "QueueState": message("QueueState", "Retained: waiting, estimates, last calls."),
        "CounterState": message("CounterState", "Retained: one counter's state."),
        "TicketCalled": message("TicketCalled", "A call or recall, with its announcement."),
        "Presence": message("Presence", "Retained online/offline; offline is the Last Will."),
        "DeviceStatus": message("DeviceStatus", "Retained device health (printer, version)."),
    }
    retained = {"mqtt": {"qos": 1, "retain": True, "bindingVersion": "0.2.0"}}
    qos1 = {"mqtt": {"qos": 1, "retain": False, "bindingVersion": "0.2.0"}}

    channels: dict[str, Any] = {
        "reply": {
            "address": t.reply("{device}"),
            "description": "The hub's replies to one device's requests.",
            "parameters": device_p,
            "messages": {"Reply": {"$ref": "#/components/messages/Reply"}},
        },
        "queueState": {
            "address": t.queue_state,
            "parameters": site_p,
            "messages": {"QueueState": {"$ref": "#/components/messages/QueueState"}},
        },
        "counterState": {
            "address": t.counter_state("{counter}"),
            "parameters": counter_p,
            "messages": {"CounterState": {"$ref": "#/components/messages/CounterState"}},
        },
        "ticketCalled": {
            "address": t.called("{counter}"),
            "parameters": counter_p,
            "messages": {"TicketCalled": {"$ref": "#/components/messages/TicketCalled"}},
        },
        "presence": {
            "address": t.presence("{device}"),
            "description": "Each device's and the hub's (device id 'hub') presence.",
            "parameters": device_p,
            "messages": {"Presence": {"$ref": "#/components/messages/Presence"}},
        },
        "status": {
            "address": t.status("{device}"),
            "parameters": device_p,
            "messages": {"DeviceStatus": {"$ref": "#/components/messages/DeviceStatus"}},
        },
    }
    operations: dict[str, Any] = {}
    for op_id, op, model, summary in REQUESTS:
        name = model.__name__
        channel = f"cmd_{op.value}"
        channels[channel] = {
            "address": t.command("{device}", op),
            "description": summary,
            "parameters": device_p,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[op_id] = {
            "action": "send",
            "summary": summary,
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
            "bindings": qos1,
            "reply": {
                "channel": {"$ref": "#/channels/reply"},
                "messages": [{"$ref": "#/channels/reply/messages/Reply"}],
            },
        }
    receives = [
        (
            "queueState",
            "queueState",
            "QueueState",
            "The queue snapshot (displays, dispensers).",
            retained,
        ),
        ("counterState", "counterState", "CounterState", "One counter's state.", retained),
        ("ticketCalled", "ticketCalled", "TicketCalled", "Each call, for screens and voice.", qos1),
        ("devicePresence", "presence", "Presence", "Devices' and the hub's presence.", retained),
        ("deviceStatus", "status", "DeviceStatus", "Devices' health, read by the hub.", retained),
    ]
    for op_id, channel, name, summary, bindings in receives:
        operations[op_id] = {
            "action": "receive",
            "summary": summary,
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
            "bindings": bindings,
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Okienko site MQTT contract",
            "version": f"{VERSION}.0.0",
            "description": (
                "Between a site's hub and its appliances, through the site's Mosquitto. "
                "Generated from hub/contract (topics.py, messages.py) by "
                "`python -m hub.contract.asyncapi`; do not edit by hand. Described from a "
                "device's side: devices send requests (MQTT v5, QoS 1, response topic = the "
                "reply channel, correlation data = request_id) and receive replies, retained "
                "state and calls. A repeated request_id gets the same reply and no second effect."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "hub": {
                "host": "{host}:{port}",
                "protocol": "secure-mqtt",
                "protocolVersion": "5",
                "description": (
                    "The site's Mosquitto, TLS only: its certificate must come from the site CA "
                    "(in every enrolment bundle) and name the host connected to. Found by "
                    "zeroconf as _okienko._tcp; an announced broker is used only once it has "
                    "proved itself with that CA, before any password is sent."
                ),
                "variables": {
                    "host": {"default": "okienko-hub.local"},
                    "port": {"default": "8883"},
                },
                "security": [{"$ref": "#/components/securitySchemes/deviceAccount"}],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "correlationIds": {
                "requestId": {
                    "description": "MQTT v5 correlation data: the request's request_id.",
                    **correlation,
                }
            },
            "securitySchemes": {
                "deviceAccount": {
                    "type": "userPassword",
                    "description": "One broker account per device; ACLs allow only its role.",
                }
            },
        },
    }


def render_yaml(site: Site) -> str:
    return yaml.safe_dump(build_document(site), sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.contract.asyncapi")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=DOC)
    parser.add_argument("--site", type=Path, default=EXAMPLE_SITE)
    args = parser.parse_args(argv)
    return write_or_check(
        args.out,
        render_yaml(load_site(args.site).site),
        check=args.check,
        regenerate="python -m hub.contract.asyncapi",
    )


if __name__ == "__main__":
    sys.exit(main())
