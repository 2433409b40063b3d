"""The JSON APIs' refusals: one pydantic model per shape, used by the handlers to build their
answers and by web/openapi.py to document them, so the document cannot drift from the server.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import JSONResponse


class ApiModel(BaseModel):
    """Requests and replies of the JSON APIs: unknown fields are refused, never ignored."""

    model_config = ConfigDict(extra="forbid")


class ApiError(ApiModel):
    """A refusal: a stable code for programs, and sometimes a sentence for people."""

    error: str = Field(description="stable code, e.g. not_found, slot_full, unauthorized")
    detail: str | None = Field(None, description="what went wrong, in English")


class FieldErrors(ApiModel):
    """422: what is wrong with each field of the request, all fields at once."""

    error: str = Field(
        "invalid", description="invalid; or why the time cannot be booked: not_a_slot, …"
    )
    fields: dict[str, str] = Field(
        description="field name (dotted for nested ones; '' for the body as a whole) → problem"
    )
    detail: str | None = Field(None, description="the validator's whole message, for logs")


class TooManyRequests(ApiModel):
    """429: slow down; the Retry-After header says for how many seconds."""

    error: Literal["too_many_requests"] = "too_many_requests"
    fields: dict[str, str] | None = Field(
        None, description="when one field's value is limited (e.g. a contact), that field"
    )


class WrongCode(ApiModel):
    """400: the confirmation code was not the one sent; five wrong codes end the hold."""

    error: Literal["wrong_code"] = "wrong_code"
    attempts_left: int = Field(ge=0)


def reply(model: BaseModel, status_code: int = 200, **headers: str) -> JSONResponse:
    """A model as the JSON answer: fields left None are left out, as the document says."""
    return JSONResponse(
        model.model_dump(mode="json", exclude_none=True),
        status_code=status_code,
        headers={k.replace("_", "-"): v for k, v in headers.items()} or None,
    )


def error(status_code: int, code: str, detail: str | None = None, **headers: str) -> JSONResponse:
    return reply(ApiError(error=code, detail=detail), status_code, **headers)


def invalid(
    fields: dict[str, str], detail: str | None = None, code: str = "invalid"
) -> JSONResponse:
    return reply(FieldErrors(error=code, fields=fields, detail=detail), 422)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors by dotted field path ("events.0.seq"), the first per field."""
    found: dict[str, str] = {}
    for e in exc.errors():
        found.setdefault(".".join(str(p) for p in e["loc"]), e["msg"])
    return found


def too_many(retry_after_s: int, fields: dict[str, str] | None = None) -> JSONResponse:
    return reply(TooManyRequests(fields=fields), 429, Retry_After=str(retry_after_s))


def unauthorized(detail: str) -> JSONResponse:
    return error(401, "unauthorized", detail, WWW_Authenticate="Bearer")
