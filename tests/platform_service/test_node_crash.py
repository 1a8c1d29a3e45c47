"""The contact center outlives its only ORS node: `kill -9` the node while calls are queued, in
treatment and being redirected, restart it on the same SQLite store, and every call still reaches
an agent (or the fallback queue, whose agents answer it), none is left waiting, no agent ever has
two calls, and every session's `_genesys.ixn` view shows what the platform shows."""

from __future__ import annotations

from .services import (
    AgentWatch,
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

CALLS = 14


def test_calls_survive_kill_9_of_the_only_node_and_its_restart_on_the_same_store(tmp_path, platform):
    config = node_config(tmp_path, "A", platform.url)
    node = start_node(config)
    try:
        with AgentWatch(platform) as agents:
            calls = place_calls(platform.url, CALLS)

            def mid_flight() -> bool:  # some calls with agents, others still in the strategy's hands
                states = [i["state"] for i in interactions(platform.url).values()]
                return states.count("treating") >= 4 and sum(s in ("ringing", "routed") for s in states) >= 2

            wait_for(mid_flight, timeout=20)
            node.kill()
            node = start_node(config)  # same node id, same store: its sessions come back and claim
            wait_for(lambda: views_match_platform([node.url], platform.url), timeout=20)
            wait_for(lambda: not interactions(platform.url), timeout=60, interval=0.2)
            wait_for(lambda: not live_sessions(node.url), timeout=20)
        events = platform_events(platform.url)
        assert set(calls) <= reached_an_agent(events), "every call is answered by an agent"
        assert not abandoned(events) & set(calls)
        assert max(agents.most.values()) == 1, f"an agent had two calls at once: {dict(agents.most)}"
    finally:
        node.terminate() if node.process.poll() is None else None
