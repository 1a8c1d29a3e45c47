"""Every flow log store keeps, finds and prunes the same way: memory, SQLite, Redis."""

from __future__ import annotations

import pytest

from openors.runtime.flowlog_store import (
    FlowLogSummary,
    MemoryFlowLogStore,
    RedisFlowLogStore,
    SqliteFlowLogStore,
    StoredFlowLog,
)
from tests.redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryFlowLogStore()
    elif request.param == "sqlite":
        s = SqliteFlowLogStore(tmp_path / "store.db")
        yield s
        s.close()
    else:
        import redis

        server = request.getfixturevalue("redis_server")
        client = redis.Redis.from_url(server.url)
        client.flushdb()
        yield RedisFlowLogStore(client, prefix="t")
        client.close()


def log(sid: str, ended: float | None, **fields) -> StoredFlowLog:
    return StoredFlowLog(FlowLogSummary(sid, "file:///a.scxml", ended or 1.0, ended, **fields),
                         f'[{{"n": 1, "kind": "start", "sid": "{sid}"}}]')


def test_saved_logs_are_loaded_and_found_by_interaction_ani_and_dnis(store):
    store.save([log("s1", 10.0, interaction="i1", ani="+1", dnis="5000"),
                log("s2", 20.0, interaction="i2", ani="+2", dnis="5000"), log("s3", None, ani="+1")])
    assert store.load("s1").summary.interaction == "i1" and '"sid": "s1"' in store.load("s1").entries
    assert store.load("nosuch") is None
    assert [s.session for s in store.search("dnis", "5000", 10)] == ["s2", "s1"]
    assert {s.session for s in store.search("ani", "+1", 10)} == {"s1", "s3"}
    assert [s.session for s in store.search("interaction", "i2", 10)] == ["s2"]
    assert [s.session for s in store.search("session", "s3", 10)] == ["s3"]
    assert len(store.search(None, None, 2)) == 2


def test_retention_drops_old_logs_then_the_oldest_beyond_the_count_but_never_live_ones(store):
    store.save([log(f"s{i}", float(i), dnis="5000") for i in range(1, 7)] + [log("alive", None)])
    assert store.prune(ended_before=3.0, keep=10) == 2  # s1, s2
    assert store.prune(ended_before=0.0, keep=2) == 2  # s3, s4
    assert sorted(s.session for s in store.search(None, None, 50)) == ["alive", "s5", "s6"]
    assert [s.session for s in store.search("dnis", "5000", 50)] == ["s6", "s5"]
