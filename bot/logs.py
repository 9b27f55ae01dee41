"""Logs as one JSON object per line (structured), never with message text.

Every process of ours (gateway, action server, tools) logs through the standard library;
this formatter turns each record into JSON with a time, level, logger and event, plus the
record's `extra` fields. What users write is never logged: loggers get ids, kinds and counts
(a test sends a sentinel text through the real stack and looks for it in every log).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from typing import Any

# What every LogRecord has; anything else on a record came from `extra=` and is logged too.
STANDARD_ATTRIBUTES = frozenset(
    {
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
        "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
        "relativeCreated", "thread", "threadName", "processName", "process", "taskName",
        "message", "asctime",
    }
)  # fmt: skip


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in STANDARD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool)) else repr(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str | None = None) -> None:
    """JSON lines on stderr at LOG_LEVEL (default: info for our loggers, warning for others)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("wegwijs").setLevel((level or os.environ.get("LOG_LEVEL", "INFO")).upper())
    # Request URLs can hold a bot token or a conversation token: never log them.
    for noisy in ("httpx", "httpcore", "uvicorn.access", "sanic.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
