"""The hall display's speech health for the hub's fleet view: the device's retained status
(``DeviceStatus.speech``), sent again on every reconnection by the hub client."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from appliance.common.hub_client import SOFTWARE, HubClient
from hub.contract import messages as msg

log = logging.getLogger("okienko.appliance.speech")


def report_speech(client: HubClient, state: msg.SpeechState, detail: str = "") -> None:
    """Publish the speech state (the announcer's ``on_health``); `detail` names the error."""
    if state is not msg.SpeechState.OK:
        log.warning("speech %s: %s", state, detail)
    client.report_status(
        msg.DeviceStatus(
            device=client.creds.device,
            role="display",
            software=SOFTWARE,
            speech=state,
            detail=detail[:200] or None,  # the cloud keeps 200 characters
            at=datetime.now(UTC),
        )
    )
