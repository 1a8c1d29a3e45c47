"""The runtime on a real loop, a real clock and a real SQLite file: backpressure, eviction and
restore, recovery, the dispatcher at rest."""

from __future__ import annotations

import asyncio
import json
import resource
from pathlib import Path

import pytest

from openors.runtime import (
    Overloaded,
    PersistenceFailed,
    Runtime,
    RuntimeSettings,
    SessionQueueFull,
    SqliteStore,
    UnknownSession,
)
from tests.runtime.looping import run, until

CHART = (Path(__file__).parent / "charts" / "pingpong.scxml").as_uri()


def data(runtime: Runtime, sid: str) -> dict:
    return runtime.query(sid)["data"]


def test_a_full_session_queue_refuses_events(tmp_path):
    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(
            max_queue_per_session=3, durable_acks=False, idle_eviction=None)).start()
        sid = await rt.start_session(CHART)
        for _ in range(3):  # no await in between: the dispatcher gets no turn
            await rt.send_event(sid, "tick")
        with pytest.raises(SessionQueueFull) as info:
            await rt.send_event(sid, "tick")
        assert info.value.status == 429 and sid in info.value.message
        await until(lambda: data(rt, sid)["ticks"] == 3)
        await rt.send_event(sid, "tick")  # room again once the queue drained
        await rt.stop()

    run(main())


def test_the_global_cap_refuses_events_for_every_session(tmp_path):
    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(
            max_inflight_events=4, durable_acks=False, idle_eviction=None)).start()
        a, b = await rt.start_session(CHART), await rt.start_session(CHART)
        for sid in (a, b, a, b):
            await rt.send_event(sid, "tick")
        with pytest.raises(Overloaded):
            await rt.send_event(a, "tick")
        assert rt.metrics.events_rejected.labels("server_overloaded")._value.get() == 1
        await until(lambda: rt.counts["queued_events"] == 0)
        await rt.send_event(a, "tick")
        await rt.stop()

    run(main())


def test_evicted_sessions_come_back_on_timers_events_and_sends_from_other_sessions(tmp_path):
    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        timer = await rt.start_session(CHART)
        target = await rt.start_session(CHART)
        sender = await rt.start_session(CHART)
        await rt.send_event(timer, "arm", {"delay": "300ms"})
        await asyncio.sleep(0.05)
        assert rt.evict_idle(0) == 3
        assert rt.counts == {"live": 0, "evicted": 3, "scheduled": 0, "quarantined": 0,
                             "queued_events": 0}
        await until(lambda: rt.counts["live"] == 1)  # the timer restored its session
        await until(lambda: data(rt, timer)["ticks"] == 1)
        await rt.send_event(sender, "poke", {"peer": target})  # restores sender, which restores target
        await until(lambda: data(rt, target)["pongs"] == 1)
        assert rt.counts["evicted"] == 0
        await rt.stop()

    run(main())


def test_recover_restores_every_stored_session_and_rearms_its_timers(tmp_path):
    async def first():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sids = [await rt.start_session(CHART) for _ in range(3)]
        await rt.send_event(sids[0], "arm", {"delay": "400ms"})
        await rt.send_event(sids[1], "tick")
        await rt.terminate(sids[2])
        await rt.stop()  # graceful: everything committed
        return sids

    sids = run(first())
    stored = {row.id: json.loads(row.snapshot) for row in SqliteStore(tmp_path / "s.db").load_all()}
    assert set(stored) == set(sids[:2]) and stored[sids[0]]["pending_sends"]

    async def second():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        assert await rt.recover() == 2
        assert data(rt, sids[1])["ticks"] == 1
        await until(lambda: data(rt, sids[0])["ticks"] == 1)
        with pytest.raises(UnknownSession):
            rt.query(sids[2])
        await rt.send_event(sids[0], "quit")
        await until(lambda: sids[0] not in [r[0] for r in rt.store.list()])
        await rt.stop()

    run(second())


def test_the_dispatcher_sleeps_while_nothing_happens(tmp_path):
    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        for _ in range(20):
            sid = await rt.start_session(CHART)
            await rt.send_event(sid, "arm", {"delay": "60s"})
        before = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.sleep(1.0)
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        assert cpu < 0.2, f"{cpu:.3f} s of CPU in 1 s of idling"
        await rt.stop()

    run(main())


class CappedSqliteStore(SqliteStore):
    """A real SQLite file that may hold `pages` pages: past them SQLite itself says SQLITE_FULL
    ("database or disk is full"), as on a full disk."""

    def cap(self, pages: int) -> None:
        with self._write_lock:
            self._writer.execute(f"PRAGMA max_page_count={pages}")

    def pages(self) -> int:
        with self._write_lock:
            return self._writer.execute("PRAGMA page_count").fetchone()[0]


def test_a_full_store_refuses_starts_with_its_reason_and_a_retry_makes_no_duplicate(tmp_path):
    async def main():
        store = CappedSqliteStore(tmp_path / "s.db")
        rt = await Runtime(store, RuntimeSettings(idle_eviction=None)).start()
        await rt.start_session(CHART)
        store.cap(store.pages() + 2)
        acknowledged = set()
        with pytest.raises(PersistenceFailed) as info:
            for _ in range(500):  # each start adds a row: the cap is reached long before
                acknowledged.add(await rt.start_session(CHART))
        assert info.value.status == 503 and info.value.details["reason"] == "store"
        assert "database or disk is full" in info.value.message
        assert rt.metrics.persistence_failures.labels("store")._value.get() >= 1
        live = {s["sessionid"] for s in rt.list_sessions()}
        store.cap(1_000_000)  # space again: the writer's retries now succeed
        await asyncio.sleep(0.3)
        retried = await rt.start_session(CHART)
        stored = {sid for sid, _, _ in store.list()}
        assert stored == live | {retried} and acknowledged <= stored
        assert len(stored) == len(acknowledged) + 2  # the first session, the retry: no lost start came back
        await rt.stop()

    run(main())


def test_metrics_count_events_and_entered_states_and_time_each_state(tmp_path):
    from prometheus_client import generate_latest

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        try:
            sids = [await rt.start_session(CHART) for _ in range(2)]
            for sid in sids:
                await rt.send_event(sid, "tick")
            await rt.send_event(sids[0], "quit")  # leaves "idle" for the final state
            await until(lambda: rt.counts["live"] == 1)
            return generate_latest(rt.metrics.registry).decode()
        finally:
            await rt.stop()

    lines = dict(line.rsplit(" ", 1) for line in run(main()).splitlines() if not line.startswith("#"))
    assert float(lines["ors_scxml_events_total"]) == 3
    assert float(lines["ors_state_rate_total"]) == 3  # "idle" twice, "end" once
    assert float(lines['ors_scxml_event_queuing_time_seconds_bucket{le="+Inf"}']) == 3
    assert float(lines["ors_scxml_event_queuing_time_seconds_count"]) == 3
    assert float(lines['ors_state_time_seconds_count{state="idle"}']) == 1


def test_events_taken_at_once_by_idle_sessions_are_counted_and_an_ending_one_leaves_nothing_behind(tmp_path):
    # after a few light macrosteps a session is trusted: an event for it, idle, runs in the request
    # itself instead of waiting for the dispatcher; it must count, persist and end like any other
    from prometheus_client import generate_latest

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        try:
            sid = await rt.start_session(CHART)
            for _ in range(6):
                await rt.send_event(sid, "tick")
            assert data(rt, sid)["ticks"] == 6
            stored = json.loads(rt.store.load(sid).snapshot)  # acknowledged, so committed
            assert stored["interpreter"]["datamodel"]["variables"]["ticks"] == 6
            await rt.send_event(sid, "quit")
            assert rt.store.load(sid) is None  # its end was committed before the answer
            assert sid not in rt.evictor.last_active and rt.counts["live"] == 0
            return generate_latest(rt.metrics.registry).decode()
        finally:
            await rt.stop()

    lines = dict(line.rsplit(" ", 1) for line in run(main()).splitlines() if not line.startswith("#"))
    assert float(lines["ors_scxml_events_total"]) == 7
    assert float(lines["ors_scxml_event_queuing_time_seconds_count"]) == 7
