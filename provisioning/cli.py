"""``okienko provision …``: from boxes of Raspberry Pis to a running site. Thin: parsing and
printing only; the work is in ``provisioning.statedir``. Exit code 2 on every refusal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_TARGET = Path("/etc/okienko")


def _init(args: argparse.Namespace) -> str:
    from provisioning.state import BrokerAddress
    from provisioning.statedir import init

    broker = BrokerAddress(listen=args.listen, host=args.host, port=args.port)
    state, files, bundles = init(args.site, args.state, broker)
    lines = [
        f"site '{state.site_id}': state in {args.state}",
        f"broker: mosquitto -c {files.conf}",
        f"hub password: {args.state / 'hub.password'} (point [hub.mqtt] password_file at it)",
        *(f"bundle: {b}" for b in bundles),
    ]
    return "\n".join(lines)


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
    from provisioning.statedir import broker_pid, rotate

    issued = rotate(args.state, args.device, broker_pid(args.broker_pid, args.pidfile))
    return f"{issued.device}: {issued.message}\nbundle: {issued.bundle}"


def _revoke(args: argparse.Namespace) -> str:
    from provisioning.statedir import broker_pid, revoke

    return revoke(args.state, args.device, broker_pid(args.broker_pid, args.pidfile))


def _list(args: argparse.Namespace) -> str:
    from provisioning.statedir import rows

    def day(value: object) -> str:
        return str(value)[:19].replace("T", " ") if value is not None else "-"

    table = [("account", "role", "counter", "status", "issued", "rotated", "revoked")]
    for r in rows(args.state):
        dates = (day(r.issued), day(r.rotated), day(r.revoked))
        table.append((r.account, r.role, r.counter or "-", str(r.status), *dates))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    )


def _install(args: argparse.Namespace) -> str:
    from provisioning.statedir import install

    path = install(args.bundle, args.target, args.name)
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


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)

    a = sub.add_parser("init", help="create a site's accounts, broker files and bundles")
    a.add_argument("--site", type=Path, required=True, help="the site file (TOML)")
    a.add_argument("--state", type=Path, required=True, help="new state directory")
    a.add_argument("--listen", default="0.0.0.0", help="address the broker listens on")
    a.add_argument(
        "--host", help="broker address written into bundles (default: devices use zeroconf)"
    )
    a.add_argument("--port", type=int, default=1883)
    a.set_defaults(provision_func=_init)

    for name, func, what in (
        ("enrol", _enrol, "the enrolment bundle of a device listed in the site file"),
        ("rotate", _rotate, "a new password for a device (and a new bundle)"),
        ("revoke", _revoke, "remove a device's account; it cannot connect any more"),
    ):
        a = sub.add_parser(name, help=what)
        a.add_argument("--state", type=Path, required=True)
        a.add_argument("--device", required=True, help="device id from the site file")
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

    a = sub.add_parser("install", help="on the device: install an enrolment bundle")
    a.add_argument("bundle", type=Path)
    a.add_argument("--target", type=Path, default=DEFAULT_TARGET, help="default /etc/okienko")
    a.add_argument("--name", default="appliance", help="config name (the unit's instance)")
    a.set_defaults(provision_func=_install)
