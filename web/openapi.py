"""Generate docs/openapi.json (OpenAPI 3.1) from the pydantic models the handlers answer with:
the booking API, the e-ticket state, the hub sync API and the register's read API for an EZD
system. Every status a handler can return is listed with the model it is built from, so a
test can drive each operation and check each answer against this document.

Open311 (fault reports, /open311/v2/) keeps its own specification, GeoReport v2.

    python -m web.openapi            write docs/openapi.json
    python -m web.openapi --check    fail when the file is not what the code says
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hub.contract import sync as sync_contract
from hub.contract.generated import write_or_check
from web.apierrors import ApiError, FieldErrors, TooManyRequests, WrongCode
from web.bodylimit import DEFAULT_CAP, cap_for
from web.eticket.api import TicketState
from web.reservations import api as booking
from web.staff.api import PER_TOKEN, WINDOW_S, RegisterDay, RegisterQuery

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "openapi.json"
REF = "#/components/schemas/{model}"
GEOREPORT = "https://wiki.open311.org/GeoReport_v2"

Mode = Literal["validation", "serialization"]


@dataclass(frozen=True)
class Answer:
    model: type[BaseModel]
    description: str
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    op_id: str
    tag: str
    summary: str
    answers: dict[int, Answer]
    description: str = ""
    body: type[BaseModel] | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)
    security: str | None = None


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "maxLength": 64},
    }


LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "language of names in the answer (default pl)",
    "schema": {"type": "string", "enum": ["pl", "en", "uk"]},
}
TOKEN = _path_param("token", "the visit's manage token (from the confirmation)")
TICKET = _path_param("token", "the e-ticket's token (the paper ticket's QR code)")

# The answers several operations share.
LIMITED = Answer(TooManyRequests, "Too many requests: wait Retry-After seconds.", ("Retry-After",))
NOT_FOUND = Answer(ApiError, "Not found (error: not_found).")
TOO_LARGE = Answer(ApiError, "The body is over its limit (error: body_too_large).")
INVALID = Answer(FieldErrors, "Invalid input: a problem per field.")
UNAUTHORIZED = Answer(ApiError, "No valid token (error: unauthorized).", ("WWW-Authenticate",))


def _query(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Query parameters from the model the handler validates them with."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": prop.pop("description", ""),
            "schema": {k: v for k, v in prop.items() if k != "title"},
        }
        for name, prop in schema["properties"].items()
    ]


OPERATIONS: list[Operation] = [
    Operation(
        "post",
        "/api/v1/reservations",
        "holdReservation",
        "booking",
        "Hold an hour and send the visitor a 6-digit code",
        description=(
            "The same rules as the public booking pages: the hour must be free, inside the "
            "service's booking window and on its grid; the contact gets a code valid for the "
            "service's hold time. Limited per client address (default 20 per 10 minutes) and "
            "per contact (5 codes per hour)."
        ),
        body=booking.HoldRequest,
        answers={
            201: Answer(booking.HoldReply, "Held; confirm with the code before hold_until."),
            409: Answer(ApiError, "The hour is taken (slot_full, building_full)."),
            413: TOO_LARGE,
            422: INVALID,
            429: LIMITED,
            502: Answer(ApiError, "The code could not be sent (cannot_send_code)."),
        },
    ),
    Operation(
        "post",
        "/api/v1/reservations/{id}/confirm",
        "confirmReservation",
        "booking",
        "Confirm a hold with its code",
        description=(
            "Returns the access code (the virtual ticket), the visit's number and the manage "
            "token, and sends the confirmation to the visitor's contacts. Five wrong codes end "
            "the hold; tries are limited per client address and per contact."
        ),
        parameters=[_path_param("id", "the hold's id")],
        body=booking.ConfirmRequest,
        answers={
            200: Answer(booking.ConfirmReply, "Confirmed."),
            400: Answer(WrongCode, "Not the code that was sent."),
            404: NOT_FOUND,
            409: Answer(ApiError, "The reservation is no longer pending (e.g. cancelled)."),
            410: Answer(ApiError, "The hold is over: hold_expired or too_many_attempts."),
            413: TOO_LARGE,
            422: INVALID,
            429: LIMITED,
        },
    ),
    Operation(
        "get",
        "/api/v1/visits/{token}",
        "getVisit",
        "booking",
        "A confirmed visit by its manage token",
        description="What the visitor's /visit/{token} page shows. Limited per client address.",
        parameters=[TOKEN, LANG],
        answers={200: Answer(booking.VisitReply, "The visit."), 404: NOT_FOUND, 429: LIMITED},
    ),
    Operation(
        "post",
        "/api/v1/visits/{token}/cancel",
        "cancelVisit",
        "booking",
        "Cancel a visit by its manage token",
        description=(
            "Gives the place back. A cancelled visit answers the same again; a visit that "
            "has begun, was checked in or was not kept cannot be cancelled (409)."
        ),
        parameters=[TOKEN, LANG],
        answers={
            200: Answer(booking.VisitReply, "Cancelled (status: cancelled)."),
            404: NOT_FOUND,
            409: Answer(ApiError, "Not cancellable now (not_cancellable)."),
            413: TOO_LARGE,
            429: LIMITED,
        },
    ),
    Operation(
        "get",
        "/api/v1/etickets/{token}",
        "getETicket",
        "e-ticket",
        "A queue ticket's state",
        description=(
            "What the paper ticket's page (/e/{token}) shows, from the site hub's last sync. "
            "The page's live stream is /e/{token}/live (server-sent events)."
        ),
        parameters=[TICKET, LANG],
        answers={200: Answer(TicketState, "The ticket's state."), 404: NOT_FOUND},
    ),
    Operation(
        "post",
        sync_contract.PUSH_PATH,
        "pushEvents",
        "sync",
        "A hub pushes its queue events and a snapshot",
        description=(
            "Events are keyed by (site, seq): a batch sent again takes effect once. At most "
            f"{sync_contract.MAX_BATCH} events, {cap_for(sync_contract.PUSH_PATH)} bytes."
        ),
        body=sync_contract.PushRequest,
        security="siteToken",
        answers={
            200: Answer(sync_contract.PushReply, "Stored up to acked."),
            401: UNAUTHORIZED,
            409: Answer(ApiError, "The token belongs to another site (wrong_site)."),
            413: TOO_LARGE,
            422: INVALID,
        },
    ),
    Operation(
        "get",
        sync_contract.PULL_PATH,
        "pullReservations",
        "sync",
        "A hub pulls its site's reservations changed after a cursor",
        parameters=[
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "the cursor of the last answer (default 0: all)",
                "schema": {"type": "integer", "default": 0},
            },
            {
                "name": "site",
                "in": "query",
                "required": False,
                "description": "the hub's own site id: another site's token is refused (409)",
                "schema": {"type": "string"},
            },
        ],
        security="siteToken",
        answers={
            200: Answer(sync_contract.PullReply, "Changes after the cursor, in commit order."),
            401: UNAUTHORIZED,
            409: Answer(ApiError, "The token belongs to another site (wrong_site)."),
            422: INVALID,
        },
    ),
    Operation(
        "get",
        "/api/v1/register/visits",
        "registerVisits",
        "register",
        "A location's visits of one day (for an EZD system)",
        description=(
            "The reservation register, read only: every visit of the day but expired holds, "
            "in time order. A token may be limited to one location. "
            f"At most {PER_TOKEN} requests per {WINDOW_S} s per token's holder."
        ),
        parameters=_query(RegisterQuery),
        security="staffApiToken",
        answers={
            200: Answer(RegisterDay, "The day's visits."),
            401: UNAUTHORIZED,
            403: Answer(ApiError, "The token is for another location (forbidden)."),
            404: Answer(ApiError, "No such location (not_found)."),
            422: INVALID,
            429: LIMITED,
        },
    ),
]

HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "WWW-Authenticate": {
        "description": "Bearer",
        "required": True,
        "schema": {"type": "string", "const": "Bearer"},
    },
}

SECURITY_SCHEMES = {
    "siteToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "A site's hub token: `okienko site-token create --site ID` prints it once (only "
            "its digest is stored); `okienko site-token revoke --site ID` ends it."
        ),
    },
    "staffApiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An integration's token for the register, for one location or all: an "
            "administrator creates it on /admin/api-tokens or with `okienko staff-api-token "
            'create --name "EZD" [--location ID]`, shown once (only its digest is stored), and '
            'revokes it there or with `okienko staff-api-token revoke --name "EZD"`.'
        ),
    },
}


def _models() -> list[tuple[type[BaseModel], Mode]]:
    found: dict[tuple[type[BaseModel], Mode], None] = {}
    for op in OPERATIONS:
        if op.body is not None:
            found[(op.body, "validation")] = None
        for answer in op.answers.values():
            found[(answer.model, "serialization")] = None
    return list(found)


def _schemas() -> tuple[dict[str, Any], dict[tuple[type[BaseModel], Mode], Any]]:
    refs, top = models_json_schema(_models(), ref_template=REF)
    return dict(sorted(top.get("$defs", {}).items())), cast(dict[Any, Any], refs)


def _operation(op: Operation, refs: dict[tuple[type[BaseModel], Mode], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.op_id, "tags": [op.tag], "summary": op.summary}
    if op.description:
        out["description"] = op.description
    if op.parameters:
        out["parameters"] = op.parameters
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if op.security is not None:
        out["security"] = [{op.security: []}]
    out["responses"] = {
        str(status): {
            "description": answer.description,
            **({"headers": {h: HEADERS[h] for h in answer.headers}} if answer.headers else {}),
            "content": {"application/json": {"schema": refs[(answer.model, "serialization")]}},
        }
        for status, answer in sorted(op.answers.items())
    }
    return out


def build_document() -> dict[str, Any]:
    schemas, refs = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Okienko cloud API",
            "version": "1.0.0",
            "description": (
                "The cloud's JSON APIs for integrators: booking (hold, confirm, look up and "
                "cancel by the manage token), a queue ticket's state, the hubs' sync, and the "
                "reservation register for an EZD system. Generated from the handlers' pydantic "
                "models by `python -m web.openapi`; do not edit by hand. Served at "
                "/openapi.json. Every answer is JSON; a refusal carries a stable `error` code. "
                f"Request bodies are capped at {DEFAULT_CAP} bytes unless an operation says "
                "otherwise (413). Fault reports have their own API, Open311 GeoReport v2, "
                "at /open311/v2/ (see the open311 tag)."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/", "description": "the cloud serving this document"}],
        "tags": [
            {"name": "booking", "description": "Visits booked by visitors or for them."},
            {"name": "e-ticket", "description": "Queue tickets issued at a site's dispenser."},
            {"name": "sync", "description": "Between a site's hub and the cloud."},
            {"name": "register", "description": "The reservation register, read only."},
            {
                "name": "open311",
                "description": (
                    "Fault reports: /open311/v2/ (services, requests; JSON and XML, api_key "
                    "from `okienko open311-key create`), specified by GeoReport v2."
                ),
                "externalDocs": {"url": GEOREPORT},
            },
        ],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"


@cache
def served() -> bytes:
    """The document as /openapi.json serves it (built once per process)."""
    return render().encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.openapi")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=DOC)
    args = parser.parse_args(argv)
    return write_or_check(args.out, render(), check=args.check, regenerate="python -m web.openapi")


if __name__ == "__main__":
    sys.exit(main())
