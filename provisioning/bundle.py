"""An enrolment bundle: one TOML file that *is* the device's appliance configuration
(``appliance.common.config.ApplianceConfig``), with a comment header saying what it is.

Being the appliance's own format, a bundle is checked by the appliance's own loader before it
is installed, and a hand-edited one (say, a printer added) stays valid.
"""

from __future__ import annotations

import json
from datetime import datetime

from hub.config import Device
from provisioning.state import BrokerAddress

BUNDLE_SUFFIX = ".toml"


def toml_value(value: str | int) -> str:
    # JSON's string escapes are a subset of TOML's basic strings (json.dumps never writes \/).
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def pem_value(pem: str) -> str:
    """A PEM block as a TOML multi-line string (base64, dashes and newlines need no escape)."""
    if '"""' in pem or "\\" in pem or not pem.startswith("-----BEGIN "):
        raise ValueError("not a PEM certificate")
    return '"""\n' + pem.strip() + '\n"""'


def bundle_text(
    site_id: str,
    device: Device,
    password: str,
    broker: BrokerAddress,
    issued: datetime,
    ca_pem: str,
) -> str:
    """The appliance configuration of ``device``, holding its new password and the site CA
    it checks the broker against (the only CA it trusts)."""
    lines = [
        f"# Okienko enrolment bundle: device '{device.id}' ({device.role}) of site '{site_id}',",
        f"# issued {issued.isoformat(timespec='seconds')}. It holds the device's broker password:",
        "# install it on the device with `okienko provision install FILE`, then delete this copy.",
        "",
        f"role = {toml_value(str(device.role))}",
        f"device = {toml_value(device.id)}",
    ]
    if device.counter is not None:
        lines.append(f"counter = {toml_value(device.counter)}")
    lines += [f"password = {toml_value(password)}", "", "[hub]"]
    if broker.host is not None:
        lines.append(f"host = {toml_value(broker.host)}")
    else:
        lines.append("# no host: the device finds its site's hub by zeroconf")
    lines += [
        f"port = {broker.port}",
        f"site = {toml_value(site_id)}",
        "# The site CA: the device talks only to a broker holding a certificate from it.",
        f"ca_cert = {pem_value(ca_pem)}",
        "",
    ]
    return "\n".join(lines)


def env_text(role: str, device: str) -> str:
    """What ``okienko-appliance@.service`` needs before it can read the TOML itself."""
    return f"OKIENKO_ROLE={role}\nOKIENKO_DEVICE={device}\n"
