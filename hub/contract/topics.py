"""The MQTT topic tree of contract v1: the only place that builds or parses a topic string.

Everything lives under ``okienko/v1/{site}/``:

    cmd/{device}/{operation}   a device's command (MQTT v5 request, QoS 1)
    reply/{device}             replies to that device's commands
    state/queue                retained queue snapshot (waiting, estimates, last calls)
    state/counter/{counter}    retained state of one counter
    event/called/{counter}     one message per call or recall, with the announcement
    presence/{device}          retained "online"/"offline" (Last Will)
    status/{device}            retained device health (printer, version)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PROTOCOL = "okienko"
VERSION = 1


class Operation(StrEnum):
    """Command operations; the value is the last topic level."""

    ISSUE_TICKET = "issue_ticket"
    CHECK_IN = "check_in"
    CALL_NEXT = "call_next"
    RECALL = "recall"
    START_SERVICE = "start"
    FINISH_SERVICE = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    SIGN_IN = "sign_in"
    PAUSE_COUNTER = "pause"
    RESUME_COUNTER = "resume"
    CLOSE_COUNTER = "close"


# What each device role may ask the hub to do: the ACL generator and the hub both read this.
DISPENSER_OPERATIONS: frozenset[Operation] = frozenset({Operation.ISSUE_TICKET, Operation.CHECK_IN})
COUNTER_OPERATIONS: frozenset[Operation] = frozenset(
    {
        Operation.CALL_NEXT,
        Operation.RECALL,
        Operation.START_SERVICE,
        Operation.FINISH_SERVICE,
        Operation.NO_SHOW,
        Operation.TRANSFER,
        Operation.SIGN_IN,
        Operation.PAUSE_COUNTER,
        Operation.RESUME_COUNTER,
        Operation.CLOSE_COUNTER,
    }
)


@dataclass(frozen=True)
class Topics:
    """Topic names for one site."""

    site: str

    @property
    def root(self) -> str:
        return f"{PROTOCOL}/v{VERSION}/{self.site}"

    def command(self, device: str, operation: Operation | str) -> str:
        return f"{self.root}/cmd/{device}/{operation}"

    @property
    def all_commands(self) -> str:
        return f"{self.root}/cmd/+/+"

    def reply(self, device: str) -> str:
        return f"{self.root}/reply/{device}"

    @property
    def queue_state(self) -> str:
        return f"{self.root}/state/queue"

    def counter_state(self, counter: str) -> str:
        return f"{self.root}/state/counter/{counter}"

    @property
    def all_counter_states(self) -> str:
        return f"{self.root}/state/counter/+"

    def called(self, counter: str) -> str:
        return f"{self.root}/event/called/{counter}"

    @property
    def all_called(self) -> str:
        return f"{self.root}/event/called/+"

    def presence(self, device: str) -> str:
        return f"{self.root}/presence/{device}"

    @property
    def all_presence(self) -> str:
        return f"{self.root}/presence/+"

    def status(self, device: str) -> str:
        return f"{self.root}/status/{device}"

    @property
    def all_status(self) -> str:
        return f"{self.root}/status/+"

    def parse_command(self, topic: str) -> tuple[str, str] | None:
        """(device, operation) of a command topic of this site, or None."""
        prefix = f"{self.root}/cmd/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix) :].split("/")
        if len(parts) != 2 or not all(parts):
            return None
        return parts[0], parts[1]

    def parse_device_topic(self, topic: str, kind: str) -> str | None:
        """The device id of a ``presence/{device}`` or ``status/{device}`` topic, or None."""
        prefix = f"{self.root}/{kind}/"
        if not topic.startswith(prefix):
            return None
        rest = topic[len(prefix) :]
        return rest if rest and "/" not in rest else None


HUB_DEVICE_ID = "hub"
