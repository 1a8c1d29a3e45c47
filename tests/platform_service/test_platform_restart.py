"""The platform is killed and started again (a simulator: its calls are gone). The node's sessions
learn it (`interaction.deleted`) and end; none hangs. Then the node serves the new platform's calls."""

from __future__ import annotations

from .services import (
    PlatformProcess,
    interactions,
    live_sessions,
    node_config,
    place_calls,
    platform_events,
    reached_an_agent,
    start_node,
    wait_for,
)


def test_sessions_end_cleanly_when_the_platform_restarts(tmp_path):
    platform = PlatformProcess(tmp_path / "platform.log").start()
    node = start_node(node_config(tmp_path, "A", platform.url))
    try:
        place_calls(platform.url, 10)
        wait_for(lambda: len(live_sessions(node.url)) == 10, timeout=15)
        platform.kill()
        platform.start()  # same address, new process: none of the calls exists any more
        wait_for(lambda: not live_sessions(node.url), timeout=20)
        log = (tmp_path / "A" / "server.log").read_text()
        assert "the platform restarted: its interactions are gone" in log

        fresh = place_calls(platform.url, 3, first=50)  # the new platform's calls are routed as usual
        wait_for(lambda: set(fresh) <= reached_an_agent(platform_events(platform.url)), timeout=20)
        wait_for(lambda: not interactions(platform.url), timeout=30, interval=0.2)
    finally:
        node.terminate()
        platform.stop()
