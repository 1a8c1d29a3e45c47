"""`openors demo`, the README's first command: a real server, a simulated contact center in real
time and generated traffic; the live view shows calls arriving, strategies routing, agents answering."""

import re
import subprocess
import sys
import time

import httpx


def test_demo_serves_the_api_routes_calls_and_shows_it_live():
    proc = subprocess.Popen([sys.executable, "-m", "openors.cli.main", "demo", "--port", "0", "--duration", "12",
                             "--pace", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        url = re.search(r"HTTP API at (http://\S+)", first).group(1)
        # The API answers while the demo runs, with the contact center's own endpoints.
        deadline = time.time() + 5
        agents = None
        while time.time() < deadline and agents is None:
            try:
                agents = httpx.get(f"{url}/ors/platform/agents", timeout=2).json()["agents"]
            except httpx.HTTPError:
                time.sleep(0.2)
        assert {a["id"] for a in agents} >= {"alice", "bob"}
        placed = httpx.post(f"{url}/ors/platform/calls", data={"from": "+15550009999", "to": "5000"}, timeout=2)
        assert placed.status_code == 201 and placed.json()["interactionid"]
        # The curl example the demo prints keeps the caller's "+" (a form body would turn it into a space).
        example = re.search(r"curl (.*) (\S+/ors/platform/calls)", first + proc.stdout.readline()
                            + proc.stdout.readline()).group(1)
        assert "--data-urlencode from=+15550001" in example
        # Support calls (5003) reach the support agents; /metrics has the contact center's gauges.
        support = httpx.post(f"{url}/ors/platform/calls", data={"from": "+15550008888", "to": "5003"}, timeout=2)
        assert support.status_code == 201
        metrics = httpx.get(f"{url}/metrics", timeout=2).text
        assert re.search(r'^ors_agents\{state="ready"\} [1-9]', metrics, re.M), metrics
        assert "ors_interactions_waiting" in metrics and "ors_agents_busy" in metrics
        out = first + proc.communicate(timeout=30)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert re.search(r"TMediaVoice \S+ arrives from \+\d+ to 500[0-3]", out)
    assert "starts strategy 'main-inbound'" in out
    assert re.search(r"log routed: to (alice|bob)", out)
    assert re.search(r"agent (alice|bob) answers", out)
    assert "starts strategy 'support-inbound'" in out  # the support line, whose agents are bob, carol, dave
    # When it stops, the demo reports the same KPIs as `openors simulate`.
    assert re.search(r"KPIs over .*\n  offered \d+\s+answered \d+\s+abandoned \d+", out), out[-2000:]
