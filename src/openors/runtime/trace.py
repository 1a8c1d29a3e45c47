"""A bounded, in-memory trace per session for operators: states entered, events processed, logs.

Only the last `size` entries are kept; a trace is not persisted (it restarts after a restore)."""

from __future__ import annotations

import time
from collections import deque
from typing import Any


class Traces:
    def __init__(self, size: int = 200):
        self.size = size
        self._by_session: dict[str, deque] = {}

    def add(self, session_id: str, kind: str, **fields: Any) -> None:
        if self.size <= 0:
            return
        trace = self._by_session.get(session_id)
        if trace is None:
            trace = self._by_session[session_id] = deque(maxlen=self.size)
        fields["t"] = round(time.time(), 6)
        fields["kind"] = kind
        trace.append(fields)

    def get(self, session_id: str) -> list[dict]:
        return list(self._by_session.get(session_id, ()))

    def drop(self, session_id: str) -> None:
        self._by_session.pop(session_id, None)
