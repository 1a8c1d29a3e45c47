"""`openors test` run as a user runs it: a real subprocess on real test files."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import openors
from tests.cli.strategies import QUEUE_TIMEOUT, SCRIPT_ERROR, TEST_FILE, TOPOLOGY

SAMPLES = Path(openors.__file__).parent / "samples"


def openors_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "openors.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def write_site(tmp_path, strategy: str, expect: str, name: str = "the call") -> Path:
    (tmp_path / "site.yaml").write_text(TOPOLOGY)
    (tmp_path / "strategy.scxml").write_text(strategy)
    test = tmp_path / "site.test.yaml"
    test.write_text(TEST_FILE.format(name=name, expect=expect))
    return test


def test_every_bundled_strategy_has_a_test_file_and_they_pass_in_parallel_with_junit(tmp_path):
    strategies = sorted(p.stem for p in (SAMPLES / "strategies").glob("*.scxml"))
    assert strategies
    for name in strategies:
        assert (SAMPLES / "tests" / f"{name}.test.yaml").is_file(), name
    junit = tmp_path / "junit.xml"
    proc = openors_cli("test", str(SAMPLES / "tests"), "--jobs", "2", "--junit", str(junit))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    root = ET.parse(junit).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == int(root.get("tests")) >= len(strategies)
    assert root.get("failures") == "0" and root.get("errors") == "0"
    assert {Path(s.get("name")).name for s in root.findall("testsuite")} == {f"{n}.test.yaml" for n in strategies}
    assert proc.stdout.strip().splitlines()[-1] == f"{len(cases)} passed, 0 failed"


def test_a_failed_expectation_shows_what_was_expected_what_happened_and_the_trace(tmp_path):
    main = (SAMPLES / "strategies" / "main-inbound.scxml").read_text()
    test = write_site(tmp_path, main, '      interactions:\n        - {call: "+15550001", routed_to: {agent: bob}}\n'
                      '      aggregate: {answered: 1, max_wait: {at_most: 0.5}}', name="bob answers")
    junit = tmp_path / "junit.xml"
    proc = openors_cli("test", str(test), "--junit", str(junit))
    assert proc.returncode == 1
    out = proc.stdout
    assert "FAIL  " in out and "::bob answers" in out
    assert "call +15550001: routed_to" in out
    assert "expected: agent bob" in out and "actual:   alice at 1.05 s" in out
    assert "aggregate: max_wait" in out and "expected: at most 0.5 s" in out
    assert "timeline: 1.0 arrived 5100 → strategy strategy → queue" in out
    assert "trace:" in out and "log routed: to alice" in out
    failure = ET.parse(junit).getroot().find(".//testcase/failure")
    assert failure is not None and "routed_to" in failure.get("message")
    assert "0 passed, 1 failed" in out


def test_a_strategy_with_a_script_error_fails_its_test_with_file_and_line(tmp_path):
    test = write_site(tmp_path, SCRIPT_ERROR, '      interactions:\n        - {call: "+15550001", final_state: done}')
    proc = openors_cli("test", str(test))
    assert proc.returncode == 1, proc.stdout
    assert "strict: evaluation" in proc.stdout
    assert "strategy.scxml:5: error.script." in proc.stdout and "customer" in proc.stdout
    # The same test judged on its expectations only passes: the strategy did reach `done`.
    assert openors_cli("test", str(test), "--no-strict").returncode == 0


def test_an_unhandled_error_event_fails_but_a_handled_queue_timeout_does_not(tmp_path):
    handled = QUEUE_TIMEOUT.replace("{handler}", '<transition event="error.queue.submit" target="timedout"/>')
    test = write_site(tmp_path, handled, '      interactions:\n        - {call: "+15550001", not_routed: true, '
                      'final_state: timedout, events: [interaction.added, error.queue.submit]}')
    proc = openors_cli("test", str(test))
    assert proc.returncode == 0, proc.stdout + proc.stderr

    unhandled = QUEUE_TIMEOUT.replace("{handler}", "")
    (tmp_path / "strategy.scxml").write_text(unhandled)
    proc = openors_cli("test", str(test))
    assert proc.returncode == 1
    assert "no_unhandled_errors" in proc.stdout and "error.queue.submit enabled no transition" in proc.stdout
    assert "strict: unhandled" in proc.stdout


def test_a_test_file_that_breaks_the_schema_is_refused_with_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.test.yaml"
    bad.write_text("tests:\n  - name: one\n    expect:\n      interactions:\n        - call: '+1'\n"
                   "          routed_too: {agent: bob}\n")
    proc = openors_cli("test", str(bad))
    assert proc.returncode == 2
    assert f"{bad}:5: tests[0].expect.interactions[0]: Additional properties are not allowed ('routed_too'" \
        in proc.stderr
    assert "Traceback" not in proc.stderr


def test_coverage_lists_the_states_entered_and_transitions_taken_of_each_document(tmp_path):
    out = tmp_path / "coverage"
    proc = openors_cli("test", str(SAMPLES / "tests" / "main-inbound.test.yaml"), "--coverage", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "coverage.json").read_text())
    [name] = [n for n in data["files"] if n.endswith("main-inbound.scxml")]
    states = data["files"][name]["states"]
    assert states["routed"]["count"] >= 2 and states["failed"]["count"] == 1
    transitions = data["files"][name]["transitions"].values()
    redirect_error = [t for t in transitions if t["event"] == "error.interaction.redirect"]
    assert redirect_error and redirect_error[0]["count"] == 0 and redirect_error[0]["line"] > 0
    assert data["totals"][name]["states_entered"] == data["totals"][name]["states"]
    assert "main-inbound.scxml" in (out / "index.html").read_text()
