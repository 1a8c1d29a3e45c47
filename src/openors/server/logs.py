"""Structured logs: one JSON object per line, with the session id whenever one is known.

The session id comes from the record (`extra={"session_id": ...}`) or, failing that, from the
context of the HTTP request being handled (`current_session`)."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time

current_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("openors_session", default=None)

# attributes every LogRecord has; anything else on a record came from `extra=` and is logged
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        session_id = getattr(record, "session_id", None) or current_session.get()
        if session_id:
            out["session_id"] = session_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
