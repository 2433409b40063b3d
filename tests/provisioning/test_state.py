"""The provisioning state as pure functions: who is on the broker, history, serialisation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.config import Site, parse_site_file
from provisioning.broker import PasswordHash, passwd_text
from provisioning.state import (
    AccountStatus,
    BrokerAddress,
    ProvisionError,
    broker_accounts,
    device_of,
    from_json,
    initial_state,
    issue,
    revoke,
    status,
    to_json,
)
from tests.provisioning.conftest import LATE_DEVICE, SITE_TOML

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def site(extra: str = "") -> Site:
    return parse_site_file(SITE_TOML + extra).site


def fresh() -> tuple[Site, dict[str, str]]:
    s = site()
    return s, {"hub": "h", "terminal-1": "t", "display-1": "d"}


def test_init_gives_the_hub_and_every_device_a_hash_never_a_password() -> None:
    s, passwords = fresh()
    state = initial_state(s, "/x/site.toml", BrokerAddress(), T0, passwords)
    assert set(state.accounts) == {"hub", "terminal-1", "display-1"}
    text = to_json(state)
    assert all(f'"{p}"' not in text for p in passwords.values())
    assert all(c.hash and c.hash.startswith("$7$") for c in state.accounts.values())


def test_rotation_keeps_the_enrolment_date_and_records_the_rotation() -> None:
    s, passwords = fresh()
    state = initial_state(s, "/x", BrokerAddress(), T0, passwords)
    rotated = issue(state, "terminal-1", "new", T1)
    cred = rotated.accounts["terminal-1"]
    assert (cred.issued, cred.rotated) == (T0, T1)
    assert cred.hash != state.accounts["terminal-1"].hash


def test_revoked_device_leaves_passwd_and_acl_but_the_others_stay() -> None:
    s, passwords = fresh()
    state = revoke(initial_state(s, "/x", BrokerAddress(), T0, passwords), "display-1", T1)
    narrowed, hashes = broker_accounts(state, s)
    assert set(hashes) == {"hub", "terminal-1"}
    assert [d.id for d in narrowed.devices] == ["terminal-1"]
    assert status(state, s, "display-1") is AccountStatus.REVOKED
    assert state.accounts["display-1"].revoked == T1


def test_revoking_twice_is_refused() -> None:
    s, passwords = fresh()
    state = revoke(initial_state(s, "/x", BrokerAddress(), T0, passwords), "display-1", T1)
    with pytest.raises(ProvisionError, match="no active credential"):
        revoke(state, "display-1", T1)


def test_a_device_added_to_the_site_file_is_off_the_broker_until_enrolled() -> None:
    s, passwords = fresh()
    state = initial_state(s, "/x", BrokerAddress(), T0, passwords)
    bigger = site(LATE_DEVICE)
    assert status(state, bigger, "dispenser-1") is AccountStatus.NOT_ENROLLED
    assert "dispenser-1" not in broker_accounts(state, bigger)[1]
    enrolled = issue(state, "dispenser-1", "p", T1)
    assert "dispenser-1" in broker_accounts(enrolled, bigger)[1]


def test_a_device_removed_from_the_site_file_loses_its_account() -> None:
    s, passwords = fresh()
    state = initial_state(s, "/x", BrokerAddress(), T0, passwords)
    smaller = s.model_copy(update={"devices": [d for d in s.devices if d.id != "display-1"]})
    assert "display-1" not in broker_accounts(state, smaller)[1]
    assert status(state, smaller, "display-1") is AccountStatus.NOT_IN_SITE


def test_a_state_of_another_site_is_refused() -> None:
    s, passwords = fresh()
    state = initial_state(s, "/x", BrokerAddress(), T0, passwords)
    other = s.model_copy(update={"id": "elsewhere"})
    with pytest.raises(ProvisionError, match="belongs to 'prov-site'"):
        broker_accounts(state, other)


def test_unknown_device_names_the_known_ones() -> None:
    with pytest.raises(ProvisionError, match=r"'nope' is not in the site file.*terminal-1"):
        device_of(site(), "nope")


def test_state_survives_a_round_trip() -> None:
    s, passwords = fresh()
    state = revoke(
        initial_state(s, "/x", BrokerAddress("127.0.0.1", "hub", 1884), T0, passwords),
        "display-1",
        T1,
    )
    assert from_json(to_json(state), "state.json") == state


def test_a_damaged_state_file_is_named() -> None:
    with pytest.raises(ProvisionError, match=r"state\.json: not a readable provisioning state"):
        from_json('{"version": 1}', "state.json")


def test_stored_hashes_go_into_passwd_as_they_are() -> None:
    stored = PasswordHash("$7$101$c2FsdA==$a2V5")
    assert passwd_text({"hub": stored}) == "hub:$7$101$c2FsdA==$a2V5\n"
    with pytest.raises(ValueError, match="not a Mosquitto"):
        PasswordHash("plain")
