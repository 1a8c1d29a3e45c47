"""Three ORS nodes on one Redis and one platform: new calls are spread over the nodes, and when
one node is killed under traffic its calls complete on the others (zero calls lost), its sessions
split between the two survivors."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.redis_server import RedisServer

from .services import (
    AgentWatch,
    PlatformProcess,
    abandoned,
    interactions,
    live_sessions,
    node_config,
    place_calls,
    platform_events,
    reached_an_agent,
    start_node,
    views_match_platform,
    wait_for,
)

BEAT = 0.3  # Redis heartbeat of the nodes: a dead node's sessions are taken over within ~1.5 s


@pytest.fixture
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


def owners(platform_url: str) -> dict[str, int]:
    from .services import client

    with client(platform_url) as http:
        return {n["node"]: n["owns"] for n in http.get("/ors/platform/nodes").json()["nodes"]}


def stored_sessions(redis_url: str, node: str) -> int:
    """How many sessions the Redis store says `node` owns (written there, so others can take them)."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        return int(client.scard(f"openors:owned:{node}"))


def connected(platform_url: str) -> set[str]:
    from .services import client

    with client(platform_url) as http:
        return {n["node"] for n in http.get("/ors/platform/nodes").json()["nodes"] if n["connected"]}


def test_killing_one_of_three_nodes_under_traffic_loses_no_call(tmp_path, redis_server, platform):
    configs = {name: node_config(tmp_path, name, platform.url, store={
        "type": "redis", "url": redis_server.url, "node": name, "heartbeat_s": BEAT}) for name in "ABC"}
    with ThreadPoolExecutor(3) as pool:
        nodes = dict(zip(configs, pool.map(start_node, configs.values())))
    try:
        # A node serving HTTP may not have its platform link yet: calls go to linked nodes only.
        wait_for(lambda: connected(platform.url) >= set("ABC"), timeout=15)
        with AgentWatch(platform) as agents:
            calls = place_calls(platform.url, 12)
            spread = wait_for(lambda: (o := owners(platform.url)) and sum(o.values()) >= 12 and o, timeout=10)
            assert all(spread.get(n, 0) >= 3 for n in "ABC"), f"new calls go to every node: {spread}"
            wait_for(lambda: len(live_sessions(nodes["B"].url)) >= 2, timeout=10)
            # Only what B's store holds can be taken over: a session killed before its first
            # snapshot is written is gone with B, and its call waits for the platform's grace.
            wait_for(lambda: stored_sessions(redis_server.url, "B") >= 2, timeout=10)
            nodes["B"].kill()
            calls += place_calls(platform.url, 6, first=100)  # traffic goes on while B's sessions move
            time.sleep(BEAT * 3)
            calls += place_calls(platform.url, 6, first=200)
            survivors = [nodes["A"].url, nodes["C"].url]
            wait_for(lambda: views_match_platform(survivors, platform.url), timeout=20)
            wait_for(lambda: not interactions(platform.url), timeout=90, interval=0.3)
            wait_for(lambda: not any(live_sessions(url) for url in survivors), timeout=20)
        events = platform_events(platform.url)
        assert set(calls) <= reached_an_agent(events), "every call is answered by an agent"
        assert not abandoned(events) & set(calls)
        assert max(agents.most.values()) == 1, f"an agent had two calls at once: {dict(agents.most)}"
        taken = {n: taken_over(tmp_path / n / "server.log") for n in "AC"}
        assert sum(taken.values()) >= 1, "B's sessions are taken over"
        if sum(taken.values()) >= 2:  # B's calls may have ended but one by the time it was found dead
            assert all(taken.values()), f"both survivors take a share of B's sessions: {taken}"
    finally:
        for node in nodes.values():
            if node.process.poll() is None:
                node.terminate()


def taken_over(log: Path) -> int:
    """Sessions of dead nodes this node's log says it took over."""
    lines = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return sum(int(r.get("count", 0)) for r in lines if r.get("message") == "took over the sessions of a dead node")


def test_the_calls_of_a_node_that_never_comes_back_are_offered_to_a_live_node(tmp_path):
    # memory stores: A's sessions die with it, nobody claims its calls; after the grace B gets them
    platform = PlatformProcess(tmp_path / "platform.log", grace=2).start()
    nodes = {name: start_node(node_config(tmp_path, name, platform.url, store={"type": "memory"}))
             for name in "AB"}
    try:
        calls = place_calls(platform.url, 14)

        def a_holds_waiting_calls() -> bool:
            return sum(i["node"] == "A" and i["state"] == "treating"
                       for i in interactions(platform.url).values()) >= 3

        wait_for(a_holds_waiting_calls, timeout=15)
        nodes["A"].kill()
        wait_for(lambda: not interactions(platform.url), timeout=90, interval=0.3)
        events = platform_events(platform.url)
        assert set(calls) <= reached_an_agent(events), "every call is answered by an agent"
        assert not abandoned(events) & set(calls)
        assert "offering again an interaction of a node that did not claim it" in (tmp_path / "platform.log").read_text()
    finally:
        if nodes["B"].process.poll() is None:
            nodes["B"].terminate()
        platform.stop()
