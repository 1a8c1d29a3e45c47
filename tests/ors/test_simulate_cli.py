"""`openors simulate`: a scenario in virtual time, with a trace of everything that happened."""

import json
import subprocess
import sys

from openors.platform.topology import default_topology_path

SCENARIOS = default_topology_path().parent / "scenarios"


def _simulate(tmp_path, *args):
    trace = tmp_path / "trace.jsonl"
    proc = subprocess.run([sys.executable, "-m", "openors.cli.main", "simulate", *args, "--trace", str(trace)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, [json.loads(line) for line in trace.read_text().splitlines()]


def test_simulate_runs_the_sample_site_and_traces_every_kind_of_record(tmp_path):
    out, records = _simulate(tmp_path, "--scenario", str(SCENARIOS / "multimedia.yaml"))
    kinds = {r["kind"] for r in records}
    assert {"platform", "session.start", "event", "action", "state", "log", "session.end"} <= kinds
    assert "sessions_started: 3" in out
    # Every action is recorded with its evaluated attributes and the request id it got.
    action = next(r for r in records if r["kind"] == "action")
    assert action["requestid"] and "interactionid" in action["attributes"]
    # Time only moves forward in the trace.
    times = [r["t"] for r in records]
    assert times == sorted(times)


def test_simulate_takes_an_application_from_the_command_line(tmp_path):
    strategy = tmp_path / "terminate.scxml"
    strategy.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:ixn="www.genesyslab.com/modules/interaction"'
        ' version="1.0" profile="ecmascript" initial="w"><state id="w"><transition event="interaction.present"'
        ' target="t"/></state><state id="t"><onentry><ixn:terminate interactionid="_event.data.interactionid"/>'
        '</onentry><transition event="interaction.terminate.done" target="end"/></state><final id="end"/></scxml>')
    out, records = _simulate(tmp_path, "--scenario", str(SCENARIOS / "inbound-calls.yaml"),
                             "--app", f"main-inbound={strategy}", "--until", "60")
    assert "final_states: {'end': 1}" in out
    ended = [r["event"] for r in records if r["kind"] == "platform" and r["event"]["kind"] == "interaction.ended"]
    assert ended and ended[0]["callstate"] == 19  # cleared by the strategy


def test_simulate_ends_a_strategy_whose_error_handler_reenters_the_failing_block(tmp_path):
    # What Composer applications do by accident: a catch-all handler goes back to the block that fails
    # again at the same virtual instant. The simulation must finish, and the other calls be served.
    strategy = tmp_path / "reenter.scxml"
    strategy.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="app">'
        '<state id="app" initial="wait"><state id="wait"><transition event="interaction.present" target="block"/>'
        '</state><state id="block"><onentry><script>missing.field = 1;</script></onentry></state>'
        '<transition event="error" target="block"/></state></scxml>')
    proc = subprocess.run([sys.executable, "-m", "openors.cli.main", "simulate", "--scenario",
                           str(SCENARIOS / "inbound-calls.yaml"), "--app", f"main-inbound={strategy}",
                           "--until", "120"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "broke its" in proc.stderr and "is ended" in proc.stderr
