"""A site's Mosquitto broker: accounts and least-privilege ACLs generated from the site file,
the configuration files on disk, and a runner that starts and stops a real ``mosquitto``.

The site file is the single source of truth: every device gets its own account and exactly
the topics its role needs (see ``acl_rules``); only the hub may read commands or write state.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hub.config import Device, DeviceRole, Site
from hub.contract.topics import (
    COUNTER_OPERATIONS,
    DISPENSER_OPERATIONS,
    HUB_DEVICE_ID,
    Topics,
)
from okienko.private_files import create_private

log = logging.getLogger("okienko.provisioning.broker")

BROKER_USER = "mosquitto"
"""The user Mosquitto drops to when started as root; it must be able to read its files."""

CONF_NAME = "mosquitto.conf"
PASSWD_NAME = "passwd"
ACL_NAME = "acl"
DATA_DIR_NAME = "data"
LOG_NAME = "mosquitto.log"
STDERR_NAME = "mosquitto.stderr"
TLS_DIR_NAME = "tls"

Access = Literal["read", "write", "readwrite"]


@dataclass(frozen=True)
class PasswordHash:
    """A password that is already hashed (``$7$…``): the provisioning state keeps only these,
    so the broker's files can be rewritten without knowing any device's password."""

    value: str

    def __post_init__(self) -> None:
        if not self.value.startswith("$7$") or any(c.isspace() or c == ":" for c in self.value):
            raise ValueError("not a Mosquitto $7$ password hash")


Secret = str | PasswordHash
"""A plain password (hashed on writing) or a stored hash (written as it is)."""


class BrokerError(Exception):
    """The broker did not start or stop; the message carries the tail of its log."""


@dataclass(frozen=True)
class AclRule:
    access: Access
    topic: str


@dataclass(frozen=True)
class TlsFiles:
    """The site CA and the broker's certificate and key; copied next to the other files."""

    cafile: Path
    certfile: Path
    keyfile: Path


@dataclass(frozen=True)
class BrokerFiles:
    directory: Path
    conf: Path
    passwd: Path
    acl: Path
    data_dir: Path
    log: Path
    host: str
    port: int
    """The TLS listener's: the only one devices and the hub use."""
    cafile: Path
    """The broker's copy of the site CA certificate (what clients check it against)."""
    plaintext_port: int | None = None
    """A plaintext listener on 127.0.0.1 alone, only where the site file asks for it."""
    run_as: str = BROKER_USER
    """The account the broker drops to when started as root."""


# --- accounts ------------------------------------------------------------------------------


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = 101) -> str:
    """Mosquitto 2's ``$7$`` hash: PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte key, base64.

    101 iterations is what ``mosquitto_passwd`` itself writes.
    """
    if salt is None:
        salt = secrets.token_bytes(12)
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    dk = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, dklen=64)
    b64 = base64.b64encode
    return f"$7${iterations}${b64(salt).decode('ascii')}${b64(dk).decode('ascii')}"


def passwd_text(passwords: Mapping[str, Secret]) -> str:
    """A Mosquitto password file: one ``user:hash`` line per account."""
    lines = []
    for user, password in passwords.items():
        if not user or ":" in user or any(c.isspace() for c in user):
            raise ValueError(f"'{user}' cannot be a broker user name")
        hashed = password.value if isinstance(password, PasswordHash) else hash_password(password)
        lines.append(f"{user}:{hashed}\n")
    return "".join(lines)


def generate_passwords(site: Site) -> dict[str, str]:
    """A fresh random password for the hub and for every device of the site."""
    users = [HUB_DEVICE_ID, *(d.id for d in site.devices)]
    return {user: secrets.token_urlsafe(24) for user in users}


# --- ACL -----------------------------------------------------------------------------------


def device_rules(topics: Topics, device: Device) -> list[AclRule]:
    """What one device may read and write: the least its role needs, nothing wildcarded
    except the group displays' read of every counter."""
    rules: list[AclRule] = []

    def read(topic: str) -> None:
        rules.append(AclRule("read", topic))

    def write(topic: str) -> None:
        rules.append(AclRule("write", topic))

    match device.role:
        case DeviceRole.DISPENSER:
            for op in sorted(DISPENSER_OPERATIONS):
                write(topics.command(device.id, op))
            read(topics.reply(device.id))
            read(topics.queue_state)
        case DeviceRole.COUNTER:
            assert device.counter is not None  # the site schema enforces it
            for op in sorted(COUNTER_OPERATIONS):
                write(topics.command(device.id, op))
            read(topics.reply(device.id))
            read(topics.queue_state)
            read(topics.counter_state(device.counter))
            read(topics.called(device.counter))
        case DeviceRole.DISPLAY:
            read(topics.queue_state)
            read(topics.all_counter_states)
            read(topics.all_called)
        case DeviceRole.COUNTER_DISPLAY:
            assert device.counter is not None
            read(topics.counter_state(device.counter))
            read(topics.called(device.counter))
    # Every device watches the hub's presence (to say "no connection" instead of showing stale
    # numbers), announces itself (Last Will on presence) and reports its health.
    read(topics.presence(HUB_DEVICE_ID))
    write(topics.presence(device.id))
    write(topics.status(device.id))
    return rules


def acl_rules(site: Site) -> dict[str, list[AclRule]]:
    """Broker user -> its rules: the hub owns the site's whole tree, devices per role."""
    topics = Topics(site.id)
    rules = {HUB_DEVICE_ID: [AclRule("readwrite", f"{topics.root}/#")]}
    for device in site.devices:
        rules[device.id] = device_rules(topics, device)
    return rules


def acl_text(site: Site) -> str:
    """The ACL file: explicit ``user`` blocks (no ``%u`` patterns), generated from the site."""
    out = [f"# ACL of site '{site.id}', generated by okienko from the site file. Do not edit.\n"]
    for user, rules in acl_rules(site).items():
        out.append(f"\nuser {user}\n")
        out.extend(f"topic {r.access} {r.topic}\n" for r in rules)
    return "".join(out)


# --- files ---------------------------------------------------------------------------------


def template_path(name: str = "mosquitto.conf.in") -> Path:
    """A configuration template in the repository's ``broker_config/``."""
    path = Path(__file__).resolve().parent.parent / "broker_config" / name
    if not path.is_file():
        raise FileNotFoundError(
            f"Mosquitto template not found at {path}; run okienko from its source tree"
        )
    return path


def _conf_value(value: object) -> str:
    text = str(value)
    if "\n" in text or "\r" in text:  # a newline would smuggle in another directive
        raise ValueError(f"{text!r} cannot go into mosquitto.conf")
    return text


def conf_text(files: BrokerFiles, site_id: str, tls: TlsFiles) -> str:
    """mosquitto.conf for ``files``; ``tls`` holds the (already copied) certificate paths."""
    plaintext_listener = ""
    if files.plaintext_port is not None:
        plaintext_listener = (
            template_path("plaintext_listener.conf.in")
            .read_text(encoding="utf-8")
            .format(port=files.plaintext_port)
        )
    return (
        template_path()
        .read_text(encoding="utf-8")
        .format(
            site_id=site_id,
            host=_conf_value(files.host),
            port=files.port,
            cafile=_conf_value(tls.cafile),
            certfile=_conf_value(tls.certfile),
            keyfile=_conf_value(tls.keyfile),
            password_file=_conf_value(files.passwd),
            acl_file=_conf_value(files.acl),
            data_dir=_conf_value(files.data_dir),
            log_file=_conf_value(files.log),
            run_as=_conf_value(files.run_as),
            plaintext_listener=plaintext_listener,
        )
    )


def _check_accounts(site: Site, passwords: Mapping[str, Secret]) -> None:
    users = [HUB_DEVICE_ID, *(d.id for d in site.devices)]
    missing = [u for u in users if u not in passwords]
    if missing:
        raise ValueError(f"no broker password for: {', '.join(missing)}")
    # An account the site does not know (say, a removed device) must not keep working.
    unknown = sorted(set(passwords) - set(users))
    if unknown:
        raise ValueError(
            f"broker passwords for users not in site '{site.id}': {', '.join(unknown)}"
        )


def _searchable(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether ``user`` may walk down to ``path`` (x on every directory above it)."""
    groups = set(os.getgrouplist(user.pw_name, user.pw_gid))
    for parent in path.parents:
        st = parent.stat()
        if st.st_uid == user.pw_uid:
            bit = 0o100
        elif st.st_gid in groups:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return False
    return True


def _broker_user(directory: Path) -> pwd.struct_passwd | None:
    """The account the broker will run as, when we are root and must hand it its files.

    None when we are not root (the broker stays who we are) or when the ``mosquitto`` user
    does not exist. If that user cannot reach ``directory`` (pytest's temporary directories
    are 0700 root), the broker keeps root instead: see ``run_as`` in the written conf.
    """
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam(BROKER_USER)
    except KeyError:
        return None
    return user if _searchable(directory, user) else pwd.getpwuid(0)


def _chown(path: Path, owner: pwd.struct_passwd | None) -> None:
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _write(path: Path, text: str, mode: int, owner: pwd.struct_passwd | None) -> None:
    # Replaced whole, so a broker reloading (SIGHUP) mid-write never reads half a passwd.
    # Created with its mode (a passwd or a key is never readable by others, not for a moment).
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    create_private(tmp, text.encode("utf-8"), mode)
    os.chmod(tmp, mode)  # the umask may have taken bits a public file needs (0644)
    _chown(tmp, owner)
    os.replace(tmp, path)


def _mkdir(path: Path, owner: pwd.struct_passwd | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o750)
    _chown(path, owner)


def _copy_tls(tls: TlsFiles, directory: Path, owner: pwd.struct_passwd | None) -> TlsFiles:
    """Copies of the certificate files in ``directory``, readable by the broker's user."""
    _mkdir(directory, owner)
    copied = TlsFiles(
        cafile=directory / "ca.crt",
        certfile=directory / "server.crt",
        keyfile=directory / "server.key",
    )
    for src, dst in ((tls.cafile, copied.cafile), (tls.certfile, copied.certfile)):
        _write(dst, src.read_text(encoding="utf-8"), 0o644, owner)
    _write(copied.keyfile, tls.keyfile.read_text(encoding="utf-8"), 0o600, owner)
    return copied


def write_broker_files(
    site: Site,
    directory: Path,
    passwords: Mapping[str, Secret],
    *,
    host: str = "127.0.0.1",
    port: int,
    tls: TlsFiles,
    plaintext_port: int | None = None,
) -> BrokerFiles:
    """Write mosquitto.conf, passwd, acl, the persistence dir and the log for ``site``.

    The broker listens with TLS only (on ``host:port``, the certificates of ``tls``); a
    plaintext listener on 127.0.0.1 alone is added only when ``plaintext_port`` is given.

    ``passwords`` maps "hub" and every device id to its plain password or its stored
    ``PasswordHash`` (only hashes are written). Run as root, the files go to the ``mosquitto``
    user, which the broker drops to.
    Writing again over a running broker's files and calling ``reload`` applies the change.
    """
    _check_accounts(site, passwords)
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    owner = _broker_user(directory)
    if owner is not None and owner.pw_name != BROKER_USER:
        log.warning(
            "user %s cannot reach %s: the broker will keep running as %s",
            BROKER_USER,
            directory,
            owner.pw_name,
        )
    files = BrokerFiles(
        directory=directory,
        conf=directory / CONF_NAME,
        passwd=directory / PASSWD_NAME,
        acl=directory / ACL_NAME,
        data_dir=directory / DATA_DIR_NAME,
        log=directory / LOG_NAME,
        host=host,
        port=port,
        cafile=directory / TLS_DIR_NAME / "ca.crt",
        plaintext_port=plaintext_port,
        run_as=owner.pw_name if owner is not None else BROKER_USER,
    )
    _mkdir(directory, owner)
    _mkdir(files.data_dir, owner)
    copied_tls = _copy_tls(tls, directory / TLS_DIR_NAME, owner)
    _write(files.passwd, passwd_text(passwords), 0o600, owner)
    _write(files.acl, acl_text(site), 0o600, owner)
    _write(files.conf, conf_text(files, site.id, copied_tls), 0o640, owner)
    if not files.log.exists():  # the broker opens it after dropping root
        files.log.touch(mode=0o640)
        _chown(files.log, owner)
    return files


# --- running -------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_taken(host: str, port: int) -> str | None:
    """Why the broker could not listen on ``host:port``, or None when it can. Mosquitto on a
    taken port exits 1 and says so only in its log file; this says it before anything runs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # Like Mosquitto: a port in TIME_WAIT is free, one something listens on is not.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host or "0.0.0.0", port))
        except PermissionError:
            return f"port {port} needs root to listen on; choose one above 1023 or run as root"
        except OSError as exc:
            hint = (
                " (Debian's own `mosquitto` service listens there: "
                "`systemctl disable --now mosquitto`, or choose another --port)"
                if port == 1883
                else " (stop what listens there, or choose another --port)"
            )
            return f"the broker cannot listen on {host}:{port}: {exc.strerror}{hint}"
    return None


def reload(pid: int) -> None:
    """Make Mosquitto re-read its passwd and ACL files; clients whose account is gone are
    disconnected. This is how a device is revoked without restarting the broker."""
    os.kill(pid, signal.SIGHUP)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class Mosquitto:
    """A real ``mosquitto -c conf`` process; ``start()`` returns once it accepts connections."""

    def __init__(
        self,
        conf: Path,
        *,
        host: str = "127.0.0.1",
        port: int,
        cafile: Path | None = None,
        executable: str = "mosquitto",
    ) -> None:
        self.conf = conf
        self.host = host
        self.port = port
        self.cafile = cafile
        """The site CA its TLS listener's certificate is checked against."""
        self.executable = executable
        # A broker's own log says why it stopped; stderr has what it said before opening it.
        self.log = conf.parent / LOG_NAME
        self.stderr = conf.parent / STDERR_NAME
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def for_files(cls, files: BrokerFiles, *, executable: str = "mosquitto") -> Mosquitto:
        return cls(
            files.conf,
            host=files.host,
            port=files.port,
            cafile=files.cafile,
            executable=executable,
        )

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise BrokerError("the broker is not running")
        return self.proc.pid

    @property
    def _probe_host(self) -> str:
        # A wildcard listener is reached through loopback.
        return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)

    def _failure(self, what: str) -> BrokerError:
        parts = [what]
        for path in (self.stderr, self.log):
            tail = _tail(path)
            if tail:
                parts.append(f"--- {path} ---\n{tail}")
        return BrokerError("\n".join(parts))

    def start(self, timeout: float = 10.0) -> Mosquitto:
        if self.proc is not None:
            raise BrokerError("the broker is already running")
        # Otherwise a broker already on that port (say, the system one) would pass for ours.
        if _accepts(self._probe_host, self.port):
            raise BrokerError(f"port {self.host}:{self.port} is already in use")
        with self.stderr.open("ab") as err:
            self.proc = subprocess.Popen(
                [self.executable, "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                self.proc = None
                raise self._failure(f"mosquitto -c {self.conf} exited with code {code}")
            if _accepts(self._probe_host, self.port):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise self._failure(
                    f"mosquitto did not accept connections on {self.host}:{self.port} "
                    f"within {timeout:.0f} s"
                )
            time.sleep(0.02)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM (the broker saves its persistence file), then SIGKILL if it hangs."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def reload(self) -> None:
        reload(self.pid)

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
