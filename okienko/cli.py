"""The ``okienko`` command. Subcommands import their component lazily, so a device that only
installed the appliance extra never needs the hub's or the web's libraries."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.notify.mail import Mailer


def _hub(args: argparse.Namespace) -> int:
    from hub.app import HubFailed, run, serve_forever
    from hub.config import ConfigError, load_site
    from hub.runlock import HubRunning
    from hub.store.database import StoreError

    try:
        site_file = load_site(args.config)
        run(serve_forever(site_file, args.config))
    except (ConfigError, StoreError, HubRunning) as exc:
        print(exc, file=sys.stderr)
        return 2
    except HubFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from okienko.demo import run_demo

    return run_demo(
        headless=args.headless,
        info_file=args.info_file,
        workdir=args.workdir,
        site=args.site,
        faults_calendar=args.faults_calendar,
        directory=args.directory,
    )


def _broker_config(args: argparse.Namespace) -> int:
    """Mosquitto's files for given certificates (tests, an office's own tooling); a site's
    documented path is ``okienko provision init``, which keeps passwords when run again."""
    from hub.config import ConfigError, load_site
    from okienko.private_files import write_private
    from provisioning.broker import TlsFiles, generate_passwords, port_taken, write_broker_files

    try:
        site = load_site(args.site).site
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if (args.out / "passwd").exists():
        if not args.rotate_all:
            print(
                f"broker-config: {args.out} holds a broker's accounts already; running again "
                "gives every device a new password: add --rotate-all for that (`okienko "
                "provision init` is the site's path, and keeps passwords when run again)",
                file=sys.stderr,
            )
            return 2
    else:
        taken = port_taken(args.host, args.port)
        if taken is not None:
            print(f"broker-config: {taken}", file=sys.stderr)
            return 2
    passwords = generate_passwords(site)
    tls = TlsFiles(args.cafile, args.certfile, args.keyfile)
    files = write_broker_files(site, args.out, passwords, host=args.host, port=args.port, tls=tls)
    secrets_file = args.out / "passwords.txt"
    lines = "".join(f"{u} {p}\n" for u, p in passwords.items())
    write_private(secrets_file, lines.encode("utf-8"))
    # The hub's [hub.mqtt] password_file holds the bare password, not a "user password" line.
    hub_file = args.out / "hub.password"
    write_private(hub_file, f"{passwords['hub']}\n".encode())
    print(
        f"broker configuration written to {files.conf}; passwords in {secrets_file}; "
        f"the hub's [hub.mqtt] password_file: {hub_file}"
    )
    return 0


def _provision(args: argparse.Namespace) -> int:
    from provisioning.cli import run

    return run(args)


def _pin_hash(args: argparse.Namespace) -> int:
    import getpass

    from hub.clerks import hash_pin

    pin = args.pin or getpass.getpass("PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        print("a PIN is 4 to 12 digits", file=sys.stderr)
        return 2
    print(hash_pin(pin))
    return 0


def _document_argv(args: argparse.Namespace) -> list[str]:
    """The options of `okienko asyncapi|openapi` as their module's own command line."""
    argv = ["--check"] if args.check else []
    if args.out is not None:
        argv += ["--out", str(args.out)]
    if getattr(args, "site", None) is not None:
        argv += ["--site", str(args.site)]
    return argv


def _asyncapi(args: argparse.Namespace) -> int:
    from hub.contract.asyncapi import main

    return main(_document_argv(args))


def _openapi(args: argparse.Namespace) -> int:
    from web.openapi import main

    return main(_document_argv(args))


WEB_ARGV = "OKIENKO_WEB_ARGV"
"""How `okienko web --workers N` hands its options to each worker process (JSON argv)."""


class _Refused(Exception):
    """A bad option of `okienko web`: its message is printed and the command exits 2."""


def _mail_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--smtp", metavar="HOST:PORT", help="SMTP server for e-mail (default: outbox)")
    p.add_argument(
        "--smtp-user", help="SMTP account (or OKIENKO_SMTP_USER); password: OKIENKO_SMTP_PASSWORD"
    )
    p.add_argument(
        "--smtp-starttls",
        action="store_true",
        help="upgrade the SMTP connection with STARTTLS (or OKIENKO_SMTP_STARTTLS=1)",
    )
    p.add_argument("--mail-from", default="Okienko <no-reply@localhost>", help="no-reply sender")
    p.add_argument(
        "--outbox",
        type=Path,
        default=Path("var/outbox"),
        help="where mail and SMS go when no server is configured "
        "(for SMS through SMSAPI.pl set SMSAPI_TOKEN)",
    )


def _mailer(args: argparse.Namespace) -> Mailer:
    """SMTP when ``--smtp`` is given, else the outbox directory (refused: a bad option)."""
    from web.notify.mail import Mailer, SmtpConfigError, smtp_settings
    from web.notify.outbox import OutboxMailer

    if not args.smtp:
        return OutboxMailer(args.outbox, sender=args.mail_from)
    try:
        return Mailer(
            smtp_settings(
                args.smtp, args.mail_from, username=args.smtp_user, starttls=args.smtp_starttls
            )
        )
    except SmtpConfigError as exc:
        raise _Refused(str(exc)) from None


def _web_options(args: argparse.Namespace, *, reach: bool = True) -> dict[str, Any]:
    """``create_app``'s options from the command line, every one checked first (``reach``:
    connect to the database once; a worker's parent has done that already)."""
    import asyncio

    from hub.config import ConfigError, load_site
    from web.db.engine import DatabaseUrlError, check_reachable, database_url
    from web.notify.outbox import Notifier
    from web.notify.sms import FileGateway, SmsapiGateway, SmsGateway

    try:
        site = load_site(args.site).site if args.site else None
    except ConfigError as exc:
        raise _Refused(str(exc)) from None
    try:
        if reach:
            asyncio.run(check_reachable(args.database_url or database_url()))
    except DatabaseUrlError as exc:
        raise _Refused(str(exc)) from None
    mailer = _mailer(args)
    token = os.environ.get("SMSAPI_TOKEN")
    sms: SmsGateway = SmsapiGateway(token) if token else FileGateway(args.outbox / "sms.jsonl")
    return {
        "site": site,
        "booking_limit": args.booking_limit,
        "public_url": args.public_url or f"http://{args.host}:{args.port}",
        "idle_logout_s": args.idle_logout,
        "signin_audit_days": args.signin_audit_days,
        "access_log_days": args.access_log_days,
        **_identity(args.directory),
        "notifier": Notifier(mailer, sms),
        "fault_settings": _fault_settings(args.faults_calendar),
        "helpdesk_contact": _helpdesk_contact(args),
        "streams_per_client": args.streams_per_client,
        "push_trusted": _push_trusted(args.push_allow),
    }


def _push_trusted(origins: list[str]) -> frozenset[str]:
    from web.notify.push import origin

    found = set()
    for text in origins:
        o = origin(text)
        if o is None:
            raise _Refused(f"--push-allow {text!r}: write an origin like http://127.0.0.1:8090")
        found.add(o)
    return frozenset(found)


def _web(args: argparse.Namespace) -> int:
    from web import multiproc

    if args.log_format == "json":  # from the first line on, the start's included
        import logging.config

        from web.redact import log_config

        logging.config.dictConfig(log_config(access_log=args.access_log, log_format="json"))
        logging.captureWarnings(True)  # a Python warning is a JSON line too, not raw text

    if args.metrics_listen or multiproc.enabled():  # before prometheus_client is imported
        multiproc.prepare(args.workers)

    from hub.app import run
    from web.app import serve

    try:
        options = _web_options(args)
    except _Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    _log_web_start(args, options)
    if args.metrics_listen:
        try:
            _web_metrics(args, options)
        except (ValueError, OSError) as exc:
            print(f"--metrics-listen: {exc}", file=sys.stderr)
            return 2
    if args.workers > 1:
        return _web_workers(args, options)
    run(
        serve(
            args.host,
            args.port,
            args.database_url,
            access_log=args.access_log,
            log_format=args.log_format,
            **options,
        )
    )
    return 0


def _web_metrics(args: argparse.Namespace, options: dict[str, Any]) -> None:
    """The metrics listener, in this process: the only one, or the parent of the workers,
    which then count in multiprocess files it reads on each scrape."""
    from web import metrics

    metrics.serve(args.metrics_listen, args.database_url, options["fault_settings"])


def _log_web_start(args: argparse.Namespace, options: dict[str, Any]) -> None:
    """The one line an admin looks for: where it listens, which database (never its
    password), and the public address links in mail will carry."""
    from web.db.engine import database_url, masked

    logging.getLogger("okienko.web").info(
        "cloud on http://%s:%d (%d worker%s), database %s, public address %s",
        args.host,
        args.port,
        args.workers,
        "" if args.workers == 1 else "s",
        masked(args.database_url or database_url()),
        options["public_url"],
    )


def _web_workers(args: argparse.Namespace, options: dict[str, Any]) -> int:
    """Several uvicorn worker processes on one socket. The cloud keeps no state in a process
    (the database holds sessions' epochs, rate limits, jobs' claims; PostgreSQL's NOTIFY wakes
    every worker's live pages), so any worker may serve any request. Migrations and the site
    import run once here, before the workers start, so they never race each other."""
    import asyncio

    import uvicorn

    from web.catalog import import_site
    from web.db.engine import make_engine
    from web.db.migrate import upgrade
    from web.redact import log_config

    async def prepare() -> None:
        engine = make_engine(args.database_url)
        try:
            await upgrade(engine)
            if options["site"] is not None:
                await import_site(engine, options["site"])
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    os.environ[WEB_ARGV] = json.dumps(args.argv)
    uvicorn.run(
        "okienko.cli:web_worker_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="on",
        log_level=None,
        # redacted, in every worker too
        log_config=log_config(access_log=args.access_log, log_format=args.log_format),
        access_log=args.access_log,
    )
    return 0


def web_worker_app() -> Any:
    """The app of one worker of `okienko web --workers N`, from the parent's command line."""
    from web.app import create_app

    args = build_parser().parse_args(json.loads(os.environ[WEB_ARGV]))
    # Called inside uvicorn's running loop: nothing here may start a loop of its own.
    options = _web_options(args, reach=False)
    options["site"] = None  # imported once by the parent
    return create_app(args.database_url, **options)


def _helpdesk_contact(args: argparse.Namespace) -> Any:
    from web.helpdesk.contact import Contact, default_for
    from web.helpdesk.remote_help import HelpError, check_remote_url

    email = args.helpdesk_email or default_for(args.mail_from).email
    try:
        remote = check_remote_url(args.helpdesk_remote_url) if args.helpdesk_remote_url else ""
    except HelpError as exc:
        raise _Refused(str(exc)) from None
    return Contact(email, args.helpdesk_phone or "", args.helpdesk_hours or "", remote)


def _staff_add(args: argparse.Namespace) -> int:
    import getpass

    from web.auth.accounts import AccountError, create_staff

    if (refused := _cloud_url(args)) is not None:
        return refused
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()

    async def add(engine: Any) -> str:
        staff_id = await create_staff(
            engine,
            email=args.email,
            name=args.name,
            role=args.role,
            password=password,
            location_id=args.location,
            service_point_id=args.service_point,
            all_locations=None if args.visits is None else args.visits == "all",
        )
        return f"staff account {staff_id} created for {args.email} ({args.role})"

    return _on_cloud_db(args, add, (AccountError,), name="staff-add")


def _directory_check(args: argparse.Namespace) -> int:
    """Loads the [ldap] settings (every mistake named) and signs one user in, printing what the
    directory says: an administrator's test of a configuration before the cloud uses it."""
    import asyncio
    import getpass

    from web.identity import settings as identity
    from web.identity.backends.ldap import DirectoryConfigError, DirectoryRefused, authenticate

    try:
        loaded = identity.load(args.settings)
    except DirectoryConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings = loaded.ldap
    if args.user is None:
        for table, found in (("ldap", loaded.ldap), ("oidc", loaded.oidc)):
            if found is not None:
                print(f"{args.settings}: [{table}] is valid ({len(found.roles)} mapped groups)")
        return 0
    if settings is None:
        print(f"{args.settings}: --user signs in with [ldap], and there is none", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass()
    try:
        user = asyncio.run(authenticate(settings, args.user, password))
    except DirectoryRefused as exc:
        print(f"refused: {exc.reason}", file=sys.stderr)
        return 1
    print(f"name: {user.name}")
    print(f"e-mail: {user.email or '-'}")
    print("roles: " + (", ".join(str(g) for g in user.grants) or "-"))
    return 0


def _helpdesk_admin_add(args: argparse.Namespace) -> int:
    import getpass
    from datetime import UTC, datetime

    from web.helpdesk.accounts import AccountError, create_user
    from web.helpdesk.domain import Role

    if (refused := _cloud_url(args)) is not None:
        return refused
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()

    async def add(engine: Any) -> str:
        user_id, _token = await create_user(
            engine,
            email=args.email,
            name=args.name,
            phone=args.phone,
            role=Role.ADMIN,
            password=password,
            now=datetime.now(UTC),
        )
        return f"helpdesk administrator {user_id} created for {args.email}"

    return _on_cloud_db(args, add, (AccountError,), name="helpdesk-admin-add")


def _identity(path: Path | None) -> dict[str, Any]:
    """create_app's sign-in options from the --directory file ([ldap], [oidc], [signin]),
    checked before anything starts."""
    from web.identity import settings
    from web.identity.backends.ldap import DirectoryConfigError

    if path is None:
        return {}
    try:
        return settings.load(path).app_options()
    except DirectoryConfigError as exc:
        raise _Refused(f"--directory: {exc}") from None


def _fault_settings(path: Path | None) -> Any:
    """The fault reports' working calendar and SLA limits (--faults-calendar), checked before
    anything starts; None: the seed's Łódź ones."""
    from web.faults.settings import FaultSettings
    from web.faults.workdays import CalendarError

    if path is None:
        return None
    try:
        return FaultSettings.from_file(path)
    except CalendarError as exc:
        print(f"--faults-calendar: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _faults_mail(args: argparse.Namespace) -> int:
    import asyncio

    from web.faults.mailbox import serve
    from web.notify.outbox import Notifier
    from web.notify.sms import FileGateway

    host, _, port = args.listen.rpartition(":")
    settings = _fault_settings(args.faults_calendar)
    try:
        mailer = _mailer(args)
    except _Refused as exc:
        print(exc, file=sys.stderr)
        return 2
    # The acknowledgement goes by e-mail only; SMS never leaves this process.
    notifier = Notifier(mailer, FileGateway(args.outbox / "sms.jsonl"))
    try:
        asyncio.run(
            serve(
                host or "127.0.0.1",
                int(port),
                args.database_url,
                args.address,
                settings,
                notifier,
                args.public_url or "http://127.0.0.1:8000",
            )
        )
    except KeyboardInterrupt:
        pass
    return 0


def _cloud_url(args: argparse.Namespace) -> int | None:
    """The cloud's database for an admin command, as ``okienko web`` takes it (--database-url,
    else DATABASE_URL, else var/web.sqlite3 here): set on ``args``, or one line and exit 2
    when none is given and this folder holds no var/web.sqlite3 (run from another folder, a
    command would otherwise make a new empty database there)."""
    import os

    from web.db.engine import DEFAULT_URL

    if args.database_url or os.environ.get("DATABASE_URL"):
        args.database_url = args.database_url or os.environ["DATABASE_URL"]
        return None
    local = Path("var/web.sqlite3")
    if local.is_file():
        args.database_url = DEFAULT_URL
        return None
    print(
        f"{args.command}: which database? give --database-url or set DATABASE_URL, as for "
        f"`okienko web` (there is no {local.resolve()} here)",
        file=sys.stderr,
    )
    return 2


def _on_cloud_db(
    args: argparse.Namespace,
    work: Callable[[Any], Awaitable[str]],
    refusals: tuple[type[Exception], ...] = (),
    *,
    name: str | None = None,
) -> int:
    """Run ``work(engine)`` against the cloud's database (``--database-url`` or DATABASE_URL,
    migrated first) and print its answer; a database it cannot use, or one of ``refusals``,
    is one line on stderr and exit 2, never a traceback."""
    import asyncio

    from web.db.engine import DatabaseUrlError, check_reachable, make_engine
    from web.db.migrate import upgrade

    if (refused := _cloud_url(args)) is not None:
        return refused

    async def act() -> str:
        await check_reachable(args.database_url)
        engine = make_engine(args.database_url)
        try:
            await upgrade(engine)
            return await work(engine)
        finally:
            await engine.dispose()

    refused_by: tuple[type[Exception], ...] = (DatabaseUrlError, *refusals)
    try:
        print(asyncio.run(act()))
    except refused_by as exc:
        print(f"{name}: {exc}" if name else exc, file=sys.stderr)
        return 2
    return 0


def _site_token(args: argparse.Namespace) -> int:
    from web.sync import tokens

    async def work(engine: Any) -> str:
        if args.action == "revoke":
            n = await tokens.revoke(engine, args.site)
            return f"{n} token(s) of site {args.site} revoked"
        return await tokens.create(engine, args.site)

    return _on_cloud_db(args, work, (tokens.UnknownSite,))


def _staff_api_token(args: argparse.Namespace) -> int:
    """An integration's (an EZD system's) token for the register's read API: printed once,
    stored as a digest, revoked by the name it was given for."""
    from web.staff import api_tokens

    async def work(engine: Any) -> str:
        if args.action == "revoke":
            n = await api_tokens.revoke(engine, args.name)
            return f"{n} token(s) of {args.name} revoked"
        return await api_tokens.create(engine, args.name, args.location)

    return _on_cloud_db(args, work, (api_tokens.UnknownLocation,))


def _open311_key(args: argparse.Namespace) -> int:
    """Keys of the integrations that post fault reports through Open311: shown once, stored
    as a digest, revoked by the name they were given for."""
    from datetime import UTC, datetime

    from web.faults import open311

    async def work(engine: Any) -> str:
        if args.action == "revoke":
            n = await open311.revoke_keys(engine, args.name)
            return f"{n} key(s) of {args.name} revoked"
        return await open311.create_key(engine, args.name, datetime.now(UTC))

    return _on_cloud_db(args, work)


def _privacy(args: argparse.Namespace) -> int:
    """A data-subject request (GDPR art. 15 and 17): export everything the cloud holds about
    a contact as JSON, or erase it; either is written to the access log as done by "cli"."""
    from datetime import UTC, datetime

    from web.privacy import access, store
    from web.privacy.contact import NotAContact, parse

    try:
        contact = parse(args.contact)
    except NotAContact:
        print(
            f"privacy: '{args.contact}' is neither an e-mail address nor a phone number",
            file=sys.stderr,
        )
        return 2
    if args.action == "erase" and not args.yes:
        print("privacy erase: add --yes to erase (it cannot be undone)", file=sys.stderr)
        return 2
    if args.action == "export" and args.out is None:
        print("privacy export: give --out FILE.json", file=sys.stderr)
        return 2

    async def work(engine: Any) -> str:
        now = datetime.now(UTC)
        if args.action == "export":
            found = await store.find(engine, contact)
            args.out.write_text(store.dumps(found.export(now)) + "\n", encoding="utf-8")
            await access.record(
                engine, "cli", access.Action.EXPORTED, f"contact {contact.masked()}"
            )
            return f"{found.total} record(s) of {contact.masked()} written to {args.out}"
        found = await store.erase(engine, contact, now)
        await access.record(engine, "cli", access.Action.ERASED, f"contact {contact.masked()}")
        return f"{found.total} record(s) of {contact.masked()} erased"

    return _on_cloud_db(args, work, name="privacy")


def _positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1, else a one-line refusal."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return number


def _backup(args: argparse.Namespace) -> int:
    """``okienko backup hub|web`` and ``okienko restore hub|web``."""
    from datetime import UTC, datetime

    from okienko.sqlite_backup import BackupError, backup, backup_rotating, restore

    try:
        database = _database_of(args)
        if not args.restoring and args.into is not None:
            out = backup_rotating(database, args.into, args.what, args.keep, datetime.now(UTC))
            print(f"{database} copied to {out}; the newest {args.keep} kept")
        elif not args.restoring:
            backup(database, args.out)
            print(f"{database} copied to {args.out}")
        elif args.what == "hub":
            from hub.runlock import HubRunning, held
            from hub.sync import mark_restored

            try:
                with held(database):  # no hub may start while the file is replaced either
                    restore(args.source, database, tables=("events", "commands", "sync_state"))
                    mark_restored(database)
            except HubRunning as exc:
                raise BackupError(f"{exc}; stop it first, nothing restored") from None
            print(f"{database} restored from {args.source}; start the hub")
        else:
            restore(args.source, database, tables=("reservations", "alembic_version"))
            print(f"{database} restored from {args.source}; start the cloud")
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def _database_of(args: argparse.Namespace) -> Path:
    from okienko.sqlite_backup import BackupError

    if args.what == "hub":
        from hub.config import ConfigError, load_site

        if args.config is None:
            raise BackupError("the hub's database is named by its site file: --config SITE")
        try:
            return load_site(args.config).hub.database
        except ConfigError as exc:
            raise BackupError(str(exc)) from None
    from web.db.engine import DatabaseUrlError, async_url, database_url, masked

    url = args.database_url or database_url()
    try:
        parsed = async_url(url)
    except DatabaseUrlError as exc:
        raise BackupError(str(exc)) from None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise BackupError(
            f"{masked(url)} is not an SQLite file: back PostgreSQL up with pg_dump and "
            "restore it with pg_restore (docs/ops/backup.md)"
        )
    return Path(parsed.database)


def _appliance(args: argparse.Namespace) -> int:
    from appliance.main import main

    return main(args)


ADMIN_DB_HELP = (
    "the cloud's, as for okienko web; default: DATABASE_URL, else var/web.sqlite3 in this "
    "folder (refused when it is not there)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="okienko", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("hub", help="run a site's hub")
    p.add_argument("--config", type=Path, required=True, help="site file (TOML)")
    p.set_defaults(func=_hub)

    p = sub.add_parser("demo", help="run a whole site on this machine")
    p.add_argument("--headless", action="store_true", help="no appliance windows")
    p.add_argument("--info-file", type=Path, help="write connection details as JSON here")
    p.add_argument("--workdir", type=Path, help="where the demo keeps its files")
    p.add_argument("--site", type=Path, help="site file (default: examples/torun.toml)")
    p.add_argument(
        "--directory",
        type=Path,
        metavar="TOML",
        help="sign-in with the city's directory: the file with [ldap] (LDAP / Active Directory), "
        "[oidc] (OpenID Connect) and [signin] (README: Directory sign-in)",
    )
    p.add_argument(
        "--faults-calendar",
        type=Path,
        metavar="TOML",
        help="fault reports' settings; its [map] puts a map on the fault form (default: none)",
    )
    p.set_defaults(func=_demo)

    p = sub.add_parser("web", help="run the cloud service (Starlette + uvicorn)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--database-url", help="default: DATABASE_URL, else SQLite in var/")
    p.add_argument(
        "--site", type=Path, help="site file whose services and counters become bookable"
    )
    p.add_argument(
        "--public-url",
        help="the address visitors use, for links in e-mail (default: http://HOST:PORT)",
    )
    _mail_options(p)
    p.add_argument(
        "--booking-limit",
        type=int,
        default=20,
        metavar="N",
        help="booking attempts per IP address per 10 minutes (default 20)",
    )
    p.add_argument(
        "--idle-logout",
        type=int,
        default=3600,
        metavar="S",
        help="staff and helpdesk users are signed out after this many idle seconds (default 3600)",
    )
    p.add_argument(
        "--signin-audit-days",
        type=int,
        default=90,
        metavar="DAYS",
        help="how long the sign-in audit (who signed in, failed, from where) is kept (default 90)",
    )
    p.add_argument(
        "--access-log-days",
        type=int,
        default=365,
        metavar="DAYS",
        help="how long the access log (who opened, exported or erased personal data) is kept "
        "(default 365)",
    )
    p.add_argument(
        "--directory",
        type=Path,
        metavar="TOML",
        help="sign-in with the city's directory: the file with [ldap] (LDAP / Active Directory), "
        "[oidc] (OpenID Connect) and [signin] (README: Directory sign-in)",
    )
    p.add_argument(
        "--faults-calendar",
        type=Path,
        metavar="TOML",
        help="fault reports' working hours, holidays and SLA days (default: Łódź, seed 001)",
    )
    p.add_argument(
        "--helpdesk-email",
        help="helpdesk's contact e-mail on request pages (default: pomoc@ the sender's domain)",
    )
    p.add_argument("--helpdesk-phone", default="", help="helpdesk's contact phone")
    p.add_argument(
        "--helpdesk-hours", default="", help="helpdesk's hours, e.g. 'pon.–pt. 7:30–15:30'"
    )
    p.add_argument(
        "--helpdesk-remote-url",
        default="",
        metavar="URL",
        help="remote-support program offered on the helpdesk's help page (default: none)",
    )
    p.add_argument(
        "--push-allow",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a Web Push service trusted although not https to a public address (a development "
        "one on this machine, e.g. http://127.0.0.1:8090); production needs none",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes sharing the port (default 1); any number may run on one database",
    )
    p.add_argument(
        "--streams-per-client",
        type=int,
        default=40,
        metavar="N",
        help="live page streams one client address may hold open per worker (default 40)",
    )
    p.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (tokens in paths are redacted)",
    )
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="json: one JSON object per line with the request id, for journald or ELK",
    )
    p.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        help="serve Prometheus metrics here, apart from the public port (default: none)",
    )
    p.set_defaults(func=_web)

    p = sub.add_parser("staff-add", help="create a staff account of the cloud service")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument(
        "--role", required=True, choices=["administrator", "manager", "clerk", "reception"]
    )
    p.add_argument("--location", help="location id (managers, clerks, reception)")
    p.add_argument("--service-point", help="the clerk's service point id")
    p.add_argument(
        "--visits",
        choices=["location", "all"],
        help="whose visits the account sees: its location's or all "
        "(default: all for administrators and managers, else its location's)",
    )
    p.add_argument("--database-url", help=ADMIN_DB_HELP)
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p.set_defaults(func=_staff_add)

    p = sub.add_parser("helpdesk-admin-add", help="create a helpdesk administrator account")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--phone", default="")
    p.add_argument("--database-url", help=ADMIN_DB_HELP)
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p.set_defaults(func=_helpdesk_admin_add)

    p = sub.add_parser(
        "directory-check", help="check the directory sign-in settings (and one user's sign-in)"
    )
    p.add_argument(
        "--settings", type=Path, required=True, metavar="TOML", help="the --directory file"
    )
    p.add_argument("--user", help="a user name to sign in (the password from standard input)")
    p.set_defaults(func=_directory_check)

    p = sub.add_parser(
        "faults-mail", help="receive the fault mailbox (awaria@) over SMTP as reports"
    )
    p.add_argument("--listen", default="127.0.0.1:2525", help="host:port of the SMTP endpoint")
    p.add_argument(
        "--address", action="append", required=True, help="a mailbox address (repeatable)"
    )
    p.add_argument("--database-url", help="default: DATABASE_URL, else SQLite in var/")
    p.add_argument("--faults-calendar", type=Path, metavar="TOML", help="as for okienko web")
    p.add_argument(
        "--public-url", help="the cloud's address for the status link in the acknowledgement"
    )
    _mail_options(p)
    p.set_defaults(func=_faults_mail)

    p = sub.add_parser(
        "site-token", help="create (print) or revoke a hub's token for the cloud sync"
    )
    p.add_argument("action", choices=["create", "revoke"])
    p.add_argument("--site", required=True, help="the site (location) id")
    p.add_argument("--database-url", help=ADMIN_DB_HELP)
    p.set_defaults(func=_site_token)

    p = sub.add_parser(
        "staff-api-token",
        help="create (print) or revoke an integration's token for the register's read API",
    )
    p.add_argument("action", choices=["create", "revoke"])
    p.add_argument("--name", required=True, help="whom the token is for, e.g. 'EZD'")
    p.add_argument("--location", help="the one location it may read (default: every one)")
    p.add_argument("--database-url", help="default: DATABASE_URL, else SQLite in var/")
    p.set_defaults(func=_staff_api_token)

    p = sub.add_parser(
        "open311-key", help="create (print) or revoke an integration's Open311 API key"
    )
    p.add_argument("action", choices=["create", "revoke"])
    p.add_argument("--name", required=True, help="whom the key is for, e.g. 'portal miejski'")
    p.add_argument("--database-url", help=ADMIN_DB_HELP)
    p.set_defaults(func=_open311_key)

    p = sub.add_parser(
        "privacy", help="a data-subject request: export or erase what is held about a contact"
    )
    p.add_argument("action", choices=["export", "erase"])
    p.add_argument("--contact", required=True, help="an e-mail address or a phone number")
    p.add_argument("--out", type=Path, help="export: the JSON file to write")
    p.add_argument("--yes", action="store_true", help="erase: yes, erase it (cannot be undone)")
    p.add_argument("--database-url", help=ADMIN_DB_HELP)
    p.set_defaults(func=_privacy)

    for name, verb in (("backup", "copy"), ("restore", "put back")):
        p = sub.add_parser(name, help=f"{verb} the hub's or the cloud's SQLite database")
        p.add_argument("what", choices=["hub", "web"])
        p.add_argument("--config", type=Path, help="the hub's site file (TOML)")
        p.add_argument("--database-url", help="the cloud's; default: DATABASE_URL, else var/")
        if name == "backup":
            where = p.add_mutually_exclusive_group(required=True)
            where.add_argument("--out", type=Path, help="the copy to write")
            where.add_argument(
                "--into",
                type=Path,
                help="a folder for dated copies (hub-20261207T023000Z.sqlite3): the nightly "
                "timer's way, with --keep",
            )
            p.add_argument(
                "--keep",
                type=_positive_int,
                default=7,
                help="with --into: how many dated copies to keep (default 7)",
            )
        else:
            p.add_argument(
                "--from", dest="source", type=Path, required=True, help="the copy to restore"
            )
        p.set_defaults(func=_backup, restoring=name == "restore")

    p = sub.add_parser("appliance", help="run an appliance screen (Kivy)")
    from appliance.main import add_arguments

    add_arguments(p)
    p.set_defaults(func=_appliance)

    p = sub.add_parser(
        "broker-config",
        help="write Mosquitto files for given certificates (a site: `provision init`)",
    )
    p.add_argument("--site", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--host",
        default="0.0.0.0",
        help="the address the broker listens on, and a name its certificate carries",
    )
    p.add_argument("--port", type=int, default=8883, help="the TLS listener's (the only one)")
    p.add_argument("--cafile", type=Path, required=True, help="the site CA certificate")
    p.add_argument("--certfile", type=Path, required=True, help="the broker's certificate")
    p.add_argument("--keyfile", type=Path, required=True, help="the broker's key")
    p.add_argument(
        "--rotate-all",
        action="store_true",
        help="write again over existing files: new passwords for every account",
    )
    p.set_defaults(func=_broker_config)

    p = sub.add_parser("provision", help="device accounts, enrolment bundles, revocation")
    from provisioning.cli import add_arguments as add_provision_arguments

    add_provision_arguments(p)
    p.set_defaults(func=_provision)

    p = sub.add_parser("pin-hash", help="hash a clerk's PIN for the site file")
    p.add_argument("--pin", help="the PIN (asked for when absent)")
    p.set_defaults(func=_pin_hash)

    # --check fails (exit 1) when the committed file is not what the code says.
    p = sub.add_parser("asyncapi", help="write or check docs/asyncapi.yaml")
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    p.add_argument("--out", type=Path, help="default: docs/asyncapi.yaml")
    p.add_argument("--site", type=Path, help="default: examples/torun.toml")
    p.set_defaults(func=_asyncapi)

    p = sub.add_parser("openapi", help="write or check docs/openapi.json")
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    p.add_argument("--out", type=Path, help="default: docs/openapi.json")
    p.set_defaults(func=_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise
    # The hub's sync talks to the cloud every few seconds: a line per request (35,000 a day)
    # would bury what an admin needs. Failures are logged by the sync itself.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
