"""Three `openors serve` processes on one Redis. Node A is killed with -9 while its sessions wait
on delayed sends; once A's heartbeat expires, the live nodes B and C take its sessions over (each
session exactly one of them) and finish them as A would have. Requests for a session of another
node are redirected (307) to it, or answered 503 while its dead owner's sessions wait for takeover."""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from openors.server.config import ConfigError, load_config
from tests.redis_server import RedisServer

from .serving import CHARTS, ProcessServer, client, wait_for

WAITER = (CHARTS / "waiter.scxml").as_uri()
NOPERSIST = (CHARTS / "nopersist.scxml").as_uri()
BEAT = 0.3  # heartbeat period: a node is dead 0.9 s after its last beat


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


_started: list[ProcessServer] = []


@pytest.fixture(autouse=True)
def no_node_outlives_its_test():
    yield
    while _started:  # a failed test must not leave servers running
        server = _started.pop()
        if server.process is not None and server.process.poll() is None:
            server.kill()


def node_config(tmp_path, redis_url: str, node: str, **runtime) -> ProcessServer:
    store = {"type": "redis", "url": redis_url, "node": node, "heartbeat_s": BEAT}
    lines = ["listen: {host: 127.0.0.1, port: 0}", f"store: {json.dumps(store)}", "logging: {level: INFO}"]
    if runtime:
        lines.append(f"runtime: {json.dumps(runtime)}")
    path = tmp_path / f"{node}.yaml"
    path.write_text("\n".join(lines) + "\n")
    server = ProcessServer(path, tmp_path / f"{node}.log")
    _started.append(server)
    return server


def sessions_on(url: str) -> set[str]:
    with client(url) as http:
        return {s["sessionid"] for s in http.get("/ors/sessions").json()["sessions"]}


def test_live_nodes_take_over_a_killed_nodes_sessions(tmp_path, redis_server):
    # B evicts idle sessions: what it takes over is adopted lazily and woken by its timers
    a, b, c = (node_config(tmp_path, redis_server.url, "A"),
               node_config(tmp_path, redis_server.url, "B", idle_eviction_s=1),
               node_config(tmp_path, redis_server.url, "C", idle_eviction_s=None))
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(ProcessServer.start, (a, b, c)))
    expected: dict[str, str] = {}
    with client(a.url) as http:
        for i, delay in enumerate([1500, 2000, 2500, 3000, 3500, 4000]):
            sid = http.post("/scxml/session/start", data={"src": WAITER, "who": f"caller{i}",
                                                            "delay_ms": str(delay)}).json()["sessionid"]
            assert sid.startswith("A-")  # ORS's sessionid-with-nodeid
            for _ in range(i % 3):  # acknowledged events survive the takeover
                assert http.post(f"/scxml/session/{sid}/event/bump").status_code == 200
            expected[sid] = f"caller{i}:{i % 3}"
        volatile = http.post("/scxml/session/start", data={"src": NOPERSIST, "delay_ms": "60000"}).json()["sessionid"]
        later = http.post("/scxml/session/start", data={"src": WAITER, "who": "later", "delay_ms": "10",
                                                         "idealtime": str(int(time.time() * 1000) + 2500)})
        expected[later.json()["sessionid"]] = "later:0"  # a scheduled start, started by the taker
    some = next(iter(expected))

    with client(b.url) as http:  # a session of a live node: redirected there, same path and query
        answer = http.get(f"/scxml/session/{some}/query?x=1")
        assert answer.status_code == 307 and answer.json()["node"] == "A"
        assert answer.headers["location"] == f"{a.url}/scxml/session/{some}/query?x=1"
        assert http.post(f"/scxml/session/{volatile}/event/bump").status_code == 307  # id names its node
        assert http.get("/scxml/session/Z-0123/query").status_code == 404

    a.kill()
    killed = time.monotonic()
    taken = wait_for(lambda: (on_b := sessions_on(b.url), on_c := sessions_on(c.url))
                     and set(expected) <= on_b | on_c and (on_b, on_c), timeout=8)
    on_b, on_c = taken
    assert not (on_b & on_c)  # never both
    assert time.monotonic() - killed < BEAT * 3 + 3

    with client(b.url) as http:  # through B's API: C's sessions are one redirect away
        http.follow_redirects = True
        for sid, outcome in expected.items():
            data = wait_for(lambda sid=sid: (q := http.get(f"/scxml/session/{sid}/query").json())
                            .get("configuration") == ["main", "finished"] and q["data"], timeout=8)
            assert data["outcome"] == outcome
            assert data["fired_at"] >= data["due_at"] - 5  # never early
        assert http.get(f"/scxml/session/{volatile}/query").status_code == 404  # died with A
        for sid in expected:
            assert http.post(f"/scxml/session/{sid}/event/close").status_code == 200
        wait_for(lambda: not (sessions_on(b.url) | sessions_on(c.url)))
    assert b.terminate() == 0 and c.terminate() == 0
    assert "took over the sessions of a dead node" in (b.log_path.read_text() + c.log_path.read_text())


def test_a_request_for_a_dead_nodes_session_takes_it_over_at_once(tmp_path, redis_server):
    dead = node_config(tmp_path, redis_server.url, "dead")
    lazy = node_config(tmp_path, redis_server.url, "lazy")  # its own periodic pass comes too late
    lazy.config_path.write_text(lazy.config_path.read_text().replace(f'"heartbeat_s": {BEAT}', '"heartbeat_s": 30'))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(ProcessServer.start, (dead, lazy)))
    with client(dead.url) as http:
        sid = http.post("/scxml/session/start", data={"src": WAITER, "who": "y", "delay_ms": "60000"}).json()["sessionid"]
        assert http.post(f"/scxml/session/{sid}/event/bump").status_code == 200
    dead.kill()
    time.sleep(BEAT * 3 + 0.2)
    with client(lazy.url) as http:
        answer = http.post(f"/scxml/session/{sid}/event/bump")  # taken over now: try again here
        assert answer.status_code == 307 and answer.headers["location"].startswith(lazy.url)
        assert answer.json()["node"] == "lazy"
        assert http.post(answer.headers["location"]).status_code == 200
        assert http.get(f"/scxml/session/{sid}/query").json()["data"]["n"] == 2
    assert lazy.terminate() == 0


def test_a_restarted_node_recovers_its_own_sessions(tmp_path, redis_server):
    a = node_config(tmp_path, redis_server.url, "solo").start()
    with client(a.url) as http:
        sid = http.post("/scxml/session/start", data={"src": WAITER, "who": "x", "delay_ms": "800"}).json()["sessionid"]
    a.kill()
    a.start()  # waits for its previous heartbeat to expire before taking the node id again
    with client(a.url) as http:
        data = wait_for(lambda: http.get(f"/scxml/session/{sid}/query").json()["data"]["outcome"], timeout=8)
        assert data == "x:0"
    assert '"recovered": 1' in a.log_path.read_text()
    assert a.terminate() == 0


@pytest.mark.parametrize("store, words", [
    ("{type: redis, url: 'redis://h:1/0'}", ["store.node", "required"]),
    ("{type: redis, node: 'a b'}", ["store.node"]),
    ("{type: redis, node: A, url: 'http://h'}", ["store.url"]),
    ("{type: redis, node: A, heartbeat_s: 0}", ["store.heartbeat_s"]),
    ("{type: redis, node: A, heartbeat_s: soon}", ["store.heartbeat_s"]),
    ("{type: redis, node: A, advertise_url: 'h:1'}", ["store.advertise_url"]),
    ("{type: sqlite, node: A}", ["store.node", "redis only"]),
    ("{type: redis, node: A, prefix: 'a*'}", ["store.prefix"]),
])
def test_redis_store_config_errors_name_the_field(tmp_path, store, words):
    path = tmp_path / "c.yaml"
    path.write_text(f"store: {store}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    for word in words:
        assert word in str(info.value)


def test_redis_store_config(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("store: {type: redis, url: 'redis://10.0.0.9:6380/2', node: east-1, heartbeat_s: 0.5}\n")
    config = load_config(path)
    assert (config.store_type, config.store_url, config.store_node) == ("redis", "redis://10.0.0.9:6380/2", "east-1")
    assert config.store_heartbeat == 0.5 and config.runtime.session_id_prefix == "east-1-"


def test_serve_exits_1_naming_the_url_when_redis_is_unreachable(tmp_path):
    server = node_config(tmp_path, "redis://127.0.0.1:1/0", "A")
    with pytest.raises(RuntimeError):
        server.start(timeout=10)
    assert server.process.wait(5) == 1
    assert "store.url redis://127.0.0.1:1/0" in server.log_path.read_text()


def test_requests_for_a_session_being_taken_over_are_redirected_or_told_to_wait_never_404(tmp_path, redis_server):
    gone = node_config(tmp_path, redis_server.url, "gone")
    heir = node_config(tmp_path, redis_server.url, "heir", idle_eviction_s=None)  # restores each one it adopts
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(ProcessServer.start, (gone, heir)))

    def start(i: int) -> str:
        with client(gone.url) as http:  # large snapshots: the takeover takes a while to read them
            return http.post("/scxml/session/start", data={"src": WAITER, "who": f"{i}:" + "x" * 20000,
                                                            "delay_ms": "600000"}).json()["sessionid"]

    with ThreadPoolExecutor(4) as pool:
        sids = list(pool.map(start, range(160)))
    gone.kill()

    answers: list[tuple[int, str, str]] = []  # (status, error, Retry-After)
    deadline = time.monotonic() + 20

    def ask(part: list[str]) -> None:
        with client(heir.url) as http:
            waiting = list(part)
            while waiting and time.monotonic() < deadline:
                sid = waiting.pop(0)
                answer = http.get(f"/scxml/session/{sid}/query")
                if answer.status_code == 307 and answer.headers["location"].startswith(heir.url):
                    answer = http.get(answer.headers["location"])  # taken over by the heir itself
                error = answer.json().get("error", "") if answer.status_code != 200 else ""
                answers.append((answer.status_code, error, answer.headers.get("retry-after", "")))
                if answer.status_code != 200:
                    waiting.append(sid)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(ask, [sids[i::4] for i in range(4)]))
    statuses = {status for status, _, _ in answers}
    assert 404 not in statuses, [a for a in answers if a[0] == 404][:3]
    assert statuses <= {200, 307, 503}
    assert all(error == "SessionMoving" and retry for status, error, retry in answers if status == 503)
    assert sum(1 for status, _, _ in answers if status == 200) == len(sids)  # every one answered in the end
    assert heir.terminate() == 0


def test_a_node_that_stalled_while_its_sessions_were_taken_over_does_not_acknowledge_their_events(
        tmp_path, redis_server):
    sleeper = node_config(tmp_path, redis_server.url, "sleeper", idle_eviction_s=None)
    taker = node_config(tmp_path, redis_server.url, "taker", idle_eviction_s=None)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(ProcessServer.start, (sleeper, taker)))
    with client(sleeper.url) as http:
        sid = http.post("/scxml/session/start", data={"src": WAITER, "delay_ms": "600000"}).json()["sessionid"]
    sleeper.process.send_signal(signal.SIGSTOP)  # stalled past its heartbeat: its sessions move
    try:
        wait_for(lambda: sid in sessions_on(taker.url), timeout=10)
    finally:
        sleeper.process.send_signal(signal.SIGCONT)
    with client(sleeper.url) as http:  # still holds its old copy, but may not write it any more
        answer = http.post(f"/scxml/session/{sid}/event/bump")
        assert answer.status_code == 503
        assert answer.json()["error"] == "PersistenceFailed" and answer.json()["reason"] == "owner"
    with client(taker.url) as http:
        assert http.post(f"/scxml/session/{sid}/event/bump").status_code == 200
        assert http.get(f"/scxml/session/{sid}/query").json()["data"]["n"] == 1
    assert taker.terminate() == 0
