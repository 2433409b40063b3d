"""The cloud service's Starlette application and ``okienko web``.

So far: the database (migrated at start) and a health endpoint; the booking pages, reception,
administration and the helpdesk build on this (issues 4, 6, 8).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from web.db.engine import make_engine
from web.db.migrate import upgrade
from web.notify.outbox import Notifier
from web.ratelimit import RateLimit
from web.reservations import api as reservations_api
from web.reservations.booking import Offer
from web.reservations.calendar import Calendar


async def health(request: Request) -> JSONResponse:
    engine: AsyncEngine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": engine.dialect.name})


def create_app(
    database_url: str | None = None,
    *,
    catalog: dict[str, tuple[Offer, Calendar]] | None = None,
    booking_limit: RateLimit | None = None,
    notifier: Notifier | None = None,
) -> Starlette:
    engine = make_engine(database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if engine.dialect.name == "sqlite":
            path = engine.url.database
            if path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        await upgrade(engine)
        yield
        await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", health),
            Route("/api/v1/reservations", reservations_api.hold, methods=["POST"]),
            Route("/api/v1/reservations/{id}/confirm", reservations_api.confirm, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.catalog = catalog if catalog is not None else {}
    # Per IP: a person books a handful of visits, a script a thousand.
    app.state.booking_limit = booking_limit or RateLimit(limit=20, window_s=600)
    # With no SMTP server or SMS account configured, messages wait in an outbox folder.
    app.state.notifier = notifier or Notifier.outbox(Path("var/outbox"))
    return app


def server(
    host: str,
    port: int,
    database_url: str | None = None,
    *,
    own_signals: bool = True,
    **app_options: Any,
) -> Any:
    """A uvicorn server for the app; ``own_signals=False`` when it shares a process (the demo)
    whose own Ctrl-C handling stops it through ``should_exit``."""
    import uvicorn

    config = uvicorn.Config(
        create_app(database_url, **app_options),
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
    )
    srv = uvicorn.Server(config)
    if not own_signals:
        srv.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return srv


async def serve(host: str, port: int, database_url: str | None = None, **app_options: Any) -> None:
    await server(host, port, database_url, **app_options).serve()
