"""Quarantine: sessions kept in the store but never run again until an operator decides.

A session lands here when the engine ended it for breaking its budgets (budgets.py), or when it
could not be restored (after a restart, a takeover, or on its way back from eviction). Its row stays
in the store, marked, with the last snapshot taken, so a restart never replays the poison pill and an
operator can still read what the session held. `GET /ors/quarantine` lists them with the reason;
`DELETE /ors/quarantine/{id}` lets one go for good.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from .store import StoredSession
from .writer import SnapshotWriter

log = logging.getLogger("openors.runtime.quarantine")


@dataclass
class QuarantinedSession:
    sessionid: str
    document: str | None
    reason: str  # budget name, "restore" or "internal"
    description: str
    at: float  # epoch seconds
    stored: bool  # False for `_persist="false"` sessions: listed until the process ends, never stored

    def to_dict(self) -> dict:
        return asdict(self)


def quarantine_marker(snapshot: dict) -> dict | None:
    """The quarantine record of a stored snapshot, if the row is one."""
    return snapshot.get("quarantined") if isinstance(snapshot, dict) else None


class Quarantine:
    def __init__(self, writer: SnapshotWriter):
        self.writer = writer
        self.entries: dict[str, QuarantinedSession] = {}

    def __contains__(self, session_id: str) -> bool:
        return session_id in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, session_id: str, document: str | None, reason: str, description: str,
            last_snapshot: Any = None, *, persistent: bool = True) -> QuarantinedSession:
        entry = QuarantinedSession(session_id, document, reason, description, time.time(), persistent)
        self.entries[session_id] = entry
        log.warning("session quarantined: %s", description,
                    extra={"session_id": session_id, "reason": reason, "url": document})
        if persistent:
            record = {k: v for k, v in entry.to_dict().items() if k not in ("sessionid", "stored")}
            text = json.dumps({"quarantined": record, "last_snapshot": last_snapshot},
                              separators=(",", ":"), default=str)
            self.writer.save_row(StoredSession(session_id, document, entry.at, text))
        return entry

    def adopt(self, session_id: str, document: str | None, record: dict) -> None:
        """A quarantined row read back from the store at start-up or in a takeover."""
        self.entries[session_id] = QuarantinedSession(
            session_id, document, str(record.get("reason", "unknown")), str(record.get("description", "")),
            float(record.get("at", time.time())), True)

    def release(self, session_id: str) -> bool:
        """Forget a quarantined session and delete its row. False if it is not quarantined."""
        entry = self.entries.pop(session_id, None)
        if entry is None:
            return False
        if entry.stored:
            self.writer.mark_deleted(session_id)
        return True

    def list(self) -> list[dict]:
        return [e.to_dict() for e in self.entries.values()]
