"""Log lines never carry a capability: the secret part of a link that gives access by itself
(a visit's manage link, an e-ticket, a password link, a fault report's status link, a rating
link) or an API key in a query string is replaced by ``***`` before any handler writes it.

``log_config`` is uvicorn's logging configuration with that filter on every handler (uvicorn's
own, the access log's, and the root's that the cloud's modules log through), so it holds in
every worker process too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# The path prefixes whose next segment is a token (the routes with {token}; a test checks that
# every such route is covered).
TOKEN_PATHS = (
    "visit",
    "e",
    "usterka/s",
    "helpdesk/rate",
    "helpdesk/reset",
    "staff/password/reset",
    "api/v1/visits",
    "api/v1/etickets",
)
# A path from the root: at the start, after a space, quote or bracket, or after a scheme and host.
_PATH = re.compile(
    r"""((?:^|(?<=[\s"'(<=]))(?:https?://[^/\s"'<>]+)?/(?:"""
    + "|".join(map(re.escape, TOKEN_PATHS))
    + r""")/)[^/\s?#"'<>]+""",
    re.MULTILINE,
)
_QUERY = re.compile(r"([?&](?:api_key|token|key|code)=)[^&#\s\"'<>]+", re.IGNORECASE)
HIDDEN = "***"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    return _QUERY.sub(r"\1" + HIDDEN, _PATH.sub(r"\1" + HIDDEN, text))


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Redacts the message's arguments (uvicorn's access formatter reads them one by one), the
    message itself, and the traceback's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def log_config(*, access_log: bool = False) -> dict[str, Any]:
    """uvicorn's logging, redacted: its own messages from WARNING, each request (when
    ``access_log``) at INFO, and the root logger (every ``okienko.*`` module) at INFO."""
    from uvicorn.config import LOGGING_CONFIG

    handler = {"filters": ["redact"], "class": "logging.StreamHandler"}
    return {
        **LOGGING_CONFIG,
        "filters": {"redact": {"()": RedactTokens}},
        "formatters": {**LOGGING_CONFIG["formatters"], "plain": {"format": FORMAT}},
        "handlers": {
            "default": {**handler, "formatter": "default", "stream": "ext://sys.stderr"},
            "access": {**handler, "formatter": "access", "stream": "ext://sys.stdout"},
            "root": {**handler, "formatter": "plain", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "alembic": {"level": "WARNING"},  # one line per migration is noise (every worker)
            # Their request lines carry push services' endpoint URLs (capabilities) verbatim.
            "urllib3": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "uvicorn": {"handlers": ["default"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"level": "WARNING"},
            "uvicorn.access": {
                "handlers": ["access"],
                "level": "INFO" if access_log else "WARNING",
                "propagate": False,
            },
        },
        "root": {"handlers": ["root"], "level": logging.getLogger().level or logging.INFO},
    }
