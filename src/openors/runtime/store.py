"""Where session snapshots live between macrosteps and across restarts.

`Store` is the interface the runtime needs; `SqliteStore` is the embedded default (one file, WAL).
Calls are synchronous: the runtime runs writes on one background thread and the rare reads
(restore of an evicted session) inline, which WAL allows without blocking the writer.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .checkpointer import FALLBACK_PAGES, RESTART_TABLE, WalCheckpointer


class StoreDamaged(Exception):
    """The store cannot be used at all (a file that is not a database, or a damaged one): the
    message names the file and what SQLite said, for an operator to act on."""


@dataclass(frozen=True, slots=True)
class StoredSession:
    id: str
    document: str | None
    updated_at: float
    snapshot: str  # JSON text, kept as text so the store never has to understand it


class StoreBusy(Exception):
    """The write would have to wait for something held elsewhere (a lock): nothing was written."""


class Store(ABC):
    # Batches of at most this many rows are written on the caller's thread (the event loop's),
    # with `write_batch_now`, rather than handed to the writer thread: for a store whose small
    # writes take less time than the hand-off itself. 0: always handed over (a network store).
    inline_rows = 0

    @abstractmethod
    def write_batch(self, saves: Iterable[StoredSession], deletes: Iterable[str]) -> list[str] | None:
        """Save and delete in one transaction: either all of it is durable or none. A store that
        fences writes returns the ids it refused (sessions another node owns now)."""

    def write_batch_now(self, saves: Iterable[StoredSession], deletes: Iterable[str]) -> list[str] | None:
        """`write_batch` if it can be done without waiting; StoreBusy (nothing written) if not."""
        raise StoreBusy("this store always writes on the writer thread")

    @abstractmethod
    def load(self, session_id: str) -> StoredSession | None: ...

    @abstractmethod
    def load_all(self) -> Iterator[StoredSession]: ...

    @abstractmethod
    def list(self) -> list[tuple[str, str | None, float]]:
        """(id, document URL, updated_at) of every stored session."""

    def save(self, session: StoredSession) -> None:
        self.write_batch([session], [])

    def delete(self, session_id: str) -> None:
        self.write_batch([], [session_id])

    def close(self) -> None:
        """Release connections; the base class holds none."""
        return None


class MemoryStore(Store):
    """No durability: for `store: {type: memory}` and sessions that must not outlive the process."""

    def __init__(self):
        self._rows: dict[str, StoredSession] = {}
        self._lock = threading.Lock()

    def write_batch(self, saves: Iterable[StoredSession], deletes: Iterable[str]) -> None:
        with self._lock:
            for row in saves:
                self._rows[row.id] = row
            for sid in deletes:
                self._rows.pop(sid, None)

    def load(self, session_id: str) -> StoredSession | None:
        return self._rows.get(session_id)

    def load_all(self) -> Iterator[StoredSession]:
        return iter(list(self._rows.values()))

    def list(self) -> list[tuple[str, str | None, float]]:
        return [(r.id, r.document, r.updated_at) for r in list(self._rows.values())]


_UPSERT = ("INSERT INTO sessions (id, document, updated_at, snapshot) VALUES {} "
           "ON CONFLICT(id) DO UPDATE SET document=excluded.document, "
           "updated_at=excluded.updated_at, snapshot=excluded.snapshot")
_DELETE = "DELETE FROM sessions WHERE id IN ({})"
_MAX_ROWS_PER_STATEMENT = 64  # 4 parameters each: far below SQLite's smallest parameter limit (999)
_BUSY_MS = 30000  # how long the writer thread waits for a lock held elsewhere
_STATEMENTS_CACHED = 256  # one per size up to the maximum, for saves and for deletes


def _chunks(items: list, width: int):
    """(statement size, flat parameters): as many full chunks as needed, then one of the exact
    size left, so a batch up to the maximum is one statement (each size prepared once, cached)."""
    for i in range(0, len(items), _MAX_ROWS_PER_STATEMENT):
        chunk = items[i:i + _MAX_ROWS_PER_STATEMENT]
        yield len(chunk), [value for item in chunk for value in item] if width > 1 else chunk


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    document TEXT,
    updated_at REAL NOT NULL,
    snapshot TEXT NOT NULL
)
"""


class SqliteStore(Store):
    """One SQLite file in WAL mode. The writer connection belongs to the writer thread; reads use
    their own connection so a restore never waits behind a batch being committed.

    A commit without a checkpoint (those run on their own thread) and without a sync (NORMAL in
    WAL mode) is a few writes to the log: for a handful of rows, less time than handing the batch
    to the writer thread and waking the loop again, and no GIL to hand back and forth. Batches
    that fit in one statement (up to 64 rows: about 0.25 ms, what a server with a few dozen
    requests in flight writes) are therefore committed on the loop; the hand-off cost about 14 µs
    of CPU per event at saturation, more than the loop spends on the commit itself."""

    inline_rows = _MAX_ROWS_PER_STATEMENT

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._writer = self._connect()
            self._writer.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a commit survives a process crash (kill -9); only an OS crash or
            # power loss may lose the last transactions.
            self._writer.execute("PRAGMA synchronous=NORMAL")
            # checkpoints run on their own thread (checkpointer.py), not in a commit someone waits for
            self._writer.execute(f"PRAGMA wal_autocheckpoint={FALLBACK_PAGES}")
            self._writer.execute(_SCHEMA)
            self._writer.execute(f"CREATE TABLE IF NOT EXISTS {RESTART_TABLE} (id INTEGER PRIMARY KEY, at REAL)")
            self._writer.commit()
            self._reader = self._connect()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None
        self._checkpointer = WalCheckpointer(self._connect)
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._writer_busy_ms = _BUSY_MS

    def _busy_timeout(self, ms: int) -> None:
        if self._writer_busy_ms != ms:
            self._writer.execute(f"PRAGMA busy_timeout={ms}")
            self._writer_busy_ms = ms

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0,
                               cached_statements=_STATEMENTS_CACHED)
        conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
        return conn

    def write_batch_now(self, saves: Iterable[StoredSession], deletes: Iterable[str]) -> None:
        """On the event loop: never waits for a lock another connection (another process) holds,
        which the writer thread may wait for (up to the busy timeout) without stalling anyone."""
        with self._write_lock:
            self._busy_timeout(0)
            try:
                self._write(saves, deletes)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):  # extended codes too
                    raise StoreBusy(str(exc)) from None
                raise

    def write_batch(self, saves: Iterable[StoredSession], deletes: Iterable[str]) -> None:
        with self._write_lock:
            self._busy_timeout(_BUSY_MS)
            self._write(saves, deletes)

    def _write(self, saves: Iterable[StoredSession], deletes: Iterable[str]) -> None:
        """Many rows per statement: the sqlite3 module releases the GIL around every statement it
        runs and must take it back after, and while the event loop's thread is busy, each time
        back can wait for a switch interval; one statement per row made a batch of 50 take up to
        150 ms under load (`executemany`). A batch of saves that fits in one statement is that
        statement alone, which SQLite commits atomically by itself: no BEGIN, no COMMIT."""
        rows = [(r.id, r.document, r.updated_at, r.snapshot) for r in saves]
        ids = list(deletes)
        if not rows and not ids:
            return
        cur = self._writer.cursor()
        if not ids and len(rows) <= _MAX_ROWS_PER_STATEMENT:
            cur.execute(_UPSERT.format(",".join(["(?, ?, ?, ?)"] * len(rows))),
                        [value for row in rows for value in row])
            return
        cur.execute("BEGIN")
        try:
            for size, values in _chunks(rows, 4):
                cur.execute(_UPSERT.format(",".join(["(?, ?, ?, ?)"] * size)), values)
            for size, values in _chunks(ids, 1):
                cur.execute(_DELETE.format(",".join(["?"] * size)), values)
            cur.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk does): ROLLBACK would then fail
            # and hide the real reason
            if self._writer.in_transaction:
                cur.execute("ROLLBACK")
            raise

    def load(self, session_id: str) -> StoredSession | None:
        with self._read_lock:
            row = self._reader.execute(
                "SELECT id, document, updated_at, snapshot FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return StoredSession(*row) if row else None

    def load_all(self) -> Iterator[StoredSession]:
        try:
            with self._read_lock:
                rows = self._reader.execute(
                    "SELECT id, document, updated_at, snapshot FROM sessions ORDER BY updated_at").fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None
        return (StoredSession(*row) for row in rows)

    def _damaged(self, exc: sqlite3.DatabaseError) -> StoreDamaged:
        # OperationalError: cannot open, locked, ... (its message says enough); others: the file's content
        hint = "" if isinstance(exc, sqlite3.OperationalError) else \
            " (not an OpenORS store, or damaged: move it aside or restore a backup, then start again)"
        return StoreDamaged(f"SQLite store {self.path}: {exc}{hint}")

    def list(self) -> list[tuple[str, str | None, float]]:
        with self._read_lock:
            return [tuple(r) for r in self._reader.execute(
                "SELECT id, document, updated_at FROM sessions ORDER BY updated_at")]

    def close(self) -> None:
        self._checkpointer.close()
        with self._write_lock:
            self._writer.close()
        with self._read_lock:
            self._reader.close()
