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
    "password/reset",
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


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, request_id (null outside a
    request), and the traceback as exc_info, redacted like the message."""
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    class JsonLines(JsonFormatter):
        def formatException(self, ei: Any) -> Any:
            text = super().formatException(ei)
            return redact(text) if isinstance(text, str) else [redact(t) for t in text]

    return JsonLines(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        # uvicorn's colour variant of a message: noise in a log store
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        json_ensure_ascii=False,
    )


LOG_FORMATS = ("text", "json")


def log_config(*, access_log: bool = False, log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging, redacted: its own messages from WARNING, each request (when
    ``access_log``) at INFO, and the root logger (every ``okienko.*`` module) at INFO.
    ``log_format="json"``: every handler writes JSON lines with the request id."""
    from uvicorn.config import LOGGING_CONFIG

    from web.requestid import RequestIdFilter

    handler = {"filters": ["redact", "request_id"], "class": "logging.StreamHandler"}
    formatters: dict[str, Any] = {**LOGGING_CONFIG["formatters"], "plain": {"format": FORMAT}}
    names = {"default": "default", "access": "access", "root": "plain"}
    if log_format == "json":
        formatters = {"json": {"()": json_formatter}}
        names = dict.fromkeys(names, "json")
    return {
        **LOGGING_CONFIG,
        "filters": {"redact": {"()": RedactTokens}, "request_id": {"()": RequestIdFilter}},
        "formatters": formatters,
        "handlers": {
            "default": {**handler, "formatter": names["default"], "stream": "ext://sys.stderr"},
            "access": {**handler, "formatter": names["access"], "stream": "ext://sys.stdout"},
            "root": {**handler, "formatter": names["root"], "stream": "ext://sys.stderr"},
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
