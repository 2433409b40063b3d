"""The sign-in audit: every sign-in, failed sign-in, refused (rate-limited) try and sign-out of
every part, with the address it came from; kept ``--signin-audit-days`` (90 by default) and
exported as CSV for administrators.

It is a table, not a log: logs never carry personal data, and an administrator must be able to
answer "who signed in as X last week, and from where?"."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from web.db.models import SigninEvent

A = cast(Table, SigninEvent.__table__)
KEEP_DAYS_DEFAULT = 90
HEADER = ["at_utc", "part", "email", "account_id", "outcome", "source"]


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    FAILED = "failed"  # a wrong password, an unknown or inactive account
    LIMITED = "limited"  # refused before the password was checked: too many tries
    SIGNED_OUT = "signed_out"


def source_of(request: Request) -> str:
    return (request.client.host if request.client else "?")[:64]


async def record(
    request: Request,
    realm: str,
    outcome: Outcome,
    email: str,
    account_id: int | None = None,
) -> None:
    async with request.app.state.engine.begin() as conn:
        await conn.execute(
            A.insert().values(
                at=datetime.now(UTC),
                realm=realm,
                email=email[:200],
                account_id=account_id,
                outcome=str(outcome),
                source=source_of(request),
            )
        )


def _cell(value: object) -> object:
    # A spreadsheet runs a cell that starts with = + - @ (or a tab/CR before one) as a
    # formula: an e-mail typed into the sign-in form must stay text in the administrator's Excel.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


async def export_csv(engine: AsyncEngine) -> bytes:
    """Every kept event, the newest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    async with engine.connect() as conn:
        rows = await conn.execute(select(A).order_by(A.c.at.desc(), A.c.id.desc()))
        for r in rows:
            at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)  # SQLite drops the zone
            writer.writerow(
                [
                    _cell(v)
                    for v in (
                        at.astimezone(UTC).isoformat(timespec="seconds"),
                        r.realm,
                        r.email,
                        r.account_id,
                        r.outcome,
                        r.source,
                    )
                ]
            )
    return buffer.getvalue().encode("utf-8-sig")  # a BOM: Excel opens Polish letters right


PAGE = 200  # the newest events the administrator's page shows; the CSV has every kept one


async def latest(engine: AsyncEngine, limit: int = PAGE) -> list[Any]:
    """The newest events, for the administrator's page."""
    async with engine.connect() as conn:
        rows = await conn.execute(select(A).order_by(A.c.at.desc(), A.c.id.desc()).limit(limit))
        return list(rows)


async def csv_response(request: Request) -> Response:
    """The export, for an endpoint that has already checked the administrator."""
    return Response(
        await export_csv(request.app.state.engine),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="okienko-signins.csv"'},
    )


async def sweep(app: Any, now: datetime) -> int:
    """The job that deletes events older than the kept period."""
    days = int(getattr(app.state, "signin_audit_days", KEEP_DAYS_DEFAULT))
    async with app.state.engine.begin() as conn:
        done = await conn.execute(delete(A).where(A.c.at < now - timedelta(days=days)))
    return int(done.rowcount or 0)
