"""A session's flow log is one story from its start to its end, also when the session leaves
memory (evicted, or the runtime stopped) and comes back: on a real loop and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from openors.runtime import Runtime, RuntimeSettings, SqliteStore
from tests.runtime.looping import run

CHART = (Path(__file__).parent / "charts" / "pingpong.scxml").as_uri()


def story(rt: Runtime, sid: str) -> list[tuple[int, str, str | None]]:
    found = rt.flowlogs.entries(sid)
    assert found is not None
    return [(e["n"], e["kind"], e.get("name")) for e in found[1]]


def test_an_evicted_session_brought_back_by_an_event_keeps_its_flow_log_from_its_start(tmp_path):
    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session(CHART)
        await rt.send_event(sid, "tick")
        before = story(rt, sid)
        assert rt.evict_idle(0.0) == 1
        await rt.flowlogs.flush()  # written to the store: read back from there
        await rt.send_event(sid, "tick")
        after = story(rt, sid)
        assert after[:len(before)] == before and before[0][1] == "start"
        assert [kind for _, kind, _ in after[len(before):]] == ["event", "transition", "macrostep"]
        assert [n for n, _, _ in after] == list(range(1, len(after) + 1))
        assert rt.flowlogs.search("session", sid)[0]["entries"] == len(after)
        await rt.stop()

    run(main())


def test_a_session_that_outlives_a_restart_of_the_runtime_keeps_its_flow_log(tmp_path):
    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session(CHART)
        await rt.send_event(sid, "tick")
        before = story(rt, sid)
        await rt.stop()
        again = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        assert await again.recover() == 1
        await again.send_event(sid, "tick")
        after = story(again, sid)
        assert after[:len(before)] == before
        assert [kind for _, kind, _ in after[len(before):]] == ["event", "transition", "macrostep"]
        await again.stop()

    run(main())


def test_restoring_a_session_and_its_invoked_child_records_no_second_start(tmp_path):
    parent = (Path(__file__).parents[1] / "server" / "charts" / "parent.scxml").as_uri()

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session(parent)
        before = story(rt, sid)
        assert [kind for _, kind, _ in before].count("start") == 2  # the session's and its child's
        await rt.stop()
        again = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        assert await again.recover() == 1
        assert story(again, sid) == before
        await again.send_event(sid, "hello")
        assert story(again, sid)[len(before):] == [(len(before) + 1, "event", "hello"),
                                                    (len(before) + 2, "macrostep", None)]
        await again.stop()

    run(main())
