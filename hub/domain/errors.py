"""Why the queue refuses a command. Each class has a stable ``code`` that travels in the MQTT
reply; the appliances turn it into Polish or English text."""

from __future__ import annotations


class QueueError(Exception):
    code = "queue_error"


class UnknownService(QueueError):
    code = "unknown_service"


class UnknownCounter(QueueError):
    code = "unknown_counter"


class UnknownTicket(QueueError):
    code = "unknown_ticket"


class ServiceUnavailable(QueueError):
    """Issuing is not possible now; ``reason`` is an ``Availability`` value."""

    code = "service_unavailable"

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"service '{service}' does not issue tickets now: {reason}")
        self.service = service
        self.reason = reason


class CounterNotOpen(QueueError):
    code = "counter_not_open"


class CounterBusy(QueueError):
    """The counter already has a called visitor who is neither started nor marked."""

    code = "counter_busy"


class NothingToDo(QueueError):
    """No current ticket for recall/start/finish/no-show/transfer."""

    code = "no_current_ticket"


class QueueEmpty(QueueError):
    code = "queue_empty"


class InvalidTransfer(QueueError):
    code = "invalid_transfer"


class InvalidState(QueueError):
    code = "invalid_state"
