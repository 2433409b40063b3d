"""Benchmark: appliances' resident memory when idle, and retained state → updated frame.

Runs a real Mosquitto and hub for the example site, starts each appliance screen in a real Kivy
window on one Xvfb server, waits, and reads each process's VmRSS. Then publishes queue states
(as the hub would) and measures, from the moment of publishing, when the group display's next
frame after showing that state was swapped (OKIENKO_FRAME_LOG, written by the display).

Goals (issue #3): RSS ≤ 150 MB per appliance; state → frame ≤ 100 ms.
Last line: ``rss_max_mb=X bare_kivy_mb=X ratio_rss=X frame_p50_ms=X frame_p99_ms=X``, where
bare_kivy_mb is a one-label Kivy window measured in the same run (the floor on this machine).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.hub_latency import _hub_main, percentile  # noqa: E402
from hub.config import HubSettings, MqttSettings, SiteFile, load_site  # noqa: E402
from hub.contract import messages as msg  # noqa: E402
from hub.contract.topics import Topics  # noqa: E402
from okienko.demo import demo_site, info_document  # noqa: E402
from provisioning.broker import (  # noqa: E402
    Mosquitto,
    free_port,
    generate_passwords,
    write_broker_files,
)
from tests.support.broker import site_tls, tls_client  # noqa: E402

# A Kivy window with one label: what Kivy, SDL and the GL driver cost before any Okienko code.
BARE_KIVY = (
    "import os; os.environ['KIVY_NO_ARGS']='1'\n"
    "from kivy.app import App\nfrom kivy.uix.label import Label\n"
    "class A(App):\n    def build(self): return Label(text='Okienko')\nA().run()\n"
)
ROLES = {
    "display": "display-hall",
    "counter": "terminal-1",
    "counter-display": "cdisplay-1",
    "dispenser": "dispenser-1",
}


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    for n in range(90, 120):
        if not Path(f"/tmp/.X11-unix/X{n}").exists():
            proc = subprocess.Popen(
                ["Xvfb", f":{n}", "-screen", "0", "1024x600x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)
            return proc, f":{n}"
    raise RuntimeError("no free X display number")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (CI)")
    args = parser.parse_args(argv)
    samples = 40 if args.quick else 200
    if shutil.which("Xvfb") is None:
        print("Xvfb is needed (apt install xvfb)", file=sys.stderr)
        return 2

    site, pins = demo_site(load_site(REPO / "examples" / "torun.toml").site)
    passwords = generate_passwords(site)
    topics = Topics(site.id)
    with tempfile.TemporaryDirectory(prefix="okienko-bench-app-") as tmp:
        work = Path(tmp)
        port = free_port()
        tls = site_tls(work / "pki")
        files = write_broker_files(
            site, work / "broker", passwords, host="127.0.0.1", port=port, tls=tls.files
        )
        info = work / "info.json"
        document = info_document(site, "127.0.0.1", port, tls.ca_file, passwords, pins)
        info.write_text(json.dumps(document))
        with Mosquitto.for_files(files):
            settings = HubSettings(
                database=work / "hub.sqlite3",
                advertise=False,
                mqtt=MqttSettings(port=port, password=passwords["hub"], tls_ca=tls.ca_file),
            )
            hub = multiprocessing.get_context("spawn").Process(
                target=_hub_main, args=(SiteFile(site=site, hub=settings),)
            )
            hub.start()
            xvfb, display = start_xvfb()
            procs: dict[str, subprocess.Popen[bytes]] = {}
            frame_log = work / "frames.log"
            try:
                time.sleep(2.0)
                for role, device in ROLES.items():
                    env = {**os.environ, "DISPLAY": display, "KIVY_HOME": str(work / role)}
                    if role == "display":
                        env["OKIENKO_FRAME_LOG"] = str(frame_log)
                    procs[role] = subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "okienko.cli",
                            "appliance",
                            role,
                            "--device",
                            device,
                            "--info-file",
                            str(info),
                            "--windowed",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        env=env,
                    )
                bare = work / "bare_kivy.py"  # Kivy's App reads its own source: a file, not -c
                bare.write_text(BARE_KIVY)
                procs["bare-kivy"] = subprocess.Popen(
                    [sys.executable, str(bare)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env={**os.environ, "DISPLAY": display, "KIVY_HOME": str(work / "bare")},
                )
                time.sleep(8.0)  # started, connected, idle
                memory = {}
                for role, proc in procs.items():
                    if proc.poll() is None:
                        memory[role] = rss_mb(proc.pid)
                    else:
                        print(f"{role}: not available in this build (exit {proc.returncode})")
                latencies = measure_frames(
                    port, passwords["hub"], topics, frame_log, samples, tls.ca_file
                )
            finally:
                for proc in procs.values():
                    proc.terminate()
                for proc in procs.values():
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                xvfb.terminate()
                hub.terminate()
                hub.join(10)
    for role, mb in memory.items():
        print(f"rss idle {role:<16} {mb:7.1f} MB")
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"state -> frame (group display): n={len(latencies)} p50={p50:.1f} ms p99={p99:.1f} ms")
    worst = max(v for r, v in memory.items() if v is not None and r != "bare-kivy")
    floor = memory.get("bare-kivy") or float("nan")
    print(
        f"rss_max_mb={worst:.1f} bare_kivy_mb={floor:.1f} ratio_rss={worst / floor:.2f} "
        f"frame_p50_ms={p50:.1f} frame_p99_ms={p99:.1f}"
    )
    return 0


def measure_frames(
    port: int, hub_password: str, topics: Topics, frame_log: Path, samples: int, ca_file: Path
) -> list[float]:
    pub = tls_client(ca_file)
    pub.username_pw_set("hub", hub_password)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    latencies = []
    try:
        for i in range(samples):
            marker = f"bench-{i}"
            state = msg.QueueState(
                site="torun-um",
                site_name=marker,
                at=datetime.now(UTC),
                day="2026-11-24",
                services=[],
                recent_calls=[],
                counters=[],
                building=msg.Building(inside=0, limit=None, full=False),
                voice=False,
            )
            sent = time.time()
            pub.publish(topics.queue_state, state.dump(), qos=1, retain=True).wait_for_publish(5)
            deadline = time.monotonic() + 5
            shown = None
            while shown is None and time.monotonic() < deadline:
                for line in frame_log.read_text().splitlines() if frame_log.exists() else []:
                    stamp, _, name = line.partition(" ")
                    if name == marker:
                        shown = float(stamp)
                time.sleep(0.005)
            if shown is None:
                raise RuntimeError(f"the display never drew {marker}")
            latencies.append((shown - sent) * 1000)
            time.sleep(0.05)
    finally:
        pub.disconnect()
        pub.loop_stop()
    return latencies


if __name__ == "__main__":
    sys.exit(main())
