"""TLS towards the site's broker, for the hub, the appliances and the tests alike: trust only
the site CA (never the system's store), check the host name, and prove a broker before any
password is sent to it. Standard library only, so a device needs nothing more.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path


class BrokerNotTrusted(Exception):
    """The broker did not prove itself with a certificate of the site CA for its address."""


def client_context(*, ca_pem: str | None = None, ca_file: Path | None = None) -> ssl.SSLContext:
    """A client context that trusts the site CA alone, with host-name checking."""
    if (ca_pem is None) == (ca_file is None):
        raise ValueError("give the site CA as ca_pem or as ca_file, exactly one")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    else:
        context.load_verify_locations(cadata=ca_pem)
    return context


def prove_broker(host: str, port: int, context: ssl.SSLContext, timeout: float = 5.0) -> None:
    """A TLS handshake with nothing sent after it: returns when ``host:port`` holds a
    certificate of the site CA valid for ``host``, raises ``BrokerNotTrusted`` otherwise."""
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return
    except ssl.SSLCertVerificationError as exc:
        raise BrokerNotTrusted(f"{host}:{port}: {exc.verify_message}") from None
    except (ssl.SSLError, OSError) as exc:
        raise BrokerNotTrusted(f"{host}:{port}: no TLS handshake ({exc})") from None
