"""The README's "Run a real site" section, run as written: its shell blocks in order, in one
bash, on loopback, with only the four variables at its top (SITE, STATE, HOST, PORT) set to a
temporary folder and a free port. A real Mosquitto and a real hub come up from what
``provision init`` made; a device added while they run is served at once; running init
again keeps every password. When the README changes, this test runs the new text."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.common.config import load_config
from appliance.common.hub_client import Credentials, HubClient, new_request_id
from hub.clerks import hash_pin
from hub.contract import messages as msg
from hub.contract.topics import Operation
from provisioning.broker import free_port
from tests.support.broker import searchable_tempdir
from tests.support.sitefile import ALL_DAY, CLERK_PIN

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Run a real site"
VARIABLES = ("SITE", "STATE", "HOST", "PORT")

SITE_TOML = f"""\
[site]
id = "readme-site"
name = "Urząd z README"

[[site.services]]
id = "dowody"
name = "Dowody osobiste"
prefix = "A"
hours = {{ {ALL_DAY} }}

[[site.counters]]
id = "c9"
name = "Stanowisko 9"
number = "9"
services = ["dowody"]

[[site.clerks]]
id = "ewa"
name = "Ewa Testowa"
pin_hash = "{hash_pin(CLERK_PIN)}"

[[site.devices]]
id = "display-1"
role = "display"

[hub]
database = "hub.sqlite3"
advertise = false     # no zeroconf on the test machine's network
"""


def section_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION + "\n")
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"```sh\n(.*?)```", text[start:end], re.S)


def with_variables(block: str, values: dict[str, str]) -> str:
    """The block with each documented variable's assignment set to ``values``; nothing else
    is changed."""
    out = []
    for line in block.splitlines():
        name = line.split("=", 1)[0]
        if name in values and re.match(rf"^{name}=\S", line):
            line = f"{name}={shlex.quote(values[name])}"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture
def folder() -> Iterator[Path]:
    path = searchable_tempdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_readme_sections_first_block_documents_exactly_the_variables() -> None:
    blocks = section_blocks()
    assert len(blocks) >= 2
    assigned = [m for m in re.findall(r"^([A-Z]+)=", blocks[0], re.M)]
    assert assigned[: len(VARIABLES)] == list(VARIABLES)


def test_the_readme_real_site_runs_as_written(folder: Path) -> None:
    etc = folder / "etc"
    etc.mkdir()
    etc.chmod(0o711)
    site = etc / "site.toml"
    site.write_text(SITE_TOML, encoding="utf-8")
    values = {
        "SITE": str(site),
        "STATE": str(etc / "state"),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
    }
    blocks = section_blocks()
    script = "set -e\n" + "".join(with_variables(b, values) for b in blocks)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("DATABASE_URL", None)
    log = folder / "readme.log"
    with log.open("wb") as out:
        # Its own process group: the broker and the hub it starts in the background are
        # stopped with the group at the end.
        proc = subprocess.Popen(
            ["bash", "-c", script],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            code = proc.wait(120)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the README's commands hang:\n{log.read_text()}") from None
        said = log.read_text(errors="replace")
        assert code == 0, said
        assert "hub (pid " in said and "reloaded its site file" in said, said
        assert "Traceback" not in said, said
        state = Path(values["STATE"])

        # The device added while the hub ran is served, with no restart.
        bundle = load_config(state / "bundles" / "terminal-9.toml")
        creds = Credentials(
            "127.0.0.1",
            int(values["PORT"]),
            "readme-site",
            "terminal-9",
            bundle.secret() or "",
            (state / "pki" / "ca.crt").read_text(),
        )
        client = HubClient(creds).start()
        try:
            req = msg.SignInRequest(request_id=new_request_id(), clerk="ewa", pin=CLERK_PIN)
            reply = client.request(Operation.SIGN_IN, req, timeout=10)
            assert reply.ok, (reply.error, log.read_text())
        finally:
            client.stop()

        # The README's init, run again, keeps every password.
        init = next(
            line for line in blocks[0].splitlines() if line.startswith("okienko provision init")
        )
        before = [(state / "hub.password").read_bytes(), (state / "broker" / "passwd").read_bytes()]
        again = subprocess.run(
            ["bash", "-c", with_variables(blocks[0].split("\n\n")[0], values) + init + "\n"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode == 0, again.stderr
        assert "every password kept" in again.stdout
        after = [(state / "hub.password").read_bytes(), (state / "broker" / "passwd").read_bytes()]
        assert after == before
    finally:
        with_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while with_group(proc.pid, 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        with_group(proc.pid, signal.SIGKILL)
        proc.wait(10)


def with_group(pgid: int, sig: int) -> bool:
    """Signal the script's own process group (its broker and hub); False once it is gone."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True
