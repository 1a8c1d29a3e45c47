"""SqliteStore: a real file in WAL mode, batches in one transaction."""

from __future__ import annotations

import sqlite3

import pytest

from openors.runtime import SqliteStore, StoredSession


def row(sid: str, text: str = "{}") -> StoredSession:
    return StoredSession(sid, f"file:///{sid}.scxml", 1.0, text)


def test_batches_save_update_delete_and_list(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    store.write_batch([row("a"), row("b"), row("c")], [])
    store.write_batch([row("a", '{"v":2}')], ["b", "never-stored"])
    assert store.load("a").snapshot == '{"v":2}' and store.load("b") is None
    assert sorted(r.id for r in store.load_all()) == ["a", "c"]
    assert sorted((i, d) for i, d, _ in store.list()) == [("a", "file:///a.scxml"), ("c", "file:///c.scxml")]
    store.delete("c")
    store.close()
    reopened = SqliteStore(tmp_path / "s.db")
    assert [r.id for r in reopened.load_all()] == ["a"]
    reopened.close()


def test_the_file_is_in_wal_mode_with_one_sessions_table(tmp_path):
    SqliteStore(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [c[1] for c in db.execute("PRAGMA table_info(sessions)")]
    assert columns == ["id", "document", "updated_at", "snapshot"]


def test_a_failing_batch_leaves_nothing_behind(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    store.save(row("keep"))
    with pytest.raises(sqlite3.Error):
        store.write_batch([row("new"), StoredSession("bad", None, 1.0, None)], ["keep"])
    assert [r.id for r in store.load_all()] == ["keep"]
    store.close()


@pytest.mark.parametrize("size", [1, 63, 64, 65, 200, 513])
def test_a_batch_of_any_size_saves_and_deletes_exactly_its_rows(tmp_path, size):
    store = SqliteStore(tmp_path / "s.db")
    store.write_batch([row(f"s{i}") for i in range(size)], [])
    # every other row updated, the rest deleted, plus ids never stored, in one batch
    store.write_batch([row(f"s{i}", f'{{"v":{i}}}') for i in range(0, size, 2)],
                      [f"s{i}" for i in range(1, size, 2)] + ["never-stored"])
    kept = {r.id: r.snapshot for r in store.load_all()}
    assert kept == {f"s{i}": f'{{"v":{i}}}' for i in range(0, size, 2)}
    store.close()


def test_the_log_reaches_the_database_file_on_the_stores_own_thread_not_in_a_commit(tmp_path):
    import time

    store = SqliteStore(tmp_path / "s.db")
    text = "x" * 1400
    for batch in range(100):  # about 3 MB of log: below where a commit would checkpoint by itself
        store.write_batch([row(f"s{batch}-{i}", text) for i in range(20)], [])
    deadline = time.monotonic() + 10
    while (tmp_path / "s.db").stat().st_size < 2_000_000:
        assert time.monotonic() < deadline, "the log was never moved into the database file"
        time.sleep(0.05)
    store.close()
    assert sum(1 for _ in SqliteStore(tmp_path / "s.db").load_all()) == 2000


def test_the_stores_own_thread_starts_the_log_over_once_it_is_all_in_the_database(tmp_path):
    # Starting the log over syncs its header: the store's thread does that write itself, so a
    # batch committed on the event loop appends to a log already started over
    import sqlite3
    import time

    store = SqliteStore(tmp_path / "s.db")
    for batch in range(20):
        store.write_batch([row(f"s{batch}-{i}", "x" * 1400) for i in range(20)], [])
    probe = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    deadline = time.monotonic() + 10
    while True:
        marked = probe.execute("SELECT count(*) FROM wal_restarts").fetchone()[0]
        _, pages, _ = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if marked and pages <= 4:  # the restart row's own pages (and their checkpoint), not 200+
            break
        assert time.monotonic() < deadline, f"the log was not started over ({pages} pages in it)"
        time.sleep(0.05)
    probe.close()
    store.write_batch_now([row("after", "{}")], [])
    assert store.load("after") is not None
    store.close()
