"""A real OpenID Connect provider for the tests: the npm package ``oidc-provider`` on Node
(tests/support/oidc/provider.mjs), on a free loopback port, with clients, users and their
``groups`` claim given by the test.

The npm packages are installed once per package-lock.json (``npm ci``: the pinned versions
only) into .cache/oidc-provider-<digest>/ of the checkout, never globally; a lock keeps
parallel test processes from installing twice. ``code_flow`` signs a user in without a
browser (the provider's own sign-in and consent forms, posted), for tests that need a real
code or id token of some client."""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.webproc import free_port, stop_process

SOURCE = Path(__file__).resolve().parent / "oidc"
ROOT = Path(__file__).resolve().parents[2]


def _installed() -> Path:
    """The directory holding provider.mjs and its node_modules, installed once."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (./bootstrap test installs it)")
    lock = (SOURCE / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock + (SOURCE / "package.json").read_bytes()).hexdigest()[:16]
    cache = ROOT / ".cache"
    cache.mkdir(exist_ok=True)
    target = cache / f"oidc-provider-{digest}"
    with (cache / "oidc-provider.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not (target / "node_modules" / "oidc-provider").is_dir():
            work = Path(tempfile.mkdtemp(prefix="oidc-provider-", dir=cache))
            for name in ("package.json", "package-lock.json"):
                shutil.copy(SOURCE / name, work / name)
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                cwd=work, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if done.returncode != 0:
                shutil.rmtree(work, ignore_errors=True)
                raise RuntimeError(f"npm ci failed: {done.stderr[-2000:]}")
            shutil.rmtree(target, ignore_errors=True)
            work.rename(target)
    shutil.copy(SOURCE / "provider.mjs", target / "provider.mjs")  # the checkout's, always
    return target


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uri: str

    def metadata(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.secret,
            "redirect_uris": [self.redirect_uri],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }


@dataclass
class OidcProvider:
    issuer: str
    proc: subprocess.Popen[bytes]
    dir: Path
    clients: dict[str, Client] = field(default_factory=dict)

    @classmethod
    def start(cls, clients: list[Client], users: dict[str, dict[str, Any]]) -> OidcProvider:
        """``users``: name → {"password": ..., "claims": {"name", "email", "groups", ...}}."""
        home = _installed()
        port = free_port()
        issuer = f"http://127.0.0.1:{port}"
        workdir = Path(tempfile.mkdtemp(prefix="okienko-oidc-"))
        config = workdir / "config.json"
        config.write_text(
            json.dumps(
                {
                    "port": port,
                    "issuer": issuer,
                    "clients": [c.metadata() for c in clients],
                    "users": users,
                }
            )
        )
        log = workdir / "provider.log"
        proc = subprocess.Popen(
            ["node", str(home / "provider.mjs"), str(config)],
            cwd=home, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"oidc-provider did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        return cls(issuer, proc, workdir, {c.client_id: c for c in clients})

    def settings_file(self, path: Path, client: Client, extra: str, roles: dict[str, str]) -> Path:
        """A --directory file with the [oidc] table for ``client`` (its secret in a file) and
        ``roles`` (group → TOML list of roles)."""
        secret = path.parent / f"{client.client_id}.secret"
        secret.write_text(client.secret + "\n")
        secret.chmod(0o600)
        mapping = "\n".join(f"{json.dumps(g)} = {r}" for g, r in roles.items())
        path.write_text(
            f'[oidc]\nissuer = "{self.issuer}"\nclient_id = "{client.client_id}"\n'
            f'client_secret_file = "{secret}"\nlabel = "Test SSO"\n'
            f'scopes = ["openid", "profile", "email", "groups"]\n{extra}\n'
            f"[oidc.roles]\n{mapping}\n"
        )
        return path

    def set_claims(self, user: str, **claims: Any) -> None:
        """Changes ``user``'s claims (e.g. ``groups``) from the next sign-in on."""
        config = self.dir / "config.json"
        data = json.loads(config.read_text())
        data["users"][user]["claims"].update(claims)
        fresh = config.with_suffix(".new")
        fresh.write_text(json.dumps(data))
        fresh.replace(config)  # the provider never reads half a file

    def code_flow(
        self,
        client: Client,
        login: str,
        password: str,
        authorize_url: str | None = None,
        **params: str,
    ) -> dict[str, str]:
        """Signs ``login`` in at the provider for ``client`` as a browser would (following the
        redirects, posting the sign-in and consent forms) and returns the query the provider
        sends to the client's redirect URI: ``code`` and ``state``, or ``error``.
        ``authorize_url``: the authorization request as a client made it (else one of our
        own for ``client`` with ``params``)."""
        if authorize_url is None:
            from authlib.oauth2.rfc6749.parameters import prepare_grant_uri

            meta = httpx.get(f"{self.issuer}/.well-known/openid-configuration").json()
            authorize_url = prepare_grant_uri(
                meta["authorization_endpoint"], client.client_id, "code",
                redirect_uri=client.redirect_uri, scope="openid profile email groups", **params,
            )  # fmt: skip
        with httpx.Client(timeout=10) as browser:
            r = browser.get(authorize_url)
            for _ in range(10):
                location = r.headers.get("location", "")
                if r.is_redirect and location.startswith(client.redirect_uri):
                    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
                if r.is_redirect:
                    r = browser.get(httpx.URL(str(r.url)).join(location))
                    continue
                action = re.search(r'action="([^"]+)"', r.text)
                assert action, r.text
                form = (
                    {"login": login, "password": password}
                    if 'name="login"' in r.text
                    else {"consent": "yes"}
                )
                r = browser.post(httpx.URL(str(r.url)).join(action.group(1)), data=form)
        raise AssertionError("the provider did not send the browser back")

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
