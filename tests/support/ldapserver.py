"""A real OpenLDAP server (Debian's ``slapd``) for the tests: its own configuration directory,
a loopback port, a test CA (made with ``cryptography``) whose certificate the server presents
for StartTLS and LDAPS, and the memberof overlay, so groupOfNames groups show up as the
Active Directory-style ``memberOf`` on their members.

As root it drops to the ``openldap`` user (``-u``/``-g``), so it runs unprivileged either way.
Entries are added over LDAP as the root DN after start (slapadd would bypass the overlay)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.webproc import free_port

SUFFIX = "dc=city,dc=example"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret-1"

# userAccountControl as Active Directory has it (same OID), on an auxiliary class of our own:
# the tests flag a disabled user the way AD does (bit 2, ACCOUNTDISABLE).
AD_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.1.1 NAME 'okienkoAdAccount' AUXILIARY MAY userAccountControl )
"""

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {dir}/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCACertificateFile {dir}/ca.pem
TLSCertificateFile {dir}/server.pem
TLSCertificateKeyFile {dir}/server.key
database mdb
maxsize 16777216
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {dir}/data
overlay memberof
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
"""


_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


@dataclass
class TestCa:
    """A CA and a certificate it issued for 127.0.0.1 / localhost."""

    __test__ = False  # not a test class, whatever pytest guesses from the name

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @classmethod
    def make(cls, name: str = "Okienko test CA") -> TestCa:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_CA_USAGE, critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        return cls(
            ca.public_bytes(pem),
            cert.public_bytes(pem),
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        )


@dataclass
class LdapServer:
    dir: Path
    port: int
    ldaps_port: int
    proc: subprocess.Popen[bytes]
    ca: TestCa
    log: Path
    _entries: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.pem"

    @classmethod
    def start(cls) -> LdapServer:
        if shutil.which("slapd", path="/usr/sbin:/usr/bin") is None:
            raise RuntimeError("slapd is not installed (./bootstrap setup installs it)")
        # Not below pytest's tmp_path: its parents are private to root, and slapd runs as
        # the openldap user when the tests run as root.
        workdir = Path(tempfile.mkdtemp(prefix="okienko-slapd-"))
        ca = TestCa.make()
        (workdir / "data").mkdir()
        (workdir / "ca.pem").write_bytes(ca.ca_pem)
        (workdir / "server.pem").write_bytes(ca.cert_pem)
        (workdir / "server.key").write_bytes(ca.key_pem)
        (workdir / "ad.schema").write_text(AD_SCHEMA)
        (workdir / "slapd.conf").write_text(
            CONFIG.format(dir=workdir, suffix=SUFFIX, root_dn=ROOT_DN, root_pw=ROOT_PASSWORD)
        )
        drop: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("openldap")
            for path in [workdir, *workdir.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)
            drop = ["-u", "openldap", "-g", "openldap"]
        port, ldaps_port = free_port(), free_port()
        log = workdir / "slapd.log"
        proc = subprocess.Popen(
            [
                "/usr/sbin/slapd", "-d", "0", "-f", str(workdir / "slapd.conf"),
                "-h", f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{ldaps_port}/", *drop,
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        server = cls(workdir, port, ldaps_port, proc, ca, log)
        server._wait()
        server._add_base()
        return server

    def _wait(self) -> None:
        import socket

        deadline = time.monotonic() + 20
        while True:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                assert time.monotonic() < deadline, "slapd did not answer"
                time.sleep(0.1)

    def admin(self) -> Any:
        import ldap3

        return ldap3.Connection(
            ldap3.Server(self.url), ROOT_DN, ROOT_PASSWORD, auto_bind=True, raise_exceptions=True
        )

    def _add_base(self) -> None:
        with self.admin() as conn:
            conn.add(SUFFIX, ["dcObject", "organization"], {"dc": "city", "o": "City"})
            for ou in ("people", "groups"):
                conn.add(f"ou={ou},{SUFFIX}", ["organizationalUnit"], {"ou": ou})

    def add_user(
        self,
        uid: str,
        password: str,
        *,
        name: str,
        email: str | None = None,
        account_control: int | None = None,
    ) -> str:
        dn = f"uid={uid},ou=people,{SUFFIX}"
        classes = ["inetOrgPerson"] + (["okienkoAdAccount"] if account_control is not None else [])
        attrs: dict[str, Any] = {"uid": uid, "cn": name, "sn": name.split()[-1]}
        attrs["userPassword"] = password
        if email:
            attrs["mail"] = email
        if account_control is not None:
            attrs["userAccountControl"] = account_control
        with self.admin() as conn:
            conn.add(dn, classes, attrs)
        return dn

    def add_group(self, cn: str, members: list[str], *, unique: bool = False) -> str:
        """A groupOfNames (``member``; the overlay adds ``memberOf`` to each member) or a
        groupOfUniqueNames (``uniqueMember``)."""
        dn = f"cn={cn},ou=groups,{SUFFIX}"
        kind, attr = ("groupOfNames", "member")
        if unique:
            kind, attr = ("groupOfUniqueNames", "uniqueMember")
        with self.admin() as conn:
            conn.add(dn, [kind], {"cn": cn, attr: members})
        return dn

    def add_member(self, group_dn: str, member_dn: str, *, unique: bool = False) -> None:
        self._change_member(group_dn, member_dn, unique, add=True)

    def remove_member(self, group_dn: str, member_dn: str, *, unique: bool = False) -> None:
        self._change_member(group_dn, member_dn, unique, add=False)

    def _change_member(self, group_dn: str, member_dn: str, unique: bool, *, add: bool) -> None:
        import ldap3

        attr = "uniqueMember" if unique else "member"
        change = ldap3.MODIFY_ADD if add else ldap3.MODIFY_DELETE
        with self.admin() as conn:
            conn.modify(group_dn, {attr: [(change, [member_dn])]})

    def set_account_control(self, dn: str, value: int) -> None:
        import ldap3

        with self.admin() as conn:
            conn.modify(dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [value])]})

    def settings_file(self, path: Path, extra: str = "", roles: str = "") -> Path:
        """An [ldap] settings file for this server (StartTLS with the test CA, users bound as
        uid=NAME under ou=people), with ``extra`` keys and ``roles`` lines."""
        people = f"ou=people,{SUFFIX}"
        path.write_text(
            f"""
[ldap]
url = "{self.url}"
starttls = true
ca_file = "{self.ca_file}"
base_dn = "{people}"
user_filter = "(&(objectClass=inetOrgPerson)(uid={{username}}))"
bind_template = "uid={{username}},{people}"
{extra}

[ldap.roles]
{roles}
"""
        )
        return path

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
