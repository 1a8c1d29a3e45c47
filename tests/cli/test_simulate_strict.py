"""`openors simulate` as a user runs it: strict runs, readable output, the KPI report."""

import subprocess
import sys
from pathlib import Path

import openors
from tests.cli.strategies import SCRIPT_ERROR, TOPOLOGY

SCENARIO = """until: 60
steps:
  - {at: 1, call: {from: "+15550001", to: "5100", patience: 20}}
"""


def simulate(*args, cwd):
    return subprocess.run([sys.executable, "-m", "openors.cli.main", "simulate", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def site(tmp_path, strategy: str, scenario: str = SCENARIO):
    (tmp_path / "site.yaml").write_text(TOPOLOGY)
    (tmp_path / "strategy.scxml").write_text(strategy)
    (tmp_path / "calls.yaml").write_text(scenario)


def test_a_script_error_fails_a_strict_run_and_is_printed_with_file_and_line(tmp_path):
    site(tmp_path, SCRIPT_ERROR)
    args = ["--topology", "site.yaml", "--scenario", "calls.yaml", "--app", "strategy=strategy.scxml"]
    lenient = simulate(*args, cwd=tmp_path)
    assert lenient.returncode == 0
    assert "warning:" in lenient.stderr and "strategy.scxml:5: error.script." in lenient.stderr
    strict = simulate(*args, "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert "error:" in strict.stderr and "evaluation: " in strict.stderr and "strict: 1 problem(s)" in strict.stderr


def test_strict_refuses_scenario_steps_naming_unknown_dns_or_agents_and_unknown_app_names(tmp_path):
    main = "main-inbound"
    site(tmp_path, SCRIPT_ERROR, SCENARIO + '  - {at: 2, call: {from: "+1", to: "9999"}}\n'
         "  - {at: 3, agent: zoe, do: ready}\n")
    proc = simulate("--topology", "site.yaml", "--scenario", "calls.yaml", "--app", "strategy=strategy.scxml",
                    "--app", f"{main}=strategy.scxml", "--strict", cwd=tmp_path)
    assert proc.returncode == 1
    assert "scenario: calls.yaml: steps[1]: unknown destination '9999'" in proc.stderr
    assert "scenario: calls.yaml: steps[2].agent: unknown agent 'zoe' (the topology has: alice)" in proc.stderr
    assert f"--app {main}: the topology has no application of that name (it has: strategy)" in proc.stderr


def test_configuration_errors_are_one_line_without_a_traceback(tmp_path):
    (tmp_path / "calls.yaml").write_text("steps:\n  - {at: 1, call: {from: '+1'}}\n")
    proc = simulate("--scenario", "calls.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: calls.yaml: steps[0].call") and "Traceback" not in proc.stderr
    missing = simulate("--app", "main-inbound=nowhere.scxml", cwd=tmp_path)
    assert missing.returncode == 2 and "--app main-inbound=nowhere.scxml: no such file" in missing.stderr


def test_without_a_scenario_a_strict_run_fails(tmp_path):
    proc = simulate("--strict", cwd=tmp_path)
    assert proc.returncode == 1 and "no --scenario" in proc.stderr


def test_text_output_timelines_and_kpis_of_a_run(tmp_path):
    main = Path(openors.__file__).parent / "samples" / "strategies" / "main-inbound.scxml"
    site(tmp_path, main.read_text(), SCENARIO + '  - {at: 4, call: {from: "+15550002", to: "5100", patience: 10}}\n')
    proc = simulate("--topology", "site.yaml", "--scenario", "calls.yaml", "--app", "strategy=strategy.scxml",
                    "--format", "text", "--sl-threshold", "5", "--report", "kpis.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "session " in out and "<queue.submit> queue=VQ_Sales" in out and "agent alice answers" in out
    assert "voice +15550001 → 5100: 1.0 arrived 5100 → strategy strategy → queue VQ_Sales → ringing alice" in out
    assert "offered 2  answered 1  abandoned 1" in out
    assert "service level: answered within 5 s" in out and "service level 50 %" in out
    html = (tmp_path / "kpis.html").read_text()
    assert html.count("<svg") == 3 and "Agent states" in html and "VQ_Sales" in html
