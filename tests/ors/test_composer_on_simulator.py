"""Composer IPDs run on a simulated inbound call (issue 4): interaction.added, application.start,
then the workflow up to its first routing action, and the trace shows it."""

import io
import json

import pytest

from openors.testing import World
from tests.conftest import SHARED

IPDS = sorted((SHARED / "composer-corpus").rglob("IPD_*.scxml"))
# Errors of the engine or of our built-ins (as opposed to a module answering a request).
ENGINE_ERRORS = ("error.script", "error.illegal", "error.unsupported", "error.send")
GVP_MENU_RESULT = {"udata": {"outivrmenu": "m0001", "ivrdisconnect": "false", "outidcardno": ""}}


def _simulate(ipd, until=60.0):
    trace = io.StringIO()
    run = World(applications={"main-inbound": ipd.resolve().as_uri()}, trace_file=trace)
    # The GVP menus these workflows play (<dialog:start>) attach the caller's choice as user data,
    # which the workflows then read; the simulated caller answers every menu the same way.
    run.platform.inbound_call("+15551110002", "5000", patience=300, ivr=[GVP_MENU_RESULT] * 4)
    run.run_until(until)
    return [json.loads(line) for line in trace.getvalue().splitlines()]


def _names(records):
    return [r["name"] for r in records if r["kind"] == "event"]


@pytest.mark.parametrize("ipd", IPDS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_ipd_starts_its_workflow_on_a_simulated_call(ipd):
    records = _simulate(ipd)
    names = _names(records)
    assert names[:2] == ["interaction.added", "application.start"]
    assert not [n for n in names if n.startswith(ENGINE_ERRORS)], names
    started = [r for r in records if r["kind"] == "session.start"]
    assert len(started) == 1 and started[0]["interaction"]
    # The workflow included under its resolveid was entered.
    assert any(r["kind"] == "state" and r["state"].endswith("._composer_entry") for r in records)


def test_main3_reaches_its_routing_action_and_the_trace_shows_it():
    ipd = next(p for p in IPDS if p.name == "IPD_default_Main3Workflow.scxml")
    records = _simulate(ipd)
    actions = [r for r in records if r["kind"] == "action"]
    # Its parallel block plays ringback (<dialog:playsound>) while the other branch redirects.
    assert actions[0]["action"] == "dialog.playsound"
    first = actions[1]
    assert first["action"] == "interaction.redirect"
    assert first["attributes"]["from"] == "5000" and first["attributes"]["detach"] == "true"
    start = next(i for i, r in enumerate(records) if r["kind"] == "event" and r["name"] == "application.start")
    assert start < records.index(first)


# The first module action each IPD's workflow takes on the simulated call. The default workflows
# are Composer's empty template (Entry -> Exit): they end without touching a voice call.
FIRST_ACTIONS = {
    "IPD_default_defaultWorkflow.scxml": [],
    "IPD_default_ECSWorkflow.scxml": ["dialog.start", "interaction.terminate"],
    "IPD_default_MainWorkflow.scxml": ["session.fetch"],
    "IPD_default_Main2Workflow.scxml": ["session.fetch"],
    "IPD_default_Main3Workflow.scxml": ["dialog.playsound", "interaction.redirect"],
}


@pytest.mark.parametrize("ipd", IPDS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_ipd_reaches_its_first_routing_action_after_application_start(ipd):
    records = _simulate(ipd)
    expected = FIRST_ACTIONS[ipd.name]
    actions = [r for r in records if r["kind"] == "action"]
    assert [a["action"] for a in actions[:len(expected)]] == expected
    start = next(i for i, r in enumerate(records) if r["kind"] == "event" and r["name"] == "application.start")
    assert all(records.index(a) > start for a in actions)
    # Every action carries the request id its requestid location received, and its attributes.
    assert all(a["requestid"] and isinstance(a["attributes"], dict) for a in actions)
    ends = [r for r in records if r["kind"] == "session.end"]
    if not expected:
        assert ends and ends[0]["final"] == "_composer_global_exit"


def test_coverage_of_a_composer_application_reports_the_ipd_and_its_included_workflow_apart():
    from openors.testing.coverage import Coverage

    ipd = IPDS[0]
    coverage = Coverage()
    run = World(applications={"main-inbound": ipd.resolve().as_uri()}, coverage=coverage)
    run.platform.inbound_call("+15551110002", "5000", patience=300, ivr=[GVP_MENU_RESULT] * 4)
    run.run_until(60)
    files = coverage.to_dict()["files"]
    # The IPD includes its workflow (a file of its own): each is reported under its own name.
    assert any(name.endswith(ipd.name) for name in files), list(files)
    assert len(files) >= 2, list(files)
    entered = {name: [s for s, v in data["states"].items() if v["count"]] for name, data in files.items()}
    assert all(entered.values()), entered  # the call went through both the IPD and the workflow
