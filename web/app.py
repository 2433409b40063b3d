"""The cloud service's Starlette application and ``okienko web``.

Every part brings its own routes (public booking pages, staff pages, administration, the JSON
API); this module wires them with the database (migrated at start), sessions, CSRF, the
notifier, rate limits and the background jobs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hub.config import Site
from okienko.private_files import create_private, private_dir
from web import jobs
from web.admin.routes import routes as admin_routes
from web.auth.routes import routes as auth_routes
from web.bodylimit import BodyLimit
from web.catalog import import_site
from web.db.engine import make_engine
from web.db.migrate import upgrade
from web.eticket import api as eticket_api
from web.eticket.routes import routes as eticket_routes
from web.eticket.streams import PER_CLIENT_DEFAULT, OpenStreams
from web.faults.routes import routes as faults_routes
from web.faults.settings import FaultSettings
from web.headers import SecurityHeaders
from web.helpdesk.routes import routes as helpdesk_routes
from web.i18n import LanguageMiddleware
from web.identity import signin_limit
from web.identity.backends.ldap import LdapSettings
from web.identity.backends.oidc import OidcSettings
from web.identity.oidc_routes import routes as oidc_routes
from web.identity.reset import routes as reset_routes
from web.identity.settings import SigninPolicy
from web.identity.signin_page import routes as signin_routes
from web.metrics import RequestMetrics, watch_pool
from web.notify.outbox import Notifier
from web.public.routes import routes as public_routes
from web.ratelimit import DatabaseHits, RateLimit
from web.redact import log_config
from web.reports.routes import routes as report_routes
from web.requestid import RequestId
from web.reservations import api as reservations_api
from web.security import CsrfMiddleware
from web.staff import api as register_api
from web.staff.routes import routes as staff_routes
from web.sync.api import routes as sync_routes
from web.sync.live import Live
from web.sync.status import routes as site_routes

log = logging.getLogger("okienko.web")
STATIC = Path(__file__).resolve().parent / "static"


async def health(request: Request) -> JSONResponse:
    engine: AsyncEngine = request.app.state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": engine.dialect.name})


def secret_key(engine: AsyncEngine) -> str:
    """The key that signs session cookies: OKIENKO_SECRET_KEY (same value on every host of a
    multi-host cloud), else a key kept in a file beside the SQLite database (or var/)."""
    if key := os.environ.get("OKIENKO_SECRET_KEY"):
        return key
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    path = (Path(db).parent if db else Path("var")) / "web.secret"
    if not path.exists():
        private_dir(path.parent)
        tmp = path.with_suffix(f".{os.getpid()}")
        create_private(tmp, secrets.token_urlsafe(48).encode())  # 0600 from its first moment
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic: two workers starting together agree on one key
        tmp.unlink()
    return path.read_text().strip()


async def openapi_document(request: Request) -> Response:
    from web.openapi import served

    return Response(served(), media_type="application/json")


async def not_found(request: Request, exc: Exception) -> Response:
    from web.templating import render

    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "not_found" if status == 404 else "error"}, status)
    template = "errors/404.html" if status == 404 else "errors/500.html"
    return render(request, template, status_code=status)


async def server_error(request: Request, exc: Exception) -> Response:
    # Logged with the trace for the operators; the visitor gets a plain page, never the trace.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    from web.templating import render

    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "internal"}, status_code=500)
    try:
        return render(request, "errors/500.html", status_code=500)
    except Exception:
        return Response("Błąd serwera", status_code=500, media_type="text/plain")


def create_app(
    database_url: str | None = None,
    *,
    site: Site | None = None,
    booking_limit: int = 20,
    notifier: Notifier | None = None,
    public_url: str | None = None,
    idle_logout_s: int = 60 * 60,
    signin_audit_days: int = 90,
    access_log_days: int = 365,
    directory: LdapSettings | None = None,
    oidc: OidcSettings | None = None,
    signin_policy: SigninPolicy | None = None,
    secure_cookies: bool = False,
    fault_settings: FaultSettings | None = None,
    helpdesk_contact: Any = None,
    streams_per_client: int = PER_CLIENT_DEFAULT,
    push_trusted: frozenset[str] = frozenset(),
) -> Starlette:
    engine = make_engine(database_url)
    watch_pool(engine)
    # Served over https (the public URL says so): the cookie is Secure and __Host- (never
    # sent over http, never set by a sibling domain), and browsers are told to keep https.
    secure = secure_cookies or (public_url or "").startswith("https://")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if engine.dialect.name == "sqlite":
            path = engine.url.database
            if path:
                private_dir(Path(path).parent)
        await upgrade(engine)
        if site is not None:
            await import_site(engine, site)
        await app.state.live.start(engine)
        try:
            async with jobs.running(app):
                yield
        finally:
            await app.state.live.stop()
            await engine.dispose()

    if engine.dialect.name == "sqlite" and engine.url.database:
        private_dir(Path(engine.url.database).parent)  # the visitors' data: the owner's only
    app = Starlette(
        routes=[
            Route("/healthz", health),
            Route("/api/v1/reservations", reservations_api.hold, methods=["POST"]),
            Route("/api/v1/reservations/{id}/confirm", reservations_api.confirm, methods=["POST"]),
            Route("/api/v1/visits/{token}", reservations_api.visit, methods=["GET"]),
            Route("/api/v1/visits/{token}/cancel", reservations_api.cancel, methods=["POST"]),
            Route("/api/v1/etickets/{token}", eticket_api.ticket, methods=["GET"]),
            Route("/api/v1/register/visits", register_api.visits, methods=["GET"]),
            Route("/openapi.json", openapi_document, methods=["GET"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *sync_routes,
            *eticket_routes,
            *signin_routes,
            *reset_routes,
            *auth_routes,
            *oidc_routes,
            *helpdesk_routes,
            *faults_routes,
            *report_routes,
            *site_routes,
            *staff_routes,
            *admin_routes,
            *public_routes,
        ],
        middleware=[
            Middleware(RequestId),  # outermost: every line logged for a request carries its id
            Middleware(RequestMetrics),  # sees every answer, its headers' too
            Middleware(SecurityHeaders, hsts=secure),
            # Outside CSRF, which may read a form's body: every read is capped.
            Middleware(BodyLimit),
            Middleware(
                SessionMiddleware,
                secret_key=secret_key(engine),
                session_cookie="__Host-okienko_session" if secure else "okienko_session",
                same_site="lax",
                https_only=secure,
                max_age=14 * 24 * 3600,
            ),
            Middleware(CsrfMiddleware),
            Middleware(LanguageMiddleware),
        ],
        exception_handlers={404: not_found, 405: not_found, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.live = Live()
    # Live pages' streams one client address may hold open (web/eticket/streams.py).
    app.state.open_streams = OpenStreams(streams_per_client)
    # Every limit counts in the database: all workers and hosts see the same attempts.
    hits = app.state.rate_hits = DatabaseHits(engine, secret_key(engine))

    def limit(name: str, most: int, window_s: float) -> RateLimit:
        return RateLimit(limit=most, window_s=window_s, name=name, store=hits)

    # Per IP: a person books a handful of visits, a script a thousand.
    app.state.booking_limit = limit("booking", booking_limit, 600)
    # Per phone number or e-mail address: codes sent to one person.
    app.state.contact_limit = limit("contact", 5, 3600)
    # Confirmation-code tries per IP (each reservation also locks after five wrong codes).
    app.state.confirm_limit = limit("confirm", max(30, booking_limit), 600)
    # Sign-in: failures per account and source together, with a growing delay (not per
    # account alone, or anyone could lock an administrator out), and per source.
    app.state.login_limit, app.state.login_source_limit = signin_limit.limits(hits)
    # With no SMTP server or SMS account configured, messages wait in an outbox folder.
    app.state.notifier = notifier or Notifier.outbox(Path("var/outbox"))
    app.state.public_url = public_url
    app.state.idle_logout_s = idle_logout_s
    # How long the sign-in audit keeps its rows (web/identity/audit.py).
    app.state.signin_audit_days = signin_audit_days
    # How long the access log keeps its rows (web/privacy/access.py).
    app.state.access_log_days = access_log_days
    # Directory sign-in (--directory): None, local passwords only.
    app.state.directory = directory
    # OpenID Connect sign-in (the [oidc] table of --directory): None, no button.
    app.state.oidc = oidc
    # Local passwords refused to all but the break-glass administrators ([signin]).
    app.state.signin_policy = signin_policy or SigninPolicy()
    # The fault reports' working calendar and SLA limits (None: the seed's Łódź ones).
    app.state.fault_settings = fault_settings
    # The helpdesk's "Dane kontaktowe" (web/helpdesk/contact.py; None: from the sender).
    app.state.helpdesk_contact = helpdesk_contact
    # Web Push origins sent to although not https to a public address (web/notify/push.py).
    app.state.push_trusted = push_trusted
    return app


def server(
    host: str,
    port: int,
    database_url: str | None = None,
    *,
    own_signals: bool = True,
    access_log: bool = False,
    log_format: str = "text",
    **app_options: Any,
) -> Any:
    """A uvicorn server for the app; ``own_signals=False`` when it shares a process (the demo)
    whose own Ctrl-C handling stops it through ``should_exit``. Its logs are redacted
    (web/redact.py); ``access_log`` writes a line per request; ``log_format="json"``: JSON lines
    with the request id."""
    import uvicorn

    if not app_options.get("public_url"):  # links in mail need an address people can open
        app_options["public_url"] = f"http://{host}:{port}"
    config = uvicorn.Config(
        create_app(database_url, **app_options),
        host=host,
        port=port,
        lifespan="on",
        log_level=None,
        log_config=log_config(access_log=access_log, log_format=log_format),
        access_log=access_log,
    )
    srv = uvicorn.Server(config)
    if not own_signals:
        srv.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return srv


async def serve(host: str, port: int, database_url: str | None = None, **app_options: Any) -> None:
    await server(host, port, database_url, **app_options).serve()
