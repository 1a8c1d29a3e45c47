"""Where finished (and evicted) sessions' flow logs are kept: memory, SQLite or Redis, one interface.

A stored flow log is a summary (session id, document, started/ended, final state, interaction,
ANI, DNIS: what operators search by) and its entries as JSON text. Retention is applied by `prune`:
older than a moment, or beyond a number of sessions (the oldest go first).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SEARCH_FIELDS = ("session", "interaction", "ani", "dnis")


@dataclass(slots=True)
class FlowLogSummary:
    session: str
    document: str | None
    started: float
    ended: float | None  # None: the session is alive (evicted or still running)
    final: str | None = None
    interaction: str | None = None
    ani: str | None = None
    dnis: str | None = None
    entries: int = 0
    dropped: int = 0  # entries left out for the per-session bounds

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class StoredFlowLog:
    summary: FlowLogSummary
    entries: str  # JSON array text


class FlowLogStore(ABC):
    @abstractmethod
    def save(self, logs: list[StoredFlowLog]) -> None: ...

    @abstractmethod
    def load(self, session_id: str) -> StoredFlowLog | None: ...

    @abstractmethod
    def search(self, field: str | None, value: str | None, limit: int) -> list[FlowLogSummary]:
        """Newest first; `field` one of SEARCH_FIELDS (None: every log)."""

    @abstractmethod
    def prune(self, ended_before: float, keep: int) -> int:
        """Drop finished logs that ended before `ended_before`, then the oldest beyond `keep`."""

    def close(self) -> None:
        return None


def _matches(summary: FlowLogSummary, field: str | None, value: str | None) -> bool:
    return field is None or getattr(summary, field) == value


class MemoryFlowLogStore(FlowLogStore):
    def __init__(self) -> None:
        self.logs: dict[str, StoredFlowLog] = {}

    def save(self, logs: list[StoredFlowLog]) -> None:
        for log in logs:
            self.logs.pop(log.summary.session, None)  # re-inserted: the newest last
            self.logs[log.summary.session] = log

    def load(self, session_id: str) -> StoredFlowLog | None:
        return self.logs.get(session_id)

    def search(self, field: str | None, value: str | None, limit: int) -> list[FlowLogSummary]:
        found = [log.summary for log in self.logs.values() if _matches(log.summary, field, value)]
        found.sort(key=lambda s: s.ended or s.started, reverse=True)
        return found[:limit]

    def prune(self, ended_before: float, keep: int) -> int:
        finished = sorted((log.summary for log in self.logs.values() if log.summary.ended is not None),
                          key=lambda s: s.ended or 0.0)
        doomed = [s.session for s in finished if (s.ended or 0.0) < ended_before]
        rest = [s.session for s in finished if (s.ended or 0.0) >= ended_before]
        doomed += rest[: max(0, len(rest) - keep)]
        for sid in doomed:
            self.logs.pop(sid, None)
        return len(doomed)


_SQL_SCHEMA = """
CREATE TABLE IF NOT EXISTS flow_logs (
    session TEXT PRIMARY KEY, document TEXT, started REAL NOT NULL, ended REAL, final TEXT,
    interaction TEXT, ani TEXT, dnis TEXT, entry_count INTEGER NOT NULL, dropped INTEGER NOT NULL,
    entries TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS flow_logs_ended ON flow_logs (ended);
CREATE INDEX IF NOT EXISTS flow_logs_interaction ON flow_logs (interaction);
CREATE INDEX IF NOT EXISTS flow_logs_ani ON flow_logs (ani);
CREATE INDEX IF NOT EXISTS flow_logs_dnis ON flow_logs (dnis);
"""
_SQL_COLUMNS = "session, document, started, ended, final, interaction, ani, dnis, entry_count, dropped"


class SqliteFlowLogStore(FlowLogStore):
    """A table beside the sessions' table, in the same file, on a connection of its own."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._conn.executescript(_SQL_SCHEMA)
        self._lock = threading.Lock()

    def save(self, logs: list[StoredFlowLog]) -> None:
        rows = [(s.session, s.document, s.started, s.ended, s.final, s.interaction, s.ani, s.dnis,
                 s.entries, s.dropped, log.entries) for log in logs for s in (log.summary,)]
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(f"INSERT OR REPLACE INTO flow_logs ({_SQL_COLUMNS}, entries) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def load(self, session_id: str) -> StoredFlowLog | None:
        with self._lock:
            row = self._conn.execute(f"SELECT {_SQL_COLUMNS}, entries FROM flow_logs WHERE session = ?",
                                     (session_id,)).fetchone()
        return StoredFlowLog(FlowLogSummary(*row[:-1]), row[-1]) if row else None

    def search(self, field: str | None, value: str | None, limit: int) -> list[FlowLogSummary]:
        where = ""
        args: tuple[str | None, ...] = ()
        if field is not None:
            if field not in SEARCH_FIELDS:
                raise ValueError(f"cannot search flow logs by {field!r}")
            where, args = f"WHERE {field} = ?", (value,)
        with self._lock:
            rows = self._conn.execute(f"SELECT {_SQL_COLUMNS} FROM flow_logs {where} "
                                      "ORDER BY COALESCE(ended, started) DESC LIMIT ?", (*args, limit)).fetchall()
        return [FlowLogSummary(*row) for row in rows]

    def prune(self, ended_before: float, keep: int) -> int:
        with self._lock:
            old = self._conn.execute("DELETE FROM flow_logs WHERE ended IS NOT NULL AND ended < ?",
                                     (ended_before,)).rowcount
            extra = self._conn.execute(
                "DELETE FROM flow_logs WHERE session IN (SELECT session FROM flow_logs WHERE ended IS NOT NULL "
                "ORDER BY ended DESC LIMIT -1 OFFSET ?)", (keep,)).rowcount
        return old + extra

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class RedisFlowLogStore(FlowLogStore):
    """Keys beside the sessions' (`prefix` as the session store's):

        {prefix}:flowlog:{id}            hash    summary (JSON) and entries (JSON)
        {prefix}:flowlogs                zset    id -> ended (or started while alive)
        {prefix}:flowlog-by:{field}:{v}  set     ids with that interaction, ANI or DNIS
    """

    def __init__(self, client: Any, prefix: str = "openors"):
        self.redis = client
        self.prefix = prefix

    def _key(self, sid: str) -> str:
        return f"{self.prefix}:flowlog:{sid}"

    def _index(self, field: str, value: str) -> str:
        return f"{self.prefix}:flowlog-by:{field}:{value}"

    @property
    def _all(self) -> str:
        return f"{self.prefix}:flowlogs"

    def save(self, logs: list[StoredFlowLog]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for log in logs:
            s = log.summary
            pipe.hset(self._key(s.session), mapping={"summary": json.dumps(s.as_dict()), "entries": log.entries})
            pipe.zadd(self._all, {s.session: s.ended or s.started})
            for field in SEARCH_FIELDS[1:]:
                value = getattr(s, field)
                if value:
                    pipe.sadd(self._index(field, value), s.session)
        pipe.execute()

    def _summaries(self, ids: list[str]) -> list[FlowLogSummary]:
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for sid in ids:
            pipe.hget(self._key(sid), "summary")
        return [FlowLogSummary(**json.loads(raw)) for raw in pipe.execute() if raw is not None]

    def load(self, session_id: str) -> StoredFlowLog | None:
        summary, entries = self.redis.hmget(self._key(session_id), ["summary", "entries"])
        if summary is None:
            return None
        text = entries.decode() if isinstance(entries, bytes) else entries
        return StoredFlowLog(FlowLogSummary(**json.loads(summary)), text or "[]")

    def search(self, field: str | None, value: str | None, limit: int) -> list[FlowLogSummary]:
        if field is None:
            ids = [_text(i) for i in self.redis.zrevrange(self._all, 0, limit - 1)]
        elif field == "session":
            ids = [value] if value else []
        elif field in SEARCH_FIELDS:
            ids = [_text(i) for i in self.redis.smembers(self._index(field, value or ""))]
        else:
            raise ValueError(f"cannot search flow logs by {field!r}")
        found = self._summaries(ids)
        found.sort(key=lambda s: s.ended or s.started, reverse=True)
        return found[:limit]

    def prune(self, ended_before: float, keep: int) -> int:
        doomed = [_text(i) for i in self.redis.zrangebyscore(self._all, "-inf", f"({ended_before!r}")]
        total = self.redis.zcard(self._all) - len(doomed)
        if total > keep:
            doomed += [_text(i) for i in self.redis.zrange(self._all, len(doomed), len(doomed) + total - keep - 1)]
        summaries = [s for s in self._summaries(doomed) if s.ended is not None]
        if not summaries:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        for s in summaries:
            pipe.delete(self._key(s.session))
            pipe.zrem(self._all, s.session)
            for field in SEARCH_FIELDS[1:]:
                value = getattr(s, field)
                if value:
                    pipe.srem(self._index(field, value), s.session)
        pipe.execute()
        return len(summaries)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def flow_log_store_for(store: Any) -> FlowLogStore:
    """Flow logs live where the sessions do: the same SQLite file, the same Redis, or memory."""
    from .redis_store import RedisStore
    from .store import SqliteStore

    if isinstance(store, SqliteStore):
        return SqliteFlowLogStore(store.path)
    if isinstance(store, RedisStore):
        return RedisFlowLogStore(store.redis, store.prefix)
    return MemoryFlowLogStore()
