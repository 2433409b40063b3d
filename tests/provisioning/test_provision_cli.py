"""``okienko provision`` on disk: what init writes, bundles the appliance's own loader accepts,
and refusals that exit 2 with a clear message and leave every file as it was."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from appliance.common.config import load_config
from tests.provisioning.conftest import LATE_DEVICE, provision, tree


@pytest.fixture
def state(workdir: Path, site_file: Path) -> Path:
    path = workdir / "state"
    assert provision("init", "--site", site_file, "--state", path, "--host", "10.0.0.5") == 0
    return path


def test_init_writes_broker_files_hub_password_and_one_bundle_per_device(state: Path) -> None:
    assert (state / "broker" / "mosquitto.conf").is_file()
    users = [line.split(":")[0] for line in (state / "broker" / "passwd").read_text().splitlines()]
    assert users == ["hub", "terminal-1", "display-1"]
    assert sorted(p.name for p in (state / "bundles").iterdir()) == [
        "display-1.toml",
        "terminal-1.toml",
    ]
    for secret in (state / "state.json", state / "hub.password", *(state / "bundles").iterdir()):
        assert secret.stat().st_mode & 0o777 == 0o600, secret
    assert (state / "bundles").stat().st_mode & 0o777 == 0o700


def test_state_keeps_hashes_only(state: Path) -> None:
    text = (state / "state.json").read_text()
    password = load_config(state / "bundles" / "terminal-1.toml").secret()
    assert password not in text
    assert (state / "hub.password").read_text().strip() not in text


def test_bundle_is_an_appliance_configuration(state: Path) -> None:
    config = load_config(state / "bundles" / "terminal-1.toml")
    assert (str(config.role), config.device, config.counter) == ("counter", "terminal-1", "c1")
    assert (config.hub.host, config.hub.port, config.hub.site) == ("10.0.0.5", 8883, "prov-site")


def test_without_host_the_bundle_leaves_the_hub_to_zeroconf(workdir: Path, site_file: Path) -> None:
    assert provision("init", "--site", site_file, "--state", workdir / "z") == 0
    config = load_config(workdir / "z" / "bundles" / "display-1.toml")
    assert (config.hub.host, config.hub.site) == (None, "prov-site")


def test_install_writes_what_the_appliance_loads(state: Path, workdir: Path) -> None:
    target = workdir / "device-etc"
    bundle = state / "bundles" / "display-1.toml"
    assert provision("install", bundle, "--target", target) == 0
    installed = target / "appliance.toml"
    assert load_config(installed) == load_config(bundle)
    assert installed.stat().st_mode & 0o777 == 0o600
    assert (target / "appliance.env").read_text() == (
        "OKIENKO_ROLE=display\nOKIENKO_DEVICE=display-1\n"
    )


def test_installed_config_belongs_to_the_service_user(
    state: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The appliance unit runs as ``okienko``: the 0600 file must be its own. (``mosquitto``
    stands in for that user here, where no ``okienko`` account exists.)"""
    import pwd

    from provisioning import statedir

    try:
        stand_in = pwd.getpwnam("mosquitto")
    except KeyError:
        pytest.skip("no mosquitto user to stand in for okienko")
    if os.geteuid() != 0:
        pytest.skip("only root hands files to another user")
    monkeypatch.setattr(statedir, "SERVICE_USER", "mosquitto")
    assert (
        provision("install", state / "bundles" / "display-1.toml", "--target", workdir / "t") == 0
    )
    installed = (workdir / "t" / "appliance.toml").stat()
    assert (installed.st_uid, installed.st_mode & 0o777) == (stand_in.pw_uid, 0o600)


def test_installed_config_starts_the_appliance_command_line(state: Path, workdir: Path) -> None:
    """The unit's command line up to the point where Kivy would open the screen: the
    appliance accepts the config and the role from the env file matches it."""
    target = workdir / "device-etc"
    assert provision("install", state / "bundles" / "terminal-1.toml", "--target", target) == 0
    env = dict(line.split("=", 1) for line in (target / "appliance.env").read_text().split())
    from appliance.main import ROLES

    assert env["OKIENKO_ROLE"] in ROLES
    assert load_config(target / "appliance.toml").device == env["OKIENKO_DEVICE"]


def test_enrolling_an_enrolled_device_hands_out_the_same_bundle(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(state)
    assert provision("enrol", "--state", state, "--device", "terminal-1") == 0
    assert "already enrolled" in capsys.readouterr().out
    assert tree(state) == before


def test_a_device_added_to_the_site_file_is_enrolled_later(state: Path, site_file: Path) -> None:
    site_file.write_text(site_file.read_text() + LATE_DEVICE, encoding="utf-8")
    assert provision("enrol", "--state", state, "--device", "dispenser-1") == 0
    assert load_config(state / "bundles" / "dispenser-1.toml").device == "dispenser-1"
    assert "user dispenser-1" in (state / "broker" / "acl").read_text()


def test_list_shows_each_account_and_its_dates(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert provision("revoke", "--state", state, "--device", "display-1") == 0
    capsys.readouterr()
    assert provision("list", "--state", state) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        *("account", "role", "counter", "status", "issued", "rotated", "revoked")
    ]
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert set(rows) == {"hub", "terminal-1", "display-1"}
    assert lines[-1].startswith("broker certificate: valid until ") and "RENEW" not in lines[-1]
    assert " active " in rows["terminal-1"] and " c1 " in rows["terminal-1"]
    assert " revoked " in rows["display-1"]


def test_revoke_removes_the_account_and_its_bundle(state: Path) -> None:
    assert provision("revoke", "--state", state, "--device", "display-1") == 0
    assert "display-1" not in (state / "broker" / "passwd").read_text()
    assert "display-1" not in (state / "broker" / "acl").read_text()
    assert not (state / "bundles" / "display-1.toml").exists()


def test_the_command_is_installed(state: Path) -> None:
    okienko = Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "okienko"
    if not okienko.exists():
        okienko = Path(".venv/bin/okienko")
    run = subprocess.run(
        [str(okienko), "provision", "list", "--state", str(state)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "terminal-1" in run.stdout


# --- refusals: exit 2, a message, nothing written ------------------------------------------


def refused(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    assert provision(*args) == 2
    return capsys.readouterr().err


def test_unknown_device_is_refused_and_nothing_changes(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(state)
    for action in ("enrol", "rotate", "revoke"):
        err = refused(capsys, action, "--state", state, "--device", "nope")
        assert f"provision {action}: device 'nope' is not in the site file" in err, err
    assert tree(state) == before


def test_missing_state_is_refused(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (("list",), ("enrol", "--device", "terminal-1")):
        err = refused(capsys, *args, "--state", workdir / "nowhere")
        assert "no provisioning state here" in err and "provision init" in err
    assert not (workdir / "nowhere").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "cannot read the site file"),
        ("[site\n", "not valid TOML"),
        ('[site]\nid = "x"\n', "invalid site configuration"),
    ],
)
def test_unreadable_site_file_is_refused_before_anything_is_written(
    workdir: Path, capsys: pytest.CaptureFixture[str], text: str | None, message: str
) -> None:
    site_file = workdir / "broken.toml"
    if text is not None:
        site_file.write_text(text, encoding="utf-8")
    err = refused(capsys, "init", "--site", site_file, "--state", workdir / "s")
    assert message in err and str(site_file) in err
    assert not (workdir / "s").exists()


def secrets_of(state: Path) -> dict[str, str]:
    """Every plain password the state handed out: the hub's and each kept bundle's."""
    out = {"hub": (state / "hub.password").read_text().strip()}
    for bundle in sorted((state / "bundles").iterdir()):
        out[bundle.stem] = load_config(bundle).secret() or ""
    return out


def test_init_run_again_keeps_every_password(
    state: Path, site_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = secrets_of(state), (state / "broker" / "passwd").read_text()
    capsys.readouterr()
    assert provision("init", "--site", site_file, "--state", state, "--host", "10.0.0.5") == 0
    assert "every password kept" in capsys.readouterr().out
    assert (secrets_of(state), (state / "broker" / "passwd").read_text()) == before


def test_init_rotate_all_issues_new_passwords_and_keeps_revoked_devices_out(
    state: Path, site_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert provision("revoke", "--state", state, "--device", "display-1") == 0
    before = secrets_of(state)
    args = ("--host", "10.0.0.5", "--rotate-all")
    capsys.readouterr()
    assert provision("init", "--site", site_file, "--state", state, *args) == 0
    assert "new passwords for the hub and 1 device(s)" in capsys.readouterr().out
    after = secrets_of(state)
    assert set(after) == {"hub", "terminal-1"}
    assert all(after[name] != before[name] for name in after)
    users = [line.split(":")[0] for line in (state / "broker" / "passwd").read_text().splitlines()]
    assert users == ["hub", "terminal-1"]


def test_init_run_again_with_another_port_is_refused(
    state: Path, site_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(state)
    args = ("--host", "10.0.0.5", "--port", "9883")
    err = refused(capsys, "init", "--site", site_file, "--state", state, *args)
    assert "--port 8883" in err and "--upgrade-tls" in err
    assert tree(state) == before


@pytest.mark.parametrize("port", [0, 1883])
def test_init_on_a_taken_port_says_so_and_writes_nothing(
    workdir: Path, site_file: Path, port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    holder = socket.socket()
    try:
        try:
            holder.bind(("127.0.0.1", port))
            holder.listen()
        except OSError:
            assert port == 1883  # Debian's own mosquitto holds it here already
        port = port or holder.getsockname()[1]
        args = ("--listen", "127.0.0.1", "--port", str(port))
        err = refused(capsys, "init", "--site", site_file, "--state", workdir / "s", *args)
    finally:
        holder.close()
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    assert ("Debian's own `mosquitto`" in err) == (port == 1883)
    assert not (workdir / "s").exists()


def test_a_moved_state_never_edits_the_old_site_file_and_can_be_pointed_again(
    state: Path, site_file: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = workdir / "elsewhere" / "state"
    moved.parent.mkdir()
    state.rename(moved)
    old_text = site_file.read_text()
    args = ("--device", "display-9", "--role", "display")
    err = refused(capsys, "add-device", "--state", moved, *args)
    assert "is not there (moved?)" in err and "provision site-file" in err
    assert site_file.read_text() == old_text
    new_site = moved.parent / "site.toml"
    new_site.write_text(old_text)
    assert provision("site-file", "--state", moved, "--site", new_site) == 0
    assert provision("add-device", "--state", moved, *args) == 0
    assert site_file.read_text() == old_text
    assert 'id = "display-9"' in new_site.read_text()
    # Stored relative: the state and its site file move together without a re-point.
    assert json.loads((moved / "state.json").read_text())["site_file"] == "../site.toml"


def test_site_file_of_another_site_is_refused(
    state: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = workdir / "other.toml"
    other.write_text((workdir / "site.toml").read_text().replace("prov-site", "other-site"))
    before = tree(state)
    err = refused(capsys, "site-file", "--state", state, "--site", other)
    assert "other-site" in err and "prov-site" in err
    assert tree(state) == before


def test_a_site_file_broken_later_stops_every_command_cleanly(
    state: Path, site_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(state)
    site_file.write_text("[site\n", encoding="utf-8")
    err = refused(capsys, "rotate", "--state", state, "--device", "terminal-1")
    assert "not valid TOML" in err
    assert tree(state) == before


def test_a_broker_that_is_not_running_is_refused_before_writing(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(state)
    dead = subprocess.Popen(["true"])
    dead.wait()
    err = refused(
        capsys, "rotate", "--state", state, "--device", "terminal-1", "--broker-pid", str(dead.pid)
    )
    assert f"no process {dead.pid}" in err
    pidfile = state.parent / "none.pid"
    err = refused(
        capsys, "revoke", "--state", state, "--device", "terminal-1", "--pidfile", pidfile
    )
    assert "cannot read the pid file" in err
    assert tree(state) == before


def test_rotating_a_revoked_device_says_to_enrol_it(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert provision("revoke", "--state", state, "--device", "display-1") == 0
    err = refused(capsys, "rotate", "--state", state, "--device", "display-1")
    assert "not enrolled" in err and "enrol" in err


def test_install_refuses_what_is_not_a_bundle(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = workdir / "bogus.toml"
    bogus.write_text('role = "printer"\n', encoding="utf-8")
    err = refused(capsys, "install", bogus, "--target", workdir / "t")
    assert "bogus.toml" in err and "role" in err
    assert not (workdir / "t").exists()
    assert refused(capsys, "install", workdir / "absent.toml", "--target", workdir / "t")
    assert not (workdir / "t").exists()


def test_state_json_is_readable_by_tools(state: Path) -> None:
    data = json.loads((state / "state.json").read_text())
    assert data["site_id"] == "prov-site" and data["broker"]["host"] == "10.0.0.5"


def test_add_device_writes_the_site_file_and_enrols_in_one_step(
    state: Path, site_file: Path
) -> None:
    from hub.config import load_site

    before = site_file.read_text()
    assert (
        provision(
            "add-device",
            "--state",
            state,
            "--device",
            "terminal-2",
            "--role",
            "counter",
            "--counter",
            "c1",
            "--name",
            "Sala B, okienko 2",
        )
        == 0
    )
    text = site_file.read_text()
    assert text.startswith(before), "the office's own lines are kept as they were"
    added = load_site(site_file).site.device("terminal-2")
    assert added is not None and (added.counter, added.name) == ("c1", "Sala B, okienko 2")
    config = load_config(state / "bundles" / "terminal-2.toml")
    assert (config.device, config.counter) == ("terminal-2", "c1")
    users = [line.split(":")[0] for line in (state / "broker" / "passwd").read_text().splitlines()]
    assert "terminal-2" in users


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--device", "terminal-1", "--role", "counter", "--counter", "c1"), "already in"),
        (("--device", "terminal-3", "--role", "counter", "--counter", "c9"), "c9"),
        (("--device", "terminal-3", "--role", "counter"), "needs 'counter'"),
        (("--device", "Zły id", "--role", "display"), "Zły id"),
    ],
)
def test_add_device_refuses_with_a_reason_and_changes_nothing(
    state: Path,
    site_file: Path,
    args: tuple[str, ...],
    says: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = tree(state), site_file.read_text()
    assert provision("add-device", "--state", state, *args) == 2
    assert says in capsys.readouterr().err
    assert (tree(state), site_file.read_text()) == before


def test_a_revoked_device_enrolled_again_keeps_its_revocation_in_the_history(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert provision("revoke", "--state", state, "--device", "display-1") == 0
    revoked = json.loads((state / "state.json").read_text())["accounts"]["display-1"]["revoked"]
    assert revoked is not None
    assert provision("enrol", "--state", state, "--device", "display-1") == 0
    account = json.loads((state / "state.json").read_text())["accounts"]["display-1"]
    assert account["revoked"] == revoked and account["hash"] is not None
    capsys.readouterr()
    assert provision("list", "--state", state) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("display"))
    assert " active " in row and row.rstrip().endswith(revoked[:19].replace("T", " "))
    users = [line.split(":")[0] for line in (state / "broker" / "passwd").read_text().splitlines()]
    assert "display-1" in users


def test_install_dry_run_checks_the_bundle_and_writes_nothing(
    state: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = workdir / "device-etc"
    bundle = state / "bundles" / "display-1.toml"
    capsys.readouterr()
    assert provision("install", bundle, "--target", target, "--dry-run") == 0
    out = capsys.readouterr().out
    assert str(target / "appliance.toml") in out and "nothing written" in out
    assert not target.exists()
    not_a_bundle = workdir / "site.toml"
    assert provision("install", not_a_bundle, "--target", target, "--dry-run") == 2
    assert not target.exists()
