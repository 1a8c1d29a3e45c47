"""Real processes for the tests of `openors platform`: the platform, ORS nodes, and what the tests
read from them (calls, agents, sessions' views)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

from tests.server.serving import ProcessServer, client, wait_for

SITE = Path(__file__).parent / "site"
TOPOLOGY = SITE / "topology.yaml"
ROUTER = (SITE / "router.scxml").as_uri()
TRACE_SIZE = 1000  # platform events kept, as many as /ors/platform/events gives


class PlatformProcess:
    """`openors platform` as a child process (kill -9 and restart)."""

    def __init__(self, log_path: Path, *, grace: float = 15.0, heartbeat: float = 0.5, port: int = 0):
        self.log_path = log_path
        self.grace = grace
        self.heartbeat = heartbeat
        self.port = port
        self.process: subprocess.Popen | None = None
        self.url: str | None = None

    def start(self, timeout: float = 20.0) -> PlatformProcess:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open by the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", "openors.cli.main", "platform", "--topology", str(TOPOLOGY), "--port",
             str(self.port), "--grace", str(self.grace), "--heartbeat", str(self.heartbeat),
             "--trace-size", str(TRACE_SIZE)], stdout=log, stderr=log, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            for line in self.log_path.read_bytes()[offset:].decode(errors="replace").splitlines():
                if line.startswith("{") and '"listening"' in line:
                    self.url = json.loads(line)["url"]
                    self.port = int(self.url.rsplit(":", 1)[1])  # a restart keeps the address
                    return self
            time.sleep(0.05)
        raise RuntimeError("the platform did not start:\n" + self.log_path.read_text(errors="replace")[-3000:])

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def node_config(tmp_path: Path, name: str, platform_url: str, *, store: dict | None = None,
                platform: dict | None = None) -> Path:
    """A node serving the site's strategy, on a remote platform."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    section = {"url": platform_url, "node": name, "heartbeat_s": 0.5, "reconnect_max_s": 0.5,
               "request_timeout_s": 8, **(platform or {})}
    lines = ["listen: {host: 127.0.0.1, port: 0}",
             "store: " + json.dumps(store or {"type": "sqlite", "path": "store.db"}),
             "applications:", f"  router: {ROUTER}", "logging: {level: INFO}",
             "runtime: {idle_eviction_s: null}", "platform: " + json.dumps(section)]
    path = folder / "openors.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_node(config: Path) -> ProcessServer:
    return ProcessServer(config, config.parent / "server.log").start()


def place_calls(platform_url: str, count: int, first: int = 0) -> list[str]:
    ids = []
    with client(platform_url) as http:
        for i in range(first, first + count):
            answer = http.post("/ors/platform/calls", data={"from": f"+1555{i:07d}", "to": "5000"})
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["interactionid"])
    return ids


def interactions(platform_url: str) -> dict[str, dict]:
    with client(platform_url) as http:
        return {i["interactionid"]: i for i in http.get("/ors/platform/interactions").json()["interactions"]}


def platform_events(platform_url: str) -> list[dict]:
    with client(platform_url) as http:
        return [e["event"] for e in http.get("/ors/platform/events", params={"limit": TRACE_SIZE}).json()["events"]
                if e.get("kind") == "platform"]


def reached_an_agent(events: list[dict]) -> set[str]:
    """Calls an agent answered at some point."""
    return {e["interaction_id"] for e in events if e.get("kind") in ("party.added", "party.changed")
            and e.get("agent_id") and e.get("party_state") == "established"}


def abandoned(events: list[dict]) -> set[str]:
    return {e["interaction_id"] for e in events if e.get("kind") == "interaction.ended" and e.get("callstate") == 21}


def live_sessions(node_url: str) -> list[str]:
    with client(node_url) as http:
        return [s["sessionid"] for s in http.get("/ors/sessions").json()["sessions"] if s["status"] == "running"]


def session_view(node_url: str, session_id: str) -> dict | None:
    """What the session's `_genesys.ixn` shows of its call (its strategy answers "view")."""
    with client(node_url) as http:
        answer = http.post(f"/scxml/session/{session_id}/request/view")
    if answer.status_code != 200:
        return None
    view = answer.json().get("view")
    return json.loads(view) if isinstance(view, str) else None


def views_match_platform(node_urls: list[str], platform_url: str) -> bool:
    """Every live session's view of its call shows the platform's state and parties."""
    platform = interactions(platform_url)
    for url in node_urls:
        for sid in live_sessions(url):
            view = session_view(url, sid)
            if view is None:
                continue  # not associated yet, or ended meanwhile
            actual = platform.get(view["g_uid"])
            if actual is None:
                return False  # the session holds a call the platform no longer has
            if view["state"] != actual["state"] or \
                    sorted(p["partyid"] for p in view["parties"]) != sorted(p["partyid"] for p in actual["parties"]):
                return False
    return True


class AgentWatch:
    """Samples the agents while a test runs: the most interactions each agent had at once."""

    def __init__(self, platform: PlatformProcess, period: float = 0.1):
        self.platform = platform
        self.period = period
        self.most: dict[str, int] = defaultdict(int)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=2.0, trust_env=False) as http:
            while not self._stop.wait(self.period):
                try:
                    agents = http.get(f"{self.platform.url}/ors/platform/agents").json()["agents"]
                except (httpx.HTTPError, ValueError):
                    continue  # the platform is being restarted
                for agent in agents:
                    self.most[agent["id"]] = max(self.most[agent["id"]], len(agent["interactions"]))

    def __enter__(self) -> AgentWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


__all__ = ["AgentWatch", "PlatformProcess", "ProcessServer", "client", "wait_for"]
