"""Benchmark: a counter's call-next → the hall display's client holds the new retained state.

Measured in one run on this machine, against a real Mosquitto (generated from the example site)
and the hub in its own process with its real SQLite file (durability "full"):

* raw: Mosquitto QoS 1 publish → subscriber receive, the floor any hub latency stands on;
* call-next: terminal publishes call_next → display receives the state/queue naming the ticket;
* durable tickets per second: two dispensers keep many requests in flight; a ticket counts when
  its reply (sent only after the commit) has arrived.

Last line: ``p50_ms=X p99_ms=X raw_p99_ms=X ratio_p99=X tickets_per_s=X``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from appliance.common.hub_client import Credentials, HubClient, new_request_id  # noqa: E402
from hub.config import HubSettings, MqttSettings, SiteFile, load_site  # noqa: E402
from hub.contract import messages as msg  # noqa: E402
from hub.contract.topics import Operation, Topics  # noqa: E402
from okienko.demo import demo_site  # noqa: E402
from provisioning.broker import (  # noqa: E402
    Mosquitto,
    free_port,
    generate_passwords,
    write_broker_files,
)
from tests.support.broker import site_tls, tls_client  # noqa: E402


def _hub_main(site_file: SiteFile) -> None:
    import logging

    from hub.app import run, serve_forever

    logging.basicConfig(level=logging.WARNING)
    run(serve_forever(site_file))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _paho(user: str, password: str, port: int, ca_file: Path) -> mqtt.Client:
    c = tls_client(ca_file)
    c.username_pw_set(user, password)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def raw_round_trip(port: int, password: str, topic_root: str, n: int, ca_file: Path) -> list[float]:
    """QoS 1 pub → sub on loopback with the same client library the devices use."""
    topic = f"{topic_root}/bench/raw"
    got: queue.Queue[float] = queue.Queue()
    sub = _paho("hub", password, port, ca_file)
    sub.on_message = lambda c, u, m: got.put(time.perf_counter())
    sub.subscribe(topic, qos=1)
    pub = _paho("hub", password, port, ca_file)
    time.sleep(0.3)
    for sock_client in (sub, pub):
        s = sock_client.socket()
        if s is not None:
            import socket

            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        pub.publish(topic, b"x" * 64, qos=1)
        samples.append((got.get(timeout=5) - t0) * 1000)
    for c in (sub, pub):
        c.disconnect()
        c.loop_stop()
    return samples


def call_next_latency(creds: dict[str, Credentials], topics: Topics, n: int) -> list[float]:
    dispenser = HubClient(creds["dispenser-1"]).start()
    terminal = HubClient(creds["terminal-1"]).start()
    display = HubClient(creds["display-hall"]).start()
    try:
        numbers = []
        for _ in range(n):
            reply = dispenser.request(
                Operation.ISSUE_TICKET,
                msg.IssueTicketRequest(request_id=new_request_id(), service="dowody"),
            )
            assert reply.ok and reply.ticket, reply
            numbers.append(reply.ticket.number)
        seen: dict[str, float] = {}
        arrived = threading.Condition()

        def on_state(_topic: str, payload: bytes) -> None:
            now = time.perf_counter()
            calls = json.loads(payload)["recent_calls"]
            if calls:
                with arrived:
                    seen.setdefault(calls[0]["number"], now)
                    arrived.notify_all()

        display.subscribe(topics.queue_state, on_state)
        time.sleep(0.3)
        sign_in = msg.SignInRequest(request_id=new_request_id(), clerk="anna", pin=PINS["anna"])
        assert terminal.request(Operation.SIGN_IN, sign_in).ok
        samples = []
        for number in numbers:
            t0 = time.perf_counter()
            terminal.send(Operation.CALL_NEXT, msg.CounterRequest(request_id=new_request_id()))
            with arrived:
                if not arrived.wait_for(lambda number=number: number in seen, timeout=5):
                    raise RuntimeError(f"the display never saw {number} called")
            samples.append((seen[number] - t0) * 1000)
            terminal.request(
                Operation.START_SERVICE, msg.CounterRequest(request_id=new_request_id())
            )
            done = terminal.request(
                Operation.FINISH_SERVICE, msg.CounterRequest(request_id=new_request_id())
            )
            assert done.ok, done
        return samples
    finally:
        for c in (dispenser, terminal, display):
            c.stop()


def wait_for_hub(creds: Credentials, timeout: float = 60.0) -> None:
    """Until the hub's presence says online: commands sent before it has subscribed (its first
    session) would be lost, and a fixed sleep is too short on a busy machine."""
    probe = HubClient(creds).start()
    try:
        deadline = time.monotonic() + timeout
        while not probe.hub_online:
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not come online")
            time.sleep(0.05)
    finally:
        probe.stop()


def durable_throughput(creds: dict[str, Credentials], total: int, window: int = 100) -> float:
    """Two dispensers each keep ``window`` requests in flight until ``total`` are answered."""
    clients = [HubClient(creds[d]).start() for d in ("dispenser-1", "dispenser-2")]
    per_client = total // len(clients)
    answered = threading.Semaphore(0)
    ok = {"n": 0}
    slots = {c.creds.device: threading.Semaphore(window) for c in clients}

    def on_reply(topic: str, payload: bytes) -> None:
        ok["n"] += b'"ok":true' in payload
        slots[topic.rsplit("/", 1)[1]].release()
        answered.release()

    for c in clients:
        c.subscribe(c.topics.reply(c.creds.device), on_reply)
    time.sleep(0.3)
    t0 = time.perf_counter()
    for _ in range(per_client):
        for c in clients:
            if not slots[c.creds.device].acquire(timeout=30):
                raise RuntimeError("the hub stopped answering")
            c.send(
                Operation.ISSUE_TICKET,
                msg.IssueTicketRequest(request_id=new_request_id(), service="meldunki"),
            )
    for _ in range(per_client * len(clients)):
        if not answered.acquire(timeout=30):
            raise RuntimeError("replies stopped arriving")
    elapsed = time.perf_counter() - t0
    for c in clients:
        c.stop()
    if ok["n"] != per_client * len(clients):
        raise RuntimeError(f"only {ok['n']} of {per_client * len(clients)} tickets were issued")
    return ok["n"] / elapsed


PINS: dict[str, str] = {}
DURABILITY = "full"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (CI)")
    args = parser.parse_args(argv)
    n_raw, n_calls, n_tickets = (300, 150, 1000) if args.quick else (2000, 1000, 5000)

    site, pins = demo_site(load_site(REPO / "examples" / "torun.toml").site)
    site = site.model_copy(update={"building_limit": None})
    PINS.update(pins)
    passwords = generate_passwords(site)
    topics = Topics(site.id)
    with tempfile.TemporaryDirectory(prefix="okienko-bench-") as tmp:
        work = Path(tmp)
        port = free_port()
        tls = site_tls(work / "pki")
        files = write_broker_files(
            site, work / "broker", passwords, host="127.0.0.1", port=port, tls=tls.files
        )
        with Mosquitto.for_files(files):
            settings = HubSettings(
                database=work / "hub.sqlite3",
                durability=DURABILITY,
                advertise=False,
                mqtt=MqttSettings(port=port, password=passwords["hub"], tls_ca=tls.ca_file),
            )
            ctx = multiprocessing.get_context("spawn")
            hub = ctx.Process(target=_hub_main, args=(SiteFile(site=site, hub=settings),))
            hub.start()
            try:
                creds = {
                    d.id: Credentials("127.0.0.1", port, site.id, d.id, passwords[d.id], tls.ca_pem)
                    for d in site.devices
                }
                wait_for_hub(creds["display-hall"])  # it imports, migrates and connects
                raw = raw_round_trip(port, passwords["hub"], topics.root, n_raw, tls.ca_file)
                calls = call_next_latency(creds, topics, n_calls)
                tps = durable_throughput(creds, n_tickets)
            finally:
                hub.terminate()
                hub.join(10)
    raw_p50, raw_p99 = percentile(raw, 50), percentile(raw, 99)
    p50, p99 = percentile(calls, 50), percentile(calls, 99)
    print(f"raw mosquitto QoS1 pub->sub: n={len(raw)} p50={raw_p50:.3f} ms p99={raw_p99:.3f} ms")
    print(
        f"call-next -> display state:  n={len(calls)} p50={p50:.3f} ms p99={p99:.3f} ms "
        f"mean={statistics.fmean(calls):.3f} ms"
    )
    print(f"durable tickets: {n_tickets} from 2 dispensers, 100 in flight each: {tps:.0f}/s")
    print(
        f"p50_ms={p50:.3f} p99_ms={p99:.3f} raw_p99_ms={raw_p99:.3f} "
        f"ratio_p99={p99 / raw_p99:.2f} tickets_per_s={tps:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
