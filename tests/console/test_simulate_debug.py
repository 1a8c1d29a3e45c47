"""`openors simulate --debug`: the console over a simulation in virtual time, whose clock waits
while a session is paused at a breakpoint."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx

from tests.server.serving import wait_for

SCENARIO = "src/openors/platform/data/scenarios/inbound-calls.yaml"


def test_simulate_debug_serves_the_console_and_its_clock_waits_for_a_paused_session(tmp_path):
    from tests.console.browser import REPO

    proc = subprocess.Popen([sys.executable, "-m", "openors.cli.main", "simulate", "--scenario", str(REPO / SCENARIO),
                             "--debug", "--pace", "50", "--break", "state:routing", "--debug-linger", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stderr.readline()
        url = re.search(r"debug console: (http://\S+/)", line).group(1)
        with httpx.Client(base_url=url, timeout=5, trust_env=False) as http:
            assert "OpenORS console" in http.get("/").text

            def paused() -> list[dict]:
                return [s for s in http.get("/ors/console/snapshot").json()["sessions"] if s["paused"]]

            first = wait_for(paused, timeout=20)[0]
            assert first["active"] == ["routing"]
            clock = http.get("/ors/console/snapshot").json()["clock"]
            time.sleep(0.5)  # at 50x, half a second would be 25 virtual seconds: the clock must not move
            assert http.get("/ors/console/snapshot").json()["clock"] == clock
            log = http.get(f"/ors/flowlogs/{first['session']}").json()
            assert any(e["kind"] == "action" for e in log["entries"])  # module actions are in the flow log
            assert http.post(f"/ors/sessions/{first['session']}/continue").status_code == 200
            wait_for(lambda: http.get("/ors/console/snapshot").json()["clock"] > clock, timeout=20)
    finally:
        proc.kill()
        proc.wait(10)


def test_simulate_debug_refuses_a_malformed_breakpoint():
    done = subprocess.run([sys.executable, "-m", "openors.cli.main", "simulate", "--debug", "--break", "routing"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "expected state:ID or event:NAME" in done.stderr
