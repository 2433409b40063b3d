"""The kiosk set-up: systemd accepts the units, and the installer is idempotent, honours
``--root`` and changes nothing with ``--dry-run``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.provisioning.conftest import tree

KIOSK = Path(__file__).resolve().parents[2] / "provisioning" / "kiosk"
INSTALL = KIOSK / "install.sh"
UNITS = ["okienko-broker.service", "okienko-hub.service", "okienko-appliance@.service"]
BACKUP = ["okienko-hub-backup.service", "okienko-hub-backup.timer"]
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=1 rootwait consoleblank=600 quiet\n"


def install(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL), "--root", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def pi_root(tmp_path: Path) -> Path:
    """A Raspberry Pi OS tree as far as the installer looks at it."""
    root = tmp_path / "root"
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "boot" / "firmware" / "cmdline.txt").write_text(CMDLINE)
    return root


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on the units as shipped, except that the okienko command
    points at this checkout's (verify insists that ExecStart's program exists)."""
    okienko = Path(sys.executable).parent / "okienko"
    for unit in UNITS + BACKUP:
        text = (KIOSK / unit).read_text().replace("/opt/okienko/.venv/bin/okienko", str(okienko))
        (tmp_path / unit).write_text(text)
    # A template is verified through an instance.
    shutil.copy(tmp_path / "okienko-appliance@.service", tmp_path / "okienko-appliance@a.service")
    names = ["okienko-broker.service", "okienko-hub.service", "okienko-appliance@a.service"]
    names += BACKUP
    if not Path("/usr/sbin/mosquitto").exists():
        names.remove("okienko-broker.service")
    run = subprocess.run(
        ["systemd-analyze", "verify", *(f"./{n}" for n in names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    ours = [line for line in (run.stdout + run.stderr).splitlines() if "okienko" in line]
    assert run.returncode == 0 and not ours, run.stdout + run.stderr


def test_units_restart_on_failure_after_the_network_as_a_dedicated_user() -> None:
    for unit in UNITS:
        text = (KIOSK / unit).read_text()
        assert "Restart=on-failure" in text, unit
        assert "After=network-online.target" in text and "Wants=network-online.target" in text
        assert "NoNewPrivileges=yes" in text and "ProtectSystem=strict" in text
        if unit != "okienko-broker.service":  # Mosquitto drops to its own user itself
            assert "User=okienko" in text


def test_kiosk_screen_runs_kivy_on_kms_without_a_desktop() -> None:
    env = dict(
        line.split("=", 1)
        for line in (KIOSK / "kiosk.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["KIVY_WINDOW"] == "sdl2" and env["SDL_VIDEODRIVER"] == "kmsdrm"
    unit = (KIOSK / "okienko-appliance@.service").read_text()
    assert "PrivateDevices=yes" not in unit  # the screen, touch and sound are devices


def test_installing_twice_gives_the_same_tree(pi_root: Path) -> None:
    first = install(pi_root, "appliance")
    assert first.returncode == 0, first.stderr
    once = tree(pi_root)
    second = install(pi_root, "appliance")
    assert second.returncode == 0, second.stderr
    assert tree(pi_root) == once
    assert "->" not in second.stdout  # nothing left to do
    wants = pi_root / "etc/systemd/system/multi-user.target.wants"
    link = wants / "okienko-appliance@appliance.service"
    assert link.readlink() == Path("/etc/systemd/system/okienko-appliance@.service")
    cmdline = (pi_root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline.split() == [*CMDLINE.replace(" consoleblank=600", "").split(), "consoleblank=0"]


def test_hub_install_enables_broker_hub_and_the_nightly_backup(pi_root: Path) -> None:
    assert install(pi_root, "hub").returncode == 0
    wants = pi_root / "etc/systemd/system/multi-user.target.wants"
    assert sorted(p.name for p in wants.iterdir()) == [
        "okienko-broker.service",
        "okienko-hub.service",
    ]
    timer = pi_root / "etc/systemd/system/timers.target.wants/okienko-hub-backup.timer"
    assert timer.readlink() == Path("/etc/systemd/system/okienko-hub-backup.timer")
    backups = pi_root / "var/backups/okienko"
    assert backups.is_dir() and backups.stat().st_mode & 0o777 == 0o700
    unit = (KIOSK / "okienko-hub-backup.service").read_text()
    assert "--into /var/backups/okienko --keep ${OKIENKO_BACKUP_KEEP}" in unit
    assert "ReadWritePaths=/var/backups/okienko" in unit and "User=okienko" in unit
    assert (pi_root / "boot/firmware/cmdline.txt").read_text() == CMDLINE  # a hub has no screen


def test_dry_run_changes_nothing(pi_root: Path) -> None:
    before = tree(pi_root)
    run = install(pi_root, "--dry-run", "appliance")
    assert run.returncode == 0, run.stderr
    assert tree(pi_root) == before
    assert "would install /etc/systemd/system/okienko-hub.service" in run.stdout
    assert "would set consoleblank=0" in run.stdout


def test_operator_edits_survive_a_second_install(pi_root: Path) -> None:
    assert install(pi_root, "hub").returncode == 0
    env = pi_root / "etc/okienko/okienko.env"
    env.write_text("OKIENKO_STATE=/etc/okienko/torun\n")
    assert install(pi_root, "hub").returncode == 0
    assert env.read_text() == "OKIENKO_STATE=/etc/okienko/torun\n"


def test_bad_arguments_exit_2(pi_root: Path) -> None:
    assert install(pi_root, "toaster").returncode == 2
    assert install(pi_root, "appliance", "Bad!").returncode == 2
    assert install(pi_root / "absent", "hub").returncode == 2
    assert not (pi_root / "etc").exists()
