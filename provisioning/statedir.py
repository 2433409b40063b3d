"""A site's provisioning state directory on disk, and the operations on it (init, enrol,
rotate, revoke, install). Every check runs before the first write, and every file is replaced
whole (temp + rename), so a refused request leaves nothing half-written.

Layout of ``--state DIR``::

    state.json          accounts: hashes and dates (0600)
    hub.password        the hub's plain password, for [hub.mqtt] password_file (0600)
    bundles/ID.toml     each device's current enrolment bundle (0600, dir 0700)
    pki/ca.crt          the site CA certificate: the hub's [hub.mqtt] tls_ca, in every bundle
    pki/ca.key          the site CA's key (0600; absent when the office brings its own PKI)
    pki/server.crt|key  the broker's certificate and key (key 0600)
    broker/             mosquitto.conf, passwd, acl, data/, log, tls/ (``write_broker_files``)
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from hub.config import (
    BrokerSettings,
    ConfigError,
    Device,
    HubSettings,
    Site,
    SiteFile,
    load_site,
    parse_site_file,
)
from hub.contract.topics import HUB_DEVICE_ID
from provisioning import pki
from provisioning import state as st
from provisioning.broker import BrokerFiles, TlsFiles, port_taken, write_broker_files
from provisioning.bundle import BUNDLE_SUFFIX, bundle_text, env_text, toml_value
from provisioning.state import BrokerAddress, ProvisionError, ProvisioningState

STATE_NAME = "state.json"
HUB_PASSWORD_NAME = "hub.password"
BUNDLES_NAME = "bundles"
BROKER_NAME = "broker"
PKI_NAME = "pki"
SERVICE_USER = "okienko"
"""The account the kiosk units run the hub and the appliances as (provisioning/kiosk)."""


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace ``path`` whole: created with ``mode`` from the start (a secret is never
    readable by others, not even for a moment), synced, then renamed over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)  # the umask may have taken bits away
    os.replace(tmp, path)


def give_to_service_user(path: Path) -> None:
    """A secret the hub or appliance service reads as ``okienko`` (still 0600): handed to
    that user when we are root and it exists, left alone otherwise (tests, development)."""
    if os.geteuid() != 0:
        return
    try:
        user = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return
    os.chown(path, user.pw_uid, user.pw_gid)


@dataclass(frozen=True)
class StateDir:
    path: Path

    @property
    def state_file(self) -> Path:
        return self.path / STATE_NAME

    @property
    def hub_password(self) -> Path:
        return self.path / HUB_PASSWORD_NAME

    @property
    def broker_dir(self) -> Path:
        return self.path / BROKER_NAME

    def bundle(self, device_id: str) -> Path:
        return self.path / BUNDLES_NAME / f"{device_id}{BUNDLE_SUFFIX}"

    @property
    def pki_dir(self) -> Path:
        return self.path / PKI_NAME

    @property
    def ca_cert(self) -> Path:
        return self.pki_dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.pki_dir / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.pki_dir / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.pki_dir / "server.key"

    def ca_pem(self) -> str:
        try:
            return self.ca_cert.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProvisionError(
                f"{self.path}: this site has no CA yet (made before TLS); upgrade it with "
                f"`okienko provision init --upgrade-tls --state {self.path}`"
            ) from None

    def write_pki(self, ca: pki.KeyPair | None, ca_cert: bytes, server: pki.KeyPair) -> None:
        """The CA (its key only when it is ours) and the server pair; keys 0600."""
        # 0711 like the state directory: the hub's service user reads ca.crt (its tls_ca) by
        # name, but cannot list the directory; the keys are 0600 root.
        self.pki_dir.mkdir(exist_ok=True)
        self.pki_dir.chmod(0o711)
        write_atomic(self.ca_cert, ca_cert.decode("ascii"), 0o644)
        if ca is not None:
            write_atomic(self.ca_key, ca.key_pem.decode("ascii"))
        write_atomic(self.server_key, server.key_pem.decode("ascii"))
        write_atomic(self.server_cert, server.cert_pem.decode("ascii"), 0o644)

    def tls_files(self) -> TlsFiles:
        self.ca_pem()  # says how to upgrade when there is none
        return TlsFiles(self.ca_cert, self.server_cert, self.server_key)

    def site_path(self, state: ProvisioningState) -> Path:
        """The site file: stored relative to this directory (an absolute path in states made
        before), so a state moved without its site file says so instead of editing the old one."""
        return self.path / state.site_file

    def load(self) -> ProvisioningState:
        try:
            text = self.state_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProvisionError(
                f"{self.path}: no provisioning state here; "
                "create it with `okienko provision init --site SITE.toml --state DIR`"
            ) from None
        except OSError as exc:
            raise ProvisionError(f"{self.state_file}: cannot read: {exc.strerror}") from None
        return st.from_json(text, str(self.state_file))

    def save(self, state: ProvisioningState) -> None:
        write_atomic(self.state_file, st.to_json(state))

    def write_bundle(self, device_id: str, text: str) -> Path:
        directory = self.path / BUNDLES_NAME
        directory.mkdir(mode=0o700, exist_ok=True)
        path = self.bundle(device_id)
        write_atomic(path, text)
        return path

    def write_broker(
        self, state: ProvisioningState, site: Site, settings: BrokerSettings | None = None
    ) -> BrokerFiles:
        narrowed, hashes = st.broker_accounts(state, site)
        if settings is None:
            settings = load_settings(self.site_path(state)).hub.broker
        return write_broker_files(
            narrowed,
            self.broker_dir,
            hashes,
            host=state.broker.listen,
            port=state.broker.port,
            tls=self.tls_files(),
            plaintext_port=settings.plaintext_port,
        )


def load_settings(path: Path) -> SiteFile:
    try:
        return load_site(path)
    except ConfigError as exc:
        raise ProvisionError(str(exc)) from None


def load_site_file(path: Path) -> Site:
    return load_settings(path).site


# --- the site's certificates ---------------------------------------------------------------


WILDCARDS = ("", "0.0.0.0", "::")


def broker_names(site_id: str, settings: HubSettings, broker: BrokerAddress) -> list[str]:
    """What the broker's certificate is made for: the site file's [hub.broker] names, the
    addresses devices and the hub are told, the zeroconf host name, and loopback."""
    names = [
        *settings.broker.names,
        *(n for n in (broker.host, broker.listen, settings.mqtt.host) if n is not None),
        *([settings.advertise_host] if settings.advertise_host else []),
        f"okienko-{site_id}.local",
        "localhost",
        "127.0.0.1",
    ]
    return list(dict.fromkeys(n for n in names if n not in WILDCARDS))


@dataclass(frozen=True)
class OwnPki:
    """An office's own PKI: its CA certificate and the broker's certificate and key."""

    ca_cert: Path
    cert: Path
    key: Path

    def read(self) -> tuple[bytes, pki.KeyPair]:
        try:
            return self.ca_cert.read_bytes(), pki.KeyPair(
                self.cert.read_bytes(), self.key.read_bytes()
            )
        except OSError as exc:
            raise ProvisionError(f"{exc.filename}: cannot read: {exc.strerror}") from None


def _site_pki(
    site_id: str, names: list[str], when: datetime, own: OwnPki | None
) -> tuple[pki.KeyPair | None, bytes, pki.KeyPair]:
    """A new site CA and server pair, or the office's own checked against ``names``."""
    try:
        if own is not None:
            ca_cert, server = own.read()
            pki.check_server(ca_cert, server, names, when)
            return None, ca_cert, server
        ca = pki.create_ca(site_id, when)
        return ca, ca.cert_pem, pki.issue_server(ca, names, when)
    except pki.PkiError as exc:
        raise ProvisionError(str(exc)) from None


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --- the broker's reload -------------------------------------------------------------------


def broker_pid(pid: int | None, pidfile: Path | None) -> int | None:
    """The running broker to reload, checked before anything is written."""
    if pidfile is not None:
        try:
            pid = int(pidfile.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ProvisionError(f"{pidfile}: cannot read the pid file: {exc.strerror}") from None
        except ValueError:
            raise ProvisionError(f"{pidfile}: holds no process id") from None
    if pid is None:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise ProvisionError(f"no process {pid}: is the broker running?") from None
    except PermissionError:
        raise ProvisionError(f"not allowed to signal process {pid}; run as its owner") from None
    return pid


def reload_broker(pid: int | None) -> str:
    """SIGHUP: Mosquitto re-reads passwd and ACL and disconnects exactly the clients whose
    credentials no longer pass (revoked or rotated); everyone else stays connected."""
    if pid is None:
        return (
            "broker not reloaded (no --broker-pid/--pidfile): "
            "send it SIGHUP, e.g. `systemctl reload okienko-broker`"
        )
    os.kill(pid, signal.SIGHUP)
    return f"broker (pid {pid}) reloaded"


def reload_hub(site_path: Path) -> str:
    """SIGHUP to the hub running on this site file's database (found by its run lock), so
    it serves the devices of the site file as it is now, without a restart."""
    from hub import runlock

    database = load_settings(site_path).hub.database
    try:
        pid = runlock.running_pid(database)
    except OSError as exc:
        return (
            f"hub not reloaded ({runlock.lock_path(database)}: {exc.strerror}): "
            "send it SIGHUP, e.g. `systemctl reload okienko-hub`"
        )
    if pid is None:
        return f"no hub is running on {database}; it reads the site file when it starts"
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return f"no hub is running on {database}; it reads the site file when it starts"
    except PermissionError:
        return (
            f"not allowed to signal the hub (pid {pid}): send it SIGHUP as its owner, "
            "e.g. `systemctl reload okienko-hub`"
        )
    return f"hub (pid {pid}) reloaded its site file"


# --- operations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    device: str
    bundle: Path
    message: str


def init(
    site_path: Path,
    directory: Path,
    broker: BrokerAddress,
    *,
    own: OwnPki | None = None,
    clock: datetime | None = None,
) -> tuple[ProvisioningState, BrokerFiles, list[Path]]:
    """A new state directory: the site CA and the broker's certificate, the hub's account,
    one credential and bundle per device."""
    site_file = load_settings(site_path)
    if not StateDir(directory).state_file.exists():
        taken = port_taken(broker.listen, broker.port)
        if taken is not None:
            raise ProvisionError(taken)
    state, files, bundles, _ = init_site(
        site_file.site,
        str(site_path.resolve()),
        directory,
        broker,
        settings=site_file.hub,
        own=own,
        clock=clock,
    )
    return state, files, bundles


def init_site(
    site: Site,
    site_file: str,
    directory: Path,
    broker: BrokerAddress,
    *,
    settings: HubSettings | None = None,
    own: OwnPki | None = None,
    clock: datetime | None = None,
) -> tuple[ProvisioningState, BrokerFiles, list[Path], dict[str, str]]:
    """``init`` for a site already loaded (the demo adjusts its example site first); also
    returns the passwords it issued, which exist in plain text only in the bundles."""
    sd = StateDir(directory)
    if sd.state_file.exists():
        raise ProvisionError(
            f"{directory} already holds the state of a site; "
            "use enrol, rotate or revoke (or another --state)"
        )
    if directory.exists() and any(directory.iterdir()):
        raise ProvisionError(f"{directory} is not empty; give a new or empty directory")
    settings = settings or HubSettings()
    when = clock or now()
    ca, ca_cert, server = _site_pki(site.id, broker_names(site.id, settings, broker), when, own)
    passwords = {a: st.new_password() for a in (HUB_DEVICE_ID, *(d.id for d in site.devices))}
    stored = os.path.relpath(Path(site_file).resolve(), directory.resolve())
    state = st.initial_state(site, stored, broker, when, passwords)
    # 0711: the broker's user must walk through to broker/, but may not list or read the rest.
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o711)
    sd.write_pki(ca, ca_cert, server)
    ca_pem = ca_cert.decode("ascii")
    bundles = [
        sd.write_bundle(d.id, bundle_text(site.id, d, passwords[d.id], broker, when, ca_pem))
        for d in site.devices
    ]
    write_atomic(sd.hub_password, passwords[HUB_DEVICE_ID] + "\n")
    give_to_service_user(sd.hub_password)
    files = sd.write_broker(state, site, settings.broker)
    sd.save(state)
    return state, files, bundles, passwords


@dataclass(frozen=True)
class Rerun:
    state: ProvisioningState
    files: BrokerFiles
    bundles: list[Path]
    rotated: bool
    message: str


def init_again(
    site_path: Path,
    directory: Path,
    broker: BrokerAddress,
    *,
    rotate_all: bool = False,
    pid: int | None = None,
) -> Rerun:
    """``provision init`` on a state that exists: every password is kept and the broker's
    files are written again from the site file; ``rotate_all`` issues new passwords for the
    hub and every enrolled device (new bundles), as after a leak."""
    sd, state, site = _load(directory)
    if sd.site_path(state).resolve() != site_path.resolve():
        raise ProvisionError(
            f"{directory} belongs to the site file {sd.site_path(state)}, not {site_path}; "
            f"to point it at a moved file: `okienko provision site-file --state {directory} "
            f"--site {site_path}`"
        )
    if broker != state.broker:
        was = state.broker
        raise ProvisionError(
            f"{directory} was made with --listen {was.listen} --host {was.host or '(zeroconf)'} "
            f"--port {was.port}, which the bundles carry; give the same (a new port: "
            "`init --upgrade-tls --port`), or another --state for a new site"
        )
    if not rotate_all:
        files = sd.write_broker(state, site)
        bundles = [sd.bundle(d.id) for d in site.devices if sd.bundle(d.id).is_file()]
        return Rerun(
            state, files, bundles, False, "every password kept (--rotate-all issues new ones)"
        )
    when = now()
    ca_pem = sd.ca_pem()
    password = st.new_password()
    state = st.issue(state, HUB_DEVICE_ID, password, when)
    write_atomic(sd.hub_password, password + "\n")
    give_to_service_user(sd.hub_password)
    bundles = []
    for device in site.devices:
        cred = state.accounts.get(device.id)
        if cred is None or not cred.active:
            continue  # never enrolled, or revoked: stays so
        password = st.new_password()
        state = st.issue(state, device.id, password, when)
        text = bundle_text(site.id, device, password, state.broker, when, ca_pem)
        bundles.append(sd.write_bundle(device.id, text))
    sd.save(state)
    files = sd.write_broker(state, site)
    return Rerun(
        state,
        files,
        bundles,
        True,
        f"new passwords for the hub and {len(bundles)} device(s), the old ones no longer "
        f"work; {reload_broker(pid)}; install each new bundle on its device",
    )


def _load(directory: Path) -> tuple[StateDir, ProvisioningState, Site]:
    sd = StateDir(directory)
    state = sd.load()
    path = sd.site_path(state)
    if not path.is_file():
        raise ProvisionError(
            f"{directory}: its site file {path} is not there (moved?); point the state at it: "
            f"`okienko provision site-file --state {directory} --site SITE.toml`"
        )
    site = load_site_file(path)
    st.check_site(state, site)
    return sd, state, site


def point_at_site_file(directory: Path, site_path: Path) -> str:
    """The state's site file moved (or the state did): point it at ``site_path``, which must
    be a site file of the same site, stored relative to the state directory."""
    sd = StateDir(directory)
    state = sd.load()
    site = load_site_file(site_path)
    st.check_site(state, site)
    stored = os.path.relpath(site_path.resolve(), directory.resolve())
    sd.save(replace(state, site_file=stored))
    return f"{directory}: site file is now {site_path.resolve()} (stored as {stored})"


def _issue(
    sd: StateDir, state: ProvisioningState, site: Site, device: Device, pid: int | None
) -> tuple[ProvisioningState, Path, str]:
    when = now()
    password = st.new_password()
    state = st.issue(state, device.id, password, when)
    text = bundle_text(site.id, device, password, state.broker, when, sd.ca_pem())
    path = sd.write_bundle(device.id, text)
    sd.save(state)
    sd.write_broker(state, site)
    return state, path, reload_broker(pid)


def enrol(directory: Path, device_id: str, pid: int | None = None) -> Issued:
    """The device's enrolment bundle. A device of the site file without a credential (added
    after init, or revoked before) gets one now; an enrolled device's bundle is handed out
    again while it is kept (a lost one needs ``rotate``)."""
    sd, state, site = _load(directory)
    device = st.device_of(site, device_id)
    cred = state.accounts.get(device_id)
    if cred is not None and cred.active:
        path = sd.bundle(device_id)
        if not path.is_file():
            raise ProvisionError(
                f"device '{device_id}' is enrolled but its bundle is gone (handed out and "
                "deleted?); `okienko provision rotate` issues a new one"
            )
        return Issued(device_id, path, "already enrolled; the bundle is unchanged")
    _, path, reloaded = _issue(sd, state, site, device, pid)
    return Issued(device_id, path, f"enrolled; {reloaded}; {reload_hub(sd.site_path(state))}")


def device_entry(device: Device) -> str:
    """The site file's ``[[site.devices]]`` table for ``device``, appended as text so the
    file's comments and layout stay as the office wrote them."""
    lines = [
        "",
        "[[site.devices]]",
        f"id = {toml_value(device.id)}",
        f"role = {toml_value(device.role)}",
    ]
    if device.counter is not None:
        lines.append(f"counter = {toml_value(device.counter)}")
    if device.name:
        lines.append(f"name = {toml_value(device.name)}")
    return "\n".join(lines) + "\n"


def add_device(directory: Path, device: Device, pid: int | None = None) -> Issued:
    """A new device in one step: its entry in the site file (checked by the hub's own
    schema first, e.g. that its counter exists) and its credential and bundle."""
    sd, state, _site = _load(directory)
    path = sd.site_path(state)
    text = path.read_text(encoding="utf-8")
    if parse_site_file(text, str(path)).site.device(device.id) is not None:
        raise ProvisionError(f"device '{device.id}' is already in {path}; use enrol or rotate")
    new_text = (text if text.endswith("\n") else text + "\n") + device_entry(device)
    try:
        site = parse_site_file(new_text, str(path)).site
    except ConfigError as exc:
        raise ProvisionError(f"device '{device.id}' not added: {exc}") from None
    write_atomic(path, new_text, path.stat().st_mode & 0o777)
    _, bundle, reloaded = _issue(sd, state, site, device, pid)
    return Issued(
        device.id, bundle, f"added to {path} and enrolled; {reloaded}; {reload_hub(path)}"
    )


def rotate(directory: Path, device_id: str, pid: int | None = None) -> Issued:
    sd, state, site = _load(directory)
    if device_id == HUB_DEVICE_ID:
        return _rotate_hub(sd, state, site, pid)
    device = st.device_of(site, device_id)
    cred = state.accounts.get(device_id)
    if cred is None or not cred.active:
        raise ProvisionError(
            f"device '{device_id}' is not enrolled; `okienko provision enrol` it instead"
        )
    _, path, reloaded = _issue(sd, state, site, device, pid)
    hub = reload_hub(sd.site_path(state))
    return Issued(
        device_id, path, f"new password issued, the old one no longer works; {reloaded}; {hub}"
    )


def _rotate_hub(sd: StateDir, state: ProvisioningState, site: Site, pid: int | None) -> Issued:
    """The hub's own password: its password file first, so that when the reloaded broker
    drops the hub's connection (the old password no longer passes) the hub reconnects with
    the new one."""
    password = st.new_password()
    state = st.issue(state, HUB_DEVICE_ID, password, now())
    write_atomic(sd.hub_password, password + "\n")
    give_to_service_user(sd.hub_password)
    sd.save(state)
    sd.write_broker(state, site)
    if pid is None:
        after = (
            f"{reload_broker(pid)}; the hub keeps its connection until then and reconnects "
            "with the new password"
        )
    else:
        after = f"{reload_broker(pid)}; the hub reconnects with the new password"
    return Issued(HUB_DEVICE_ID, sd.hub_password, f"new password issued; {after}")


def revoke(directory: Path, device_id: str, pid: int | None = None) -> str:
    sd, state, site = _load(directory)
    if device_id == HUB_DEVICE_ID:
        raise ProvisionError("the hub's account cannot be revoked, only its devices'")
    if device_id not in state.accounts:
        st.device_of(site, device_id)  # unknown altogether: say so, and name the known ones
    state = st.revoke(state, device_id, now())
    sd.save(state)
    sd.write_broker(state, site)
    with contextlib.suppress(FileNotFoundError):
        sd.bundle(device_id).unlink()  # a revoked password has nothing left to unlock
    hub = reload_hub(sd.site_path(state))
    return f"device '{device_id}' revoked; {reload_broker(pid)}; {hub}"


@dataclass(frozen=True)
class Row:
    account: str
    role: str
    counter: str
    status: st.AccountStatus
    issued: datetime | None
    rotated: datetime | None
    revoked: datetime | None


def rows(directory: Path) -> list[Row]:
    _, state, site = _load(directory)
    out = []
    names = [HUB_DEVICE_ID, *(d.id for d in site.devices)]
    names += sorted(set(state.accounts) - set(names))
    for name in names:
        device = site.device(name)
        cred = state.accounts.get(name)
        out.append(
            Row(
                account=name,
                role="hub" if name == HUB_DEVICE_ID else str(device.role) if device else "?",
                counter=(device.counter or "") if device else "",
                status=st.status(state, site, name),
                issued=cred.issued if cred else None,
                rotated=cred.rotated if cred else None,
                revoked=cred.revoked if cred else None,
            )
        )
    return out


def install(bundle: Path, target: Path, name: str = "appliance", *, dry_run: bool = False) -> Path:
    """Install a bundle on the device: ``TARGET/NAME.toml`` (0600) and ``TARGET/NAME.env``
    for ``okienko-appliance@NAME.service``, once the appliance's own loader accepts it.
    ``dry_run``: every check, nothing written."""
    from appliance.common.config import load_config

    try:
        config = load_config(bundle)
    except ConfigError as exc:
        raise ProvisionError(str(exc)) from None
    if config.password is None and config.password_file is None:
        raise ProvisionError(f"{bundle}: holds no password; is it an enrolment bundle?")
    if config.hub.ca_cert is None and config.hub.ca_file is None:
        raise ProvisionError(
            f"{bundle}: holds no site CA (a bundle from before TLS?); on the hub run "
            "`okienko provision init --upgrade-tls` and install the refreshed bundle"
        )
    text = bundle.read_text(encoding="utf-8")
    path = target / f"{name}.toml"
    if dry_run:
        return path
    target.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    give_to_service_user(path)
    write_atomic(target / f"{name}.env", env_text(str(config.role), config.device), 0o644)
    return path


# --- the broker's certificate --------------------------------------------------------------


def renew_cert(directory: Path, pid: int | None = None, *, own: OwnPki | None = None) -> str:
    """A new server certificate for the names the site file gives now, signed by the site
    CA (or the office's own, handed in); the CA and every device's bundle stay as they are."""
    sd, state, site = _load(directory)
    settings = load_settings(sd.site_path(state)).hub
    names = broker_names(site.id, settings, state.broker)
    when = now()
    ca_cert = sd.ca_pem().encode("ascii")
    try:
        if own is not None:
            own_ca, server = own.read()
            if own_ca.strip() != ca_cert.strip():
                raise ProvisionError(
                    "the given CA is not this site's (devices trust only that one); "
                    "a new CA needs `init --upgrade-tls` on a fresh state"
                )
            pki.check_server(ca_cert, server, names, when)
        else:
            try:
                key = sd.ca_key.read_bytes()
            except FileNotFoundError:
                raise ProvisionError(
                    "this site uses its office's own CA (no key here): give the new "
                    "certificate with --cert and --key (and --ca-cert)"
                ) from None
            server = pki.issue_server(pki.KeyPair(ca_cert, key), names, when)
    except pki.PkiError as exc:
        raise ProvisionError(str(exc)) from None
    sd.write_pki(None, ca_cert, server)
    sd.write_broker(state, site, settings.broker)
    until = pki.expires(server.cert_pem).date().isoformat()
    return f"new server certificate for {', '.join(names)}, valid until {until}; " + (
        reload_broker(pid)
    )


@dataclass(frozen=True)
class CertStatus:
    expires: datetime
    names: list[str]
    due: bool
    """Within 30 days of expiry (or past it): time for ``renew-cert``."""


def cert_status(directory: Path, at: datetime | None = None) -> CertStatus:
    sd = StateDir(directory)
    sd.ca_pem()
    pem = sd.server_cert.read_bytes()
    return CertStatus(pki.expires(pem), pki.names_of(pem), pki.due_for_renewal(pem, at or now()))


def upgrade_tls(
    directory: Path, port: int, *, own: OwnPki | None = None
) -> tuple[list[Path], list[str]]:
    """An existing site (made before TLS) moves to TLS only: a site CA and server certificate,
    the broker's files with the TLS listener only, and every kept bundle rewritten with the
    CA and the new port but the *same* password (nothing to re-enrol, no account changes).
    Returns the refreshed bundles, and the devices whose bundle was handed out and deleted."""
    sd, state, site = _load(directory)
    if sd.ca_cert.exists():
        raise ProvisionError(f"{directory} is on TLS already; see `renew-cert` for the server's")
    settings = load_settings(sd.site_path(state)).hub
    when = now()
    upgraded = st.with_port(state, port)
    names = broker_names(site.id, settings, upgraded.broker)
    ca, ca_cert, server = _site_pki(site.id, names, when, own)
    # Read every kept bundle before writing anything: one unreadable stops the upgrade.
    kept: dict[str, str] = {}
    missing: list[str] = []
    for device in site.devices:
        cred = state.accounts.get(device.id)
        if cred is None or not cred.active:
            continue
        path = sd.bundle(device.id)
        if not path.is_file():
            missing.append(device.id)
            continue
        from appliance.common.config import load_config

        try:
            kept[device.id] = load_config(path).secret()
        except ConfigError as exc:
            raise ProvisionError(str(exc)) from None
    sd.write_pki(ca, ca_cert, server)
    ca_pem = ca_cert.decode("ascii")
    bundles = []
    for device in site.devices:
        if device.id in kept:
            text = bundle_text(site.id, device, kept[device.id], upgraded.broker, when, ca_pem)
            bundles.append(sd.write_bundle(device.id, text))
    sd.save(upgraded)
    sd.write_broker(upgraded, site, settings.broker)
    return bundles, missing
