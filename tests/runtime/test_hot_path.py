"""What the server's hot path changed in how sessions are kept: snapshots without the document's
text, restores that notice a changed document, ended sessions freed although live ones are kept
out of the garbage collector's way. A real loop, a real SQLite file."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import weakref
from pathlib import Path

from openors.runtime import Runtime, RuntimeSettings, SqliteStore
from openors.runtime.collector import CollectorPacer
from tests.runtime.looping import run

PINGPONG = (Path(__file__).parent / "charts" / "pingpong.scxml").read_text()


def stored_snapshot(path: Path, sid: str) -> dict:
    store = SqliteStore(path)
    try:
        return json.loads(store.load(sid).snapshot)
    finally:
        store.close()


def test_a_snapshot_keeps_the_hash_of_a_reloadable_document_not_its_text(tmp_path):
    chart = tmp_path / "pingpong.scxml"
    chart.write_text(PINGPONG)

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session(chart.as_uri())
        await rt.send_event(sid, "tick")
        await rt.stop()
        return sid

    sid = run(main())
    snap = stored_snapshot(tmp_path / "s.db", sid)
    assert snap["document_text"] is None
    assert snap["document_sha256"] == hashlib.sha256(PINGPONG.encode()).hexdigest()
    assert snap["interpreter"]["datamodel"]["variables"]["ticks"] == 1


def test_a_session_restored_on_a_changed_document_goes_on_with_it_and_the_change_is_logged(tmp_path, caplog):
    chart = tmp_path / "pingpong.scxml"
    chart.write_text(PINGPONG)

    async def first_run():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session(chart.as_uri())
        await rt.send_event(sid, "tick")
        await rt.stop()
        return sid

    async def second_run(sid):
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        await rt.recover()
        await rt.send_event(sid, "tick")
        await asyncio.sleep(0.05)
        ticks = rt.query(sid)["data"]["ticks"]
        await rt.stop()
        return ticks

    sid = run(first_run())
    chart.write_text(PINGPONG.replace('<data id="ticks" expr="0"/>', '<data id="ticks" expr="0"/><data id="more"/>'))
    with caplog.at_level(logging.WARNING, logger="openors.runtime"):
        assert run(second_run(sid)) == 2
    changed = [r for r in caplog.records if "document that changed" in r.getMessage()]
    assert len(changed) == 1 and changed[0].session_id == sid


def test_an_unchanged_document_restores_without_a_warning(tmp_path, caplog):
    chart = tmp_path / "pingpong.scxml"
    chart.write_text(PINGPONG)

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        await rt.start_session(chart.as_uri())
        await rt.stop()
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        assert await rt.recover() == 1
        await rt.stop()

    with caplog.at_level(logging.WARNING, logger="openors.runtime"):
        run(main())
    assert not [r for r in caplog.records if "document that changed" in r.getMessage()]


def test_ended_sessions_are_freed_although_live_ones_are_frozen_out_of_the_collector(tmp_path):
    chart = tmp_path / "pingpong.scxml"
    chart.write_text(PINGPONG)

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        pacer = rt.collector = CollectorPacer(lambda: len(rt.host.sessions), freeze_after=5, sweep_after=5)
        try:
            sids = [await rt.start_session(chart.as_uri()) for _ in range(6)]
            sessions = [weakref.ref(rt.host.sessions[sid]) for sid in sids]
            pacer.pace()  # 6 started: frozen
            assert gc.get_freeze_count() > 0
            for sid in sids:
                await rt.terminate(sid)
            gc.collect()  # a collection of its own cannot reach frozen objects
            pacer.pace()  # 6 ended: everything unfrozen, collected, frozen again
            assert [ref() for ref in sessions] == [None] * 6
        finally:
            await rt.stop()
        assert gc.get_freeze_count() == 0  # stopped: nothing stays frozen

    run(main())


def test_a_change_nobody_waits_for_is_committed_in_about_a_commits_time_not_the_flush_interval(tmp_path):
    chart = tmp_path / "pingpong.scxml"
    chart.write_text(PINGPONG)

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(
            idle_eviction=None, durable_acks=False, flush_interval=30.0)).start()
        try:
            sid = await rt.start_session(chart.as_uri())
            for ticks in (1, 2):
                await rt.send_event(sid, "tick")
                deadline = asyncio.get_running_loop().time() + 5.0  # far below the 30 s interval
                while True:
                    row = await asyncio.to_thread(rt.store.load, sid)
                    if row is not None and json.loads(row.snapshot)["interpreter"]["datamodel"][
                            "variables"]["ticks"] == ticks:
                        break
                    assert asyncio.get_running_loop().time() < deadline, "not committed in time"
                    await asyncio.sleep(0.01)
        finally:
            await rt.stop()

    run(main())


class _Cycle:
    def __init__(self):
        self.me = self


def test_what_events_leave_behind_is_frozen_and_frozen_cycles_are_collected_at_the_timed_sweep(monkeypatch):
    from openors.runtime import collector

    monkeypatch.setattr(collector, "FREEZE_EVERY_S", 0.0)
    pacer = CollectorPacer(lambda: 1000)  # no session started or ended: only time and allocations
    try:
        kept = [[i] for i in range(5000)]  # survivors, as queued events and traces are
        gc.collect(0)
        pacer.pace()
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept)

        cycle = _Cycle()
        gc.collect(1)  # old enough to be out of the young generations ...
        garbage = weakref.ref(cycle)
        del cycle  # ... when nobody holds it any more: frozen with the rest at the next freeze
        [[i] for i in range(5000)]
        gc.collect(0)
        pacer.pace()
        gc.collect()
        assert garbage() is not None  # a collection of its own cannot reach frozen objects

        monkeypatch.setattr(collector, "SWEEP_EVERY_S", 0.0)
        [[i] for i in range(5000)]
        gc.collect(0)
        pacer.pace()  # the timed sweep: unfrozen, collected, frozen again
        assert garbage() is None
    finally:
        gc.unfreeze()


def test_small_batches_on_the_loop_and_large_ones_on_the_writer_thread_are_both_committed(tmp_path):
    chart = tmp_path / "pingpong.scxml"
    chart.write_text(PINGPONG)

    async def main():
        store = SqliteStore(tmp_path / "s.db")
        rt = await Runtime(store, RuntimeSettings(idle_eviction=None)).start()
        written = []  # (on the loop?, rows)
        on_thread, on_loop = store.write_batch, store.write_batch_now

        def recorder(write, inline):
            def recorded(saves, deletes):
                saves = list(saves)
                written.append((inline, len(saves)))
                return write(saves, deletes)
            return recorded

        store.write_batch, store.write_batch_now = recorder(on_thread, False), recorder(on_loop, True)
        try:
            sids = [await rt.start_session(chart.as_uri()) for _ in range(3 * store.inline_rows)]
            written.clear()
            # queued together, so they share a batch: the writer thread takes it
            await asyncio.gather(*(rt.send_event(sid, "tick") for sid in sids))
            assert any(not inline and rows > store.inline_rows for inline, rows in written), written
            await asyncio.sleep(0.1)  # events still queued (committed as such) when it was taken run, then are written
            written.clear()
            await rt.send_event(sids[0], "tick")  # alone (with what else changed meanwhile): on the loop
            assert written and all(inline and rows <= store.inline_rows for inline, rows in written), written
        finally:
            await rt.stop()
        reopened = SqliteStore(tmp_path / "s.db")
        try:
            ticks = {r.id: json.loads(r.snapshot)["interpreter"]["datamodel"]["variables"]["ticks"]
                     for r in reopened.load_all()}
        finally:
            reopened.close()
        assert ticks == {sid: 2 if sid == sids[0] else 1 for sid in sids}

    run(main())


def test_a_database_locked_by_another_process_delays_the_ack_but_never_stalls_the_loop(tmp_path):
    import sqlite3

    chart = tmp_path / "pingpong.scxml"
    chart.write_text(PINGPONG)

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)  # as another process would
        try:
            sid = await rt.start_session(chart.as_uri())
            other.execute("BEGIN IMMEDIATE")  # holds the write lock
            ack = asyncio.ensure_future(rt.send_event(sid, "tick"))
            turns = 0
            loop = asyncio.get_running_loop()
            held_until = loop.time() + 0.5
            while loop.time() < held_until:
                await asyncio.sleep(0.01)
                turns += 1
            assert not ack.done()  # not committed: not acknowledged
            assert turns >= 10  # the loop went on meanwhile (the write waits on the writer thread)
            other.execute("ROLLBACK")
            await asyncio.wait_for(ack, 10)
        finally:
            other.close()
            await rt.stop()
        store = SqliteStore(tmp_path / "s.db")
        try:
            assert json.loads(store.load(sid).snapshot)["interpreter"]["datamodel"]["variables"]["ticks"] == 1
        finally:
            store.close()

    run(main())
