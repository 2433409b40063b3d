"""``okienko provision …``: from boxes of Raspberry Pis to a running site. Thin: parsing and
printing only; the work is in ``provisioning.statedir``. Exit code 2 on every refusal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provisioning.state import BrokerAddress
    from provisioning.statedir import OwnPki

DEFAULT_TARGET = Path("/etc/okienko")
STATE_NAME = "state.json"  # provisioning.statedir's, without importing it for --help


def _own_pki(args: argparse.Namespace) -> OwnPki | None:
    from provisioning.state import ProvisionError
    from provisioning.statedir import OwnPki

    given = (args.ca_cert, args.cert, args.key)
    if all(v is None for v in given):
        return None
    if any(v is None for v in given):
        raise ProvisionError("an office's own PKI needs all three: --ca-cert, --cert and --key")
    return OwnPki(args.ca_cert, args.cert, args.key)


def _hub_lines(state_dir: Path, port: int) -> list[str]:
    return [
        f"hub: in the site file's [hub.mqtt] set port = {port}, "
        f'tls_ca = "{state_dir.resolve() / "pki" / "ca.crt"}"',
        f"hub password: {state_dir / 'hub.password'} (point [hub.mqtt] password_file at it)",
    ]


def _init(args: argparse.Namespace) -> str:
    from provisioning.state import BrokerAddress
    from provisioning.statedir import init, upgrade_tls

    if args.upgrade_tls:
        bundles, missing = upgrade_tls(args.state, args.port, own=_own_pki(args))
        lines = [
            f"{args.state}: site CA in {args.state / 'pki'}; the broker listens with TLS only",
            "restart the broker (a new listener needs a restart), e.g. "
            "`systemctl restart okienko-broker`",
            *_hub_lines(args.state, args.port),
            *(f"bundle (same password, now with the CA): {b}" for b in bundles),
            *(
                f"{d}: its bundle was handed out and deleted; `okienko provision rotate` it"
                for d in missing
            ),
        ]
        return "\n".join(lines)
    if args.site is None:
        from provisioning.state import ProvisionError

        raise ProvisionError("--site is needed (except with --upgrade-tls)")
    broker = BrokerAddress(listen=args.listen, host=args.host, port=args.port)
    if (args.state / STATE_NAME).exists():
        return _init_again(args, broker)
    state, files, bundles = init(args.site, args.state, broker, own=_own_pki(args))
    lines = [
        f"site '{state.site_id}': state in {args.state}",
        f"site CA: {args.state / 'pki' / 'ca.crt'} (its key stays in {args.state / 'pki'})",
        f"broker: mosquitto -c {files.conf}  (TLS only, port {files.port})",
        *_hub_lines(args.state, files.port),
        *(f"bundle: {b}" for b in bundles),
    ]
    return "\n".join(lines)


def _init_again(args: argparse.Namespace, broker: BrokerAddress) -> str:
    from provisioning.state import ProvisionError
    from provisioning.statedir import broker_pid, init_again

    if _own_pki(args) is not None:
        raise ProvisionError(
            f"{args.state} has its certificates already; `okienko provision renew-cert` "
            "takes the office's new ones"
        )
    again = init_again(
        args.site,
        args.state,
        broker,
        rotate_all=args.rotate_all,
        pid=broker_pid(args.broker_pid, args.pidfile),
    )
    what = "bundle (new password)" if again.rotated else "bundle"
    return "\n".join(
        [
            f"site '{again.state.site_id}': state in {args.state} kept; {again.message}",
            f"broker: mosquitto -c {again.files.conf}  (written again, port {again.files.port})",
            *_hub_lines(args.state, again.files.port),
            *(f"{what}: {b}" for b in again.bundles),
        ]
    )


def _renew_cert(args: argparse.Namespace) -> str:
    from provisioning.statedir import broker_pid, renew_cert

    return renew_cert(args.state, broker_pid(args.broker_pid, args.pidfile), own=_own_pki(args))


def _enrol(args: argparse.Namespace) -> str:
    from provisioning.statedir import broker_pid, enrol

    issued = enrol(args.state, args.device, broker_pid(args.broker_pid, args.pidfile))
    return f"{issued.device}: {issued.message}\nbundle: {issued.bundle}"


def _add_device(args: argparse.Namespace) -> str:
    from pydantic import ValidationError

    from hub.config import Device
    from provisioning.state import ProvisionError
    from provisioning.statedir import add_device, broker_pid

    try:
        device = Device(id=args.device, role=args.role, counter=args.counter, name=args.name)
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise ProvisionError(f"device '{args.device}': {reasons}") from None
    issued = add_device(args.state, device, broker_pid(args.broker_pid, args.pidfile))
    return f"{issued.device}: {issued.message}\nbundle: {issued.bundle}"


def _rotate(args: argparse.Namespace) -> str:
    from hub.contract.topics import HUB_DEVICE_ID
    from provisioning.statedir import broker_pid, rotate

    issued = rotate(args.state, args.device, broker_pid(args.broker_pid, args.pidfile))
    what = "password file" if issued.device == HUB_DEVICE_ID else "bundle"
    return f"{issued.device}: {issued.message}\n{what}: {issued.bundle}"


def _revoke(args: argparse.Namespace) -> str:
    from provisioning.statedir import broker_pid, revoke

    return revoke(args.state, args.device, broker_pid(args.broker_pid, args.pidfile))


def _list(args: argparse.Namespace) -> str:
    from provisioning.statedir import cert_status, rows

    def day(value: object) -> str:
        return str(value)[:19].replace("T", " ") if value is not None else "-"

    table = [("account", "role", "counter", "status", "issued", "rotated", "revoked")]
    for r in rows(args.state):
        dates = (day(r.issued), day(r.rotated), day(r.revoked))
        table.append((r.account, r.role, r.counter or "-", str(r.status), *dates))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]
    cert = cert_status(args.state)
    due = "  RENEW NOW: okienko provision renew-cert" if cert.due else ""
    lines.append(f"broker certificate: valid until {day(cert.expires)}{due}")
    return "\n".join(lines)


def _site_file(args: argparse.Namespace) -> str:
    from provisioning.statedir import point_at_site_file

    return point_at_site_file(args.state, args.site)


def _install(args: argparse.Namespace) -> str:
    from provisioning.statedir import install

    path = install(args.bundle, args.target, args.name, dry_run=args.dry_run)
    if args.dry_run:
        env = path.with_suffix(".env")
        return (
            f"dry run: {args.bundle} is a valid bundle; would write {path} (0600) and {env}; "
            "nothing written"
        )
    return f"installed {path}; start it with `systemctl enable --now okienko-appliance@{args.name}`"


def run(args: argparse.Namespace) -> int:
    from provisioning.state import ProvisionError

    try:
        print(args.provision_func(args))
    except ProvisionError as exc:
        print(f"okienko provision {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def _reload_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--broker-pid", type=int, help="reload this Mosquitto (SIGHUP)")
    group.add_argument("--pidfile", type=Path, help="reload the Mosquitto whose pid is here")


def _own_pki_options(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("an office's own PKI (instead of a site CA made here)")
    group.add_argument("--ca-cert", type=Path, help="the office CA's certificate (PEM)")
    group.add_argument("--cert", type=Path, help="the broker's certificate from that CA")
    group.add_argument("--key", type=Path, help="the broker's key (PEM, unencrypted)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)

    a = sub.add_parser(
        "init", help="create a site's CA, broker certificate, accounts, broker files and bundles"
    )
    a.add_argument("--site", type=Path, help="the site file (TOML)")
    a.add_argument(
        "--state", type=Path, required=True, help="state directory (new, or the site's own)"
    )
    a.add_argument("--listen", default="0.0.0.0", help="address the broker listens on")
    a.add_argument(
        "--host", help="broker address written into bundles (default: devices use zeroconf)"
    )
    a.add_argument("--port", type=int, default=8883, help="the broker's TLS port")
    a.add_argument(
        "--upgrade-tls",
        action="store_true",
        help="move an existing state (made before TLS) to TLS only; passwords stay",
    )
    a.add_argument(
        "--rotate-all",
        action="store_true",
        help="on an existing state: new passwords for the hub and every device (run again "
        "without it, init keeps every password and rewrites the broker's files)",
    )
    _own_pki_options(a)
    _reload_options(a)
    a.set_defaults(provision_func=_init)

    a = sub.add_parser("renew-cert", help="a new server certificate for the broker")
    a.add_argument("--state", type=Path, required=True)
    _own_pki_options(a)
    _reload_options(a)
    a.set_defaults(provision_func=_renew_cert)

    for name, func, what in (
        ("enrol", _enrol, "the enrolment bundle of a device listed in the site file"),
        ("rotate", _rotate, "a new password for a device (and a new bundle), or the hub's"),
        ("revoke", _revoke, "remove a device's account; it cannot connect any more"),
    ):
        a = sub.add_parser(name, help=what)
        a.add_argument("--state", type=Path, required=True)
        a.add_argument(
            "--device",
            required=True,
            help="device id from the site file" + (" (or hub)" if name == "rotate" else ""),
        )
        _reload_options(a)
        a.set_defaults(provision_func=func)

    a = sub.add_parser("add-device", help="add a device to the site file and enrol it")
    a.add_argument("--state", type=Path, required=True)
    a.add_argument("--device", required=True, help="new device id, e.g. terminal-9")
    a.add_argument(
        "--role", required=True, choices=["dispenser", "counter", "display", "counter-display"]
    )
    a.add_argument("--counter", help="its counter (counter terminals and counter displays)")
    a.add_argument("--name", help="a name people recognise, e.g. 'Hall, left of the door'")
    _reload_options(a)
    a.set_defaults(provision_func=_add_device)

    a = sub.add_parser("list", help="devices, roles, enrolled/rotated/revoked dates")
    a.add_argument("--state", type=Path, required=True)
    a.set_defaults(provision_func=_list)

    a = sub.add_parser("site-file", help="point the state at its site file (after a move)")
    a.add_argument("--state", type=Path, required=True)
    a.add_argument("--site", type=Path, required=True, help="the site file (same site id)")
    a.set_defaults(provision_func=_site_file)

    a = sub.add_parser("install", help="on the device: install an enrolment bundle")
    a.add_argument("bundle", type=Path)
    a.add_argument("--target", type=Path, default=DEFAULT_TARGET, help="default /etc/okienko")
    a.add_argument("--name", default="appliance", help="config name (the unit's instance)")
    a.add_argument(
        "--dry-run", action="store_true", help="check the bundle and say what would be written"
    )
    a.set_defaults(provision_func=_install)
