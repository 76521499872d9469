"""Structured logs: one JSON object per line, with the request id of the request being
served. Nothing here logs request bodies, paths or user ids: routes are logged as their
templates (`/v1/users/{user_id}/recommendations`)."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
FIELDS = ("route", "method", "status", "ms")  # extras a log call may attach


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
            "pid": record.process,  # which worker, with --workers
        }
        entry.update({f: getattr(record, f) for f in FIELDS if hasattr(record, f)})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the type only: messages can hold input
        return json.dumps(entry)


def configure_json_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
