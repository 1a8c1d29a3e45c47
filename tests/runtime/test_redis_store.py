"""RedisStore on a real redis-server: CRUD, batches in one MULTI/EXEC, fenced writes, node ids,
and takeover of a dead node's sessions by exactly one live node."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from openors.runtime import StoredSession
from openors.runtime.redis_store import NodeIdInUse, RedisStore, node_of
from tests.redis_server import RedisServer

BEAT = 0.1  # heartbeat period: a node is dead 0.3 s after its last beat


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def make_store(redis_server):
    prefix = f"t{uuid.uuid4().hex[:8]}"  # each test its own key space on the shared server
    stores: list[RedisStore] = []

    def make(node: str) -> RedisStore:
        store = RedisStore(redis_server.url, node, heartbeat_s=BEAT, prefix=prefix)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def row(sid: str, text: str = "{}", updated: float = 1.0) -> StoredSession:
    return StoredSession(sid, f"file:///{sid}.scxml", updated, text)


def test_batches_save_update_delete_load_and_list(make_store):
    store = make_store("A")
    store.claim_node_id()
    store.write_batch([row("a", updated=3.0), row("b"), row("c", updated=2.0)], [])
    store.write_batch([row("a", '{"v":2}', updated=3.5)], ["b", "never-stored"])
    assert store.load("a") == StoredSession("a", "file:///a.scxml", 3.5, '{"v":2}')
    assert store.load("b") is None
    assert [r.id for r in store.load_all()] == ["c", "a"]  # oldest first, like SqliteStore
    assert sorted((i, d) for i, d, _ in store.list()) == [("a", "file:///a.scxml"), ("c", "file:///c.scxml")]
    store.save(StoredSession("nodoc", None, 1.0, "{}"))
    assert store.load("nodoc").document is None
    store.delete("c")
    assert sorted(r.id for r in store.load_all()) == ["a", "nodoc"]


def test_a_batch_is_one_transaction_in_one_round_trip(make_store, redis_server):
    store = make_store("A")
    admin = redis.Redis.from_url(redis_server.url)
    admin.config_resetstat()
    store.write_batch([row(f"s{i}") for i in range(300)], [f"s{i}" for i in range(290, 300)])
    stats = admin.info("commandstats")
    assert stats["cmdstat_multi"]["calls"] == 1 and stats["cmdstat_exec"]["calls"] == 1
    assert stats["cmdstat_evalsha"]["calls"] == 310
    assert len(store.list()) == 290
    admin.close()


def test_writes_are_fenced_by_the_owner(make_store):
    a, b = make_store("A"), make_store("B")
    a.save(row("mine", '{"by":"A"}'))
    b.write_batch([row("mine", '{"by":"B"}')], [])
    b.delete("mine")
    assert a.load("mine").snapshot == '{"by":"A"}' and b.refused == 2
    a.delete("mine")
    assert a.load("mine") is None and a.refused == 0


def test_a_node_id_belongs_to_one_live_process(make_store):
    first, second = make_store("A"), make_store("A")
    first.claim_node_id()
    with pytest.raises(NodeIdInUse, match="'A'"):
        second.claim_node_id(wait_s=0.2)
    assert first.heartbeat() == 1
    time.sleep(BEAT * 3 + 0.1)  # the first process stops beating (as if killed)
    second.claim_node_id(wait_s=0)
    assert first.heartbeat() == -1  # it notices that the id is taken


def test_recovery_takes_own_sessions_and_those_of_dead_nodes_only(make_store):
    a, b, c = make_store("A"), make_store("B"), make_store("C")
    for store in (a, b, c):
        store.claim_node_id()
    a.write_batch([row("a1"), row("a2")], [])
    b.write_batch([row("b1")], [])
    c.write_batch([row("c1")], [])
    time.sleep(BEAT * 3 + 0.1)  # all heartbeats expire; then B and C come back
    b.heartbeat()
    c.heartbeat()
    on_b = {r.id for r in b.load_all()}  # B and C are alive: each takes its share of A's two
    on_c = {r.id for r in c.load_all()}
    assert "b1" in on_b and "c1" in on_c and not on_b & on_c
    assert on_b | on_c == {"a1", "a2", "b1", "c1"}
    assert len(on_b - {"b1"}) == len(on_c - {"c1"}) == 1
    b, c = (b, c) if "a1" in on_b else (c, b)  # below, b is the one that took a1
    assert a.load("a1") is not None
    a.save(row("a1", '{"late":true}'))  # the presumed-dead node cannot write what it lost
    assert a.refused == 1 and b.load("a1").snapshot == "{}"
    b.save(row("a1", '{"by":"B"}'))
    assert b.refused == 0 and b.load("a1").snapshot == '{"by":"B"}'


def test_two_nodes_never_take_the_same_session(make_store):
    dead = make_store("A")
    dead.claim_node_id()
    ids = [f"A-{i:032x}" for i in range(400)]
    dead.write_batch([row(sid) for sid in ids], [])
    takers = [make_store(node) for node in ("B", "C", "D")]
    for taker in takers:
        taker.claim_node_id()
    time.sleep(BEAT * 3 + 0.1)
    results: dict[str, list[str]] = {t.node: [] for t in takers}
    start = threading.Barrier(len(takers))

    def race(taker: RedisStore) -> None:
        taker.heartbeat()
        start.wait()
        for _ in range(5):
            results[taker.node] += [r.id for r in taker.take_over_dead()]

    threads = [threading.Thread(target=race, args=(t,)) for t in takers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    everything = [sid for taken in results.values() for sid in taken]
    assert sorted(everything) == sorted(ids)  # each session taken once, none lost
    for taker in takers:  # the owner field agrees with the owned sets
        for sid in results[taker.node]:
            assert taker.owner(sid).node == taker.node
    assert "A" not in {n.decode() for n in takers[0].redis.hkeys(f"{takers[0].prefix}:nodes")}


def test_owner_names_the_node_and_whether_it_lives(make_store):
    a, b = make_store("A"), make_store("B")
    a.url = "http://127.0.0.1:1111"
    a.claim_node_id()
    a.save(row("stored"))
    assert b.owner("stored") == (owner := b.owner("stored")) and (owner.node, owner.alive) == ("A", True)
    assert owner.url == "http://127.0.0.1:1111"
    volatile = "A-" + uuid.uuid4().hex  # not persisted: its id still names its node
    assert b.owner(volatile).node == "A" and node_of(volatile) == "A"
    assert b.owner("Z-" + uuid.uuid4().hex) is None and b.owner("plain") is None
    time.sleep(BEAT * 3 + 0.1)
    assert b.owner("stored").alive is False


def test_a_dead_nodes_sessions_are_spread_over_the_live_nodes(make_store):
    dead = make_store("A")
    dead.claim_node_id()
    ids = [f"A-{i:032x}" for i in range(30)]
    dead.write_batch([row(sid) for sid in ids], [])
    takers = [make_store(node) for node in ("B", "C", "D")]
    for taker in takers:
        taker.claim_node_id()
    time.sleep(BEAT * 3 + 0.1)
    for taker in takers:
        taker.heartbeat()
    first = takers[0].take_over_dead()  # the first node to notice takes its share, not all of it
    assert len(first) == 10
    rest = [[r.id for r in taker.take_over_dead()] for taker in takers[1:]]
    assert [len(taken) for taken in rest] == [10, 10]
    assert sorted([r.id for r in first] + rest[0] + rest[1]) == sorted(ids)
    assert "A" not in {n.decode() for n in takers[0].redis.hkeys(f"{takers[0].prefix}:nodes")}


def test_a_node_that_took_its_share_leaves_the_rest_to_the_others_then_takes_what_is_left(make_store):
    dead = make_store("A")
    dead.claim_node_id()
    ids = [f"A-{i:032x}" for i in range(10)]
    dead.write_batch([row(sid) for sid in ids], [])
    quick, slow = make_store("B"), make_store("C")
    for taker in (quick, slow):
        taker.claim_node_id()
    time.sleep(BEAT * 3 + 0.1)
    for taker in (quick, slow):
        taker.heartbeat()
    assert len(quick.take_over_dead()) == 5
    assert quick.take_over_dead() == []  # looking again at once: C's turn first
    # C never looks (it stalls): once its turn has passed, B takes what is left
    time.sleep(quick.share_wait_ms / 1000 + 0.05)
    quick.heartbeat()
    assert len(quick.take_over_dead()) == 5
