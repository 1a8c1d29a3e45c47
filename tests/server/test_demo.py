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
        out = first + proc.communicate(timeout=30)[0]
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "arrives (voice)" in out
    assert "starts strategy 'main-inbound'" in out
    assert re.search(r"log routed: to (alice|bob)", out)
    assert re.search(r"agent (alice|bob) answers", out)
