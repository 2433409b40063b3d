"""The broker's accounts and ACLs: the generated text, and a real Mosquitto enforcing them.

Denials are checked the way a device meets them: MQTT v5 PUBACK reason code 135 ("Not
authorized") for a refused publish, and nothing delivered. To prove "nothing" without long
sleeps, the same client then sends something allowed; messages from one client arrive in
order, so once the allowed one is in, the refused one would have been too.
"""

from __future__ import annotations

import base64
import os
import pwd
import re
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.config import DeviceRole, Site
from hub.contract.topics import COUNTER_OPERATIONS, DISPENSER_OPERATIONS, Operation, Topics
from hub.tls import BrokerNotTrusted, client_context, prove_broker
from provisioning.broker import (
    AclRule,
    BrokerError,
    Mosquitto,
    TlsFiles,
    acl_rules,
    acl_text,
    free_port,
    hash_password,
    passwd_text,
    write_broker_files,
)
from tests.support.broker import Probe, SiteBroker, SiteTls, site_tls, start_site_broker

NOT_AUTHORIZED = 135
QUIET_S = 0.5  # how long "nothing arrives" is watched where no ordering trick applies

Connect = Callable[..., Probe]


def _running_as_root_with_broker_user() -> bool:
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return False
    return os.geteuid() == 0


def assert_refused(device: Probe, device_id: str, topic: str, hub: Probe, t: Topics) -> None:
    """``device`` may not publish to ``topic``: PUBACK 135, and the hub (subscribed to the
    topic and to the device's presence) gets the device's next, allowed, message only."""
    hub.subscribe(topic, t.presence(device_id))
    assert device.publish(topic).value == NOT_AUTHORIZED
    assert not device.publish(t.presence(device_id)).is_failure
    hub.wait_for(t.presence(device_id))
    assert topic not in hub.topics()


# --- the generated files -------------------------------------------------------------------


def test_hash_is_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwd), "u", "sekret"], check=True)
    line = passwd.read_text().strip()
    theirs = line.split(":", 1)[1]
    _, seven, iterations, salt, _ = theirs.split("$")
    assert seven == "7"
    ours = hash_password("sekret", salt=base64.b64decode(salt), iterations=int(iterations))
    assert ours == theirs


def test_hash_has_a_fresh_12_byte_salt_and_a_64_byte_key() -> None:
    first, second = hash_password("x"), hash_password("x")
    assert first != second
    _, seven, iterations, salt, dk = first.split("$")
    assert (seven, iterations) == ("7", "101")
    assert len(base64.b64decode(salt)) == 12
    assert len(base64.b64decode(dk)) == 64


def test_passwd_text_holds_hashes_never_passwords() -> None:
    text = passwd_text({"hub": "plain-secret", "display-1": "other"})
    assert "plain-secret" not in text
    assert [line.split(":")[0] for line in text.splitlines()] == ["hub", "display-1"]


def _acl_blocks(text: str) -> dict[str, list[str]]:
    blocks: dict[str, list[str]] = {}
    user = None
    for line in text.splitlines():
        if line.startswith("user "):
            user = line.split()[1]
            blocks[user] = []
        elif line.startswith("topic "):
            assert user is not None, "a topic line outside a user block applies to everyone"
            blocks[user].append(line)
    return blocks


def test_acl_has_one_block_per_account(site: Site) -> None:
    blocks = _acl_blocks(acl_text(site))
    assert list(blocks) == ["hub", *(d.id for d in site.devices)]
    assert blocks["hub"] == [f"topic readwrite {Topics(site.id).root}/#"]
    assert "%" not in acl_text(site)  # explicit users, no patterns


def test_no_device_line_grants_a_multilevel_wildcard(site: Site) -> None:
    for user, lines in _acl_blocks(acl_text(site)).items():
        if user != "hub":
            assert not [line for line in lines if "#" in line], user


def test_no_device_writes_state_events_or_replies_nor_reads_commands(site: Site) -> None:
    root = Topics(site.id).root
    for user, rules in acl_rules(site).items():
        if user == "hub":
            continue
        for rule in rules:
            kind = rule.topic.removeprefix(f"{root}/").split("/")[0]
            if rule.access != "read":
                assert kind in ("cmd", "presence", "status"), (user, rule)
            if rule.access != "write":
                # The only presence a device may read is the hub's.
                assert kind in ("reply", "state", "event") or rule.topic == Topics(
                    site.id
                ).presence("hub"), (user, rule)


def test_devices_command_only_as_themselves_and_only_their_roles_operations(site: Site) -> None:
    t = Topics(site.id)
    rules = acl_rules(site)
    for device in site.devices:
        commands = {r.topic for r in rules[device.id] if r.topic.startswith(f"{t.root}/cmd/")}
        ops = {
            DeviceRole.DISPENSER: DISPENSER_OPERATIONS,
            DeviceRole.COUNTER: COUNTER_OPERATIONS,
        }.get(device.role, frozenset())
        assert commands == {t.command(device.id, op) for op in ops}, device.id


def test_counter_display_reads_only_its_own_counter(site: Site) -> None:
    t = Topics(site.id)
    assert acl_rules(site)["cdisplay-1"] == [
        AclRule("read", t.counter_state("c1")),
        AclRule("read", t.called("c1")),
        AclRule("read", t.presence("hub")),
        AclRule("write", t.presence("cdisplay-1")),
        AclRule("write", t.status("cdisplay-1")),
    ]


def test_counter_terminal_reads_its_counter_not_the_others(site: Site) -> None:
    t = Topics(site.id)
    reads = {r.topic for r in acl_rules(site)["terminal-1"] if r.access == "read"}
    assert reads == {
        t.reply("terminal-1"),
        t.queue_state,
        t.counter_state("c1"),
        t.called("c1"),
        t.presence("hub"),
    }


def test_missing_passwords_are_named(site: Site, tmp_path: Path, tls: SiteTls) -> None:
    passwords = {"hub": "x", "dispenser-1": "y"}
    with pytest.raises(ValueError, match=r"dispenser-2.*terminal-1"):
        write_broker_files(site, tmp_path, passwords, port=1, tls=tls.files)
    with pytest.raises(ValueError, match="hub"):
        others = {d.id: "x" for d in site.devices}
        write_broker_files(site, tmp_path, others, port=1, tls=tls.files)


def test_an_account_the_site_does_not_know_is_refused(
    site: Site, tmp_path: Path, tls: SiteTls
) -> None:
    passwords = {"hub": "x", "removed-kiosk": "y", **{d.id: "z" for d in site.devices}}
    with pytest.raises(ValueError, match="removed-kiosk"):
        write_broker_files(site, tmp_path, passwords, port=1, tls=tls.files)


def _all_passwords(site: Site) -> dict[str, str]:
    return {"hub": "h", **{d.id: d.id for d in site.devices}}


def test_conf_has_a_tls_listener_only(site: Site, tmp_path: Path, tls: SiteTls) -> None:
    files = write_broker_files(
        site, tmp_path / "b", _all_passwords(site), host="0.0.0.0", port=8883, tls=tls.files
    )
    text = files.conf.read_text()
    assert re.findall(r"^listener .*$", text, re.M) == ["listener 8883 0.0.0.0"]
    assert "allow_anonymous false" in text and "per_listener_settings false" in text
    assert f"keyfile {files.directory / 'tls' / 'server.key'}" in text
    assert f"cafile {files.cafile}" in text and "{" not in text
    assert (files.directory / "tls" / "server.key").stat().st_mode & 0o077 == 0


def test_a_plaintext_listener_is_on_loopback_alone_and_only_when_asked(
    site: Site, tmp_path: Path, tls: SiteTls
) -> None:
    files = write_broker_files(
        site,
        tmp_path / "b",
        _all_passwords(site),
        host="0.0.0.0",
        port=8883,
        tls=tls.files,
        plaintext_port=1883,
    )
    listeners = re.findall(r"^listener .*$", files.conf.read_text(), re.M)
    assert listeners == ["listener 8883 0.0.0.0", "listener 1883 127.0.0.1"]


@pytest.mark.skipif(not _running_as_root_with_broker_user(), reason="needs root")
def test_files_belong_to_the_broker_user(site: Site, searchable_dir: Path, tls: SiteTls) -> None:
    files = write_broker_files(
        site, searchable_dir / "b", _all_passwords(site), port=1, tls=tls.files
    )
    uid = pwd.getpwnam("mosquitto").pw_uid
    for path in (files.directory, files.conf, files.passwd, files.acl, files.data_dir, files.log):
        assert path.stat().st_uid == uid, path
    assert files.passwd.stat().st_mode & 0o077 == 0
    key = files.directory / "tls" / "server.key"
    assert key.stat().st_uid == uid and key.stat().st_mode & 0o077 == 0
    assert files.run_as == "mosquitto" and "\nuser mosquitto\n" in files.conf.read_text()


@pytest.mark.skipif(not _running_as_root_with_broker_user(), reason="needs root")
def test_broker_keeps_root_where_its_user_cannot_reach(
    site: Site, tmp_path: Path, tls: SiteTls
) -> None:
    # pytest's tmp_path lies under a 0700 directory of root's.
    files = write_broker_files(site, tmp_path / "b", _all_passwords(site), port=1, tls=tls.files)
    assert files.run_as == "root" and "\nuser root\n" in files.conf.read_text()


# --- a real broker -------------------------------------------------------------------------


def test_anonymous_connect_is_refused(site_broker: SiteBroker) -> None:
    probe = Probe(site_broker.broker)
    try:
        assert probe.connect().is_failure
    finally:
        probe.close()


def test_wrong_password_is_refused(site_broker: SiteBroker) -> None:
    probe = Probe(site_broker.broker, "display-1", site_broker.passwords["hub"])
    try:
        assert probe.connect().is_failure
    finally:
        probe.close()


def test_every_hashed_password_is_accepted(site: Site, connect: Connect) -> None:
    for user in ["hub", *(d.id for d in site.devices)]:
        connect(user)


def test_hub_publishes_state_and_a_display_receives_it(connect: Connect, topics: Topics) -> None:
    display = connect("display-1")
    display.subscribe(topics.queue_state, topics.all_counter_states, topics.all_called)
    hub = connect("hub")
    for topic in (topics.queue_state, topics.counter_state("c2"), topics.called("c1")):
        assert not hub.publish(topic, b'{"v": 1}').is_failure
        assert display.wait_for(topic).payload == b'{"v": 1}'


def test_display_cannot_publish_a_command(connect: Connect, topics: Topics) -> None:
    hub = connect("hub")
    display = connect("display-1")
    assert_refused(display, "display-1", topics.command("display-1", "call_next"), hub, topics)


def test_dispenser_issues_tickets_but_cannot_call_next(connect: Connect, topics: Topics) -> None:
    hub = connect("hub")
    hub.subscribe(topics.all_commands)
    dispenser = connect("dispenser-1")
    allowed = topics.command("dispenser-1", Operation.ISSUE_TICKET)
    assert not dispenser.publish(allowed).is_failure
    hub.wait_for(allowed)
    refused = topics.command("dispenser-1", Operation.CALL_NEXT)
    assert_refused(dispenser, "dispenser-1", refused, hub, topics)


def test_counter_terminal_cannot_command_as_another_counter(
    connect: Connect, topics: Topics
) -> None:
    hub = connect("hub")
    terminal = connect("terminal-1")
    hub.subscribe(topics.all_commands)
    assert not terminal.publish(topics.command("terminal-1", Operation.CALL_NEXT)).is_failure
    hub.wait_for(topics.command("terminal-1", Operation.CALL_NEXT))
    other = topics.command("terminal-2", Operation.CALL_NEXT)
    assert_refused(terminal, "terminal-1", other, hub, topics)


def test_dispenser_cannot_read_another_dispensers_replies(connect: Connect, topics: Topics) -> None:
    dispenser = connect("dispenser-1")
    # Mosquitto 2.0 grants the subscription and filters each message on delivery instead.
    dispenser.subscribe(topics.reply("dispenser-2"), topics.reply("dispenser-1"))
    hub = connect("hub")
    hub.publish(topics.reply("dispenser-2"), b"not yours")
    hub.publish(topics.reply("dispenser-1"), b"yours")
    assert dispenser.wait_for(topics.reply("dispenser-1")).payload == b"yours"
    assert topics.reply("dispenser-2") not in dispenser.topics()


def test_no_device_reads_commands(connect: Connect, topics: Topics) -> None:
    display = connect("display-1")
    display.subscribe(topics.all_commands, topics.queue_state)
    terminal = connect("terminal-1")
    terminal.publish(topics.command("terminal-1", Operation.CALL_NEXT))
    hub = connect("hub")
    hub.publish(topics.queue_state)
    display.wait_for(topics.queue_state)
    time.sleep(QUIET_S)  # the command and the control come from different clients
    assert display.topics() == [topics.queue_state]


def test_counter_display_gets_its_counter_only(connect: Connect, topics: Topics) -> None:
    screen = connect("cdisplay-1")
    screen.subscribe(topics.all_called, topics.all_counter_states)
    hub = connect("hub")
    hub.publish(topics.called("c2"))
    hub.publish(topics.counter_state("c2"))
    hub.publish(topics.called("c1"))
    screen.wait_for(topics.called("c1"))
    assert screen.topics() == [topics.called("c1")]


@pytest.mark.parametrize("device", ["display-1", "dispenser-1", "terminal-1"])
def test_device_cannot_write_queue_state(connect: Connect, topics: Topics, device: str) -> None:
    hub = connect("hub")
    assert_refused(connect(device), device, topics.queue_state, hub, topics)


def test_device_cannot_fake_another_devices_presence(connect: Connect, topics: Topics) -> None:
    hub = connect("hub")
    assert_refused(connect("display-1"), "display-1", topics.presence("hub"), hub, topics)


def test_device_presence_with_a_last_will_reaches_the_hub(connect: Connect, topics: Topics) -> None:
    hub = connect("hub")
    hub.subscribe(topics.presence("terminal-2"))
    terminal = connect("terminal-2", will=topics.presence("terminal-2"))
    assert not terminal.publish(topics.presence("terminal-2"), b"online").is_failure
    assert hub.wait_for(topics.presence("terminal-2")).payload == b"online"
    terminal.drop()
    assert hub.wait_for(topics.presence("terminal-2"), count=2).payload == b"offline"


def test_a_last_will_on_someone_elses_topic_is_dropped(connect: Connect, topics: Topics) -> None:
    hub = connect("hub")
    hub.subscribe(topics.presence("hub"))
    # Mosquitto 2.0.11 accepts the connection; the ACL stops the will when it fires.
    impostor = connect("display-1", will=topics.presence("hub"))
    impostor.drop()
    time.sleep(QUIET_S)
    assert hub.topics() == []


# --- running and reloading -----------------------------------------------------------------


def test_reload_disconnects_and_locks_out_a_removed_device(
    site: Site, searchable_dir: Path
) -> None:
    broker, passwords = start_site_broker(site, searchable_dir)
    try:
        display = Probe(broker, "display-1", passwords["display-1"])
        assert not display.connect().is_failure
        kept = {u: p for u, p in passwords.items() if u != "display-1"}
        smaller = site.model_copy(
            update={"devices": [d for d in site.devices if d.id != "display-1"]}
        )
        assert broker.cafile is not None
        certs = TlsFiles(
            broker.cafile,
            broker.cafile.with_name("server.crt"),
            broker.cafile.with_name("server.key"),
        )
        write_broker_files(smaller, broker.conf.parent, kept, port=broker.port, tls=certs)
        broker.reload()
        assert display.disconnected.wait(5)
        display.close()
        again = Probe(broker, "display-1", passwords["display-1"])
        assert again.connect().is_failure
        again.close()
        hub = Probe(broker, "hub", passwords["hub"])
        assert not hub.connect().is_failure
        hub.close()
    finally:
        broker.stop()


# --- TLS only: what a client without the site CA gets ---------------------------------------


def _refused(probe: Probe) -> bool:
    """No session: the handshake failed, the broker hung up, or it said no."""
    try:
        return probe.connect(timeout=3).is_failure
    except (ssl.SSLError, OSError, TimeoutError):
        return True
    finally:
        probe.close()


def test_a_plaintext_client_with_a_good_password_is_refused(site_broker: SiteBroker) -> None:
    attacker = Probe(site_broker.broker, "hub", site_broker.passwords["hub"], plaintext=True)
    assert _refused(attacker)


def test_a_client_that_does_not_trust_the_site_ca_is_refused(
    site_broker: SiteBroker, searchable_dir: Path
) -> None:
    other = site_tls(searchable_dir / "other")
    stranger = Probe(site_broker.broker, "hub", site_broker.passwords["hub"], tls_ca=other.ca_file)
    assert _refused(stranger)


def test_the_broker_is_proved_for_its_names_only(site: Site, searchable_dir: Path) -> None:
    """Host-name checking: a certificate of the site CA made for another name is no proof."""
    only_localhost = site_tls(searchable_dir / "pki", names=("localhost",))
    files = write_broker_files(
        site, searchable_dir / "b", _all_passwords(site), port=free_port(), tls=only_localhost.files
    )
    context = client_context(ca_file=only_localhost.ca_file)
    with Mosquitto.for_files(files) as broker:
        prove_broker("localhost", broker.port, context)
        with pytest.raises(BrokerNotTrusted, match="mismatch"):
            prove_broker("127.0.0.1", broker.port, context)
        assert _refused(Probe(broker, "hub", "h"))  # a client connects to 127.0.0.1


def test_mosquitto_clients_with_the_site_ca_pass(site_broker: SiteBroker, topics: Topics) -> None:
    """What an office's administrator checks by hand: mosquitto_pub/sub --cafile."""
    broker, passwords = site_broker.broker, site_broker.passwords
    assert broker.cafile is not None
    common = ["-V", "5", "-h", "127.0.0.1", "-p", str(broker.port), "--cafile", str(broker.cafile)]
    payload = b'{"check": "tls"}'
    pub = subprocess.run(
        [
            *("mosquitto_pub", *common, "-u", "hub", "-P", passwords["hub"]),
            *("-t", topics.queue_state, "-r", "-q", "1", "-m", payload.decode()),
        ],
        capture_output=True,
        timeout=10,
    )
    assert pub.returncode == 0 and not pub.stderr, pub.stderr
    sub = [
        *("mosquitto_sub", *common, "-u", "display-1", "-P", passwords["display-1"]),
        *("-t", topics.queue_state, "-C", "1", "-W", "5"),
    ]
    got = subprocess.run(sub, capture_output=True, timeout=10)
    assert got.returncode == 0 and got.stdout.strip() == payload, got.stderr
    cafile_at = sub.index("--cafile")
    plain = subprocess.run(sub[:cafile_at] + sub[cafile_at + 2 :], capture_output=True, timeout=10)
    assert plain.returncode != 0 and not plain.stdout


def test_start_refuses_a_port_that_is_taken(site_broker: SiteBroker) -> None:
    taken = site_broker.broker
    other = Mosquitto(taken.conf, host=taken.host, port=taken.port)
    with pytest.raises(BrokerError, match="already in use"):
        other.start()


def test_start_reports_why_the_broker_died(tmp_path: Path) -> None:
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {free_port()} 127.0.0.1\nno_such_option 1\n")
    with pytest.raises(BrokerError, match="no_such_option"):
        Mosquitto(conf, port=free_port()).start()
