"""Moves the SQLite write-ahead log into the database file on a thread of its own.

SQLite checkpoints on whichever commit makes the log pass 1000 pages: that commit then copies
about 4 MB into the database file and syncs it, 10-20 ms here, and every durable ack waiting on it
waits that much longer (it set the p99 of /event). The writer connection leaves that to this
thread instead: every `CHECK_S` it runs a PASSIVE checkpoint on its own connection, which never
blocks the writer (the writer goes on appending while it copies) and costs nothing when the log
has nothing new. The writer keeps an automatic checkpoint at `FALLBACK_PAGES`, far
above, so the log stays bounded even if this thread falls behind.

Once a checkpoint has moved the whole log, the next write starts the log over from its beginning,
and SQLite syncs the log's new header then: a few milliseconds when the disk is busy, and on the
event loop's thread if the next write is a batch of snapshots (every request in flight waited
for it: the p99 of /event). So this thread makes that write itself, right after such a
checkpoint: one row of its own (`RESTART_TABLE`). The loop's commits then append to a log
already started over; if one of them needs the lock meanwhile, it goes to the store's writer
thread instead of waiting on the loop (see SqliteStore.write_batch_now)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

log = logging.getLogger("openors.runtime.checkpointer")

RESTART_TABLE = "wal_restarts"  # the one row this thread writes to start the log over
CHECK_S = 0.2  # how often the log is moved into the database (a busy server logs MBs a second)
FALLBACK_PAGES = 4000  # the writer checkpoints by itself past this (16 MB of log; little left to copy by then)


class WalCheckpointer:
    def __init__(self, connect):
        self._connect = connect  # () -> a new connection to the database
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openors-sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = self._connect()
        try:
            while not self._stop.wait(CHECK_S):
                try:
                    busy, pages, moved = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if not busy and pages > 0 and moved == pages:  # all of it: the next write restarts it
                        conn.execute(f"INSERT OR REPLACE INTO {RESTART_TABLE} (id, at) VALUES (1, ?)",
                                     (time.time(),))
                except sqlite3.Error as exc:  # the writer's fallback keeps the log bounded meanwhile
                    log.warning("WAL checkpoint failed: %s", exc)
        finally:
            conn.close()

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
