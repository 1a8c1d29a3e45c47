"""Topology and scenario files: the shipped ones load and run; mistakes name the file and the field."""

from __future__ import annotations

import pytest

from openors.platform import ConfigError, load_scenario, load_topology, parse_scenario, parse_topology
from openors.platform.sim import build_simulation
from openors.platform.topology import default_topology_path

SCENARIOS = sorted((default_topology_path().parent / "scenarios").glob("*.yaml"))


def test_default_topology_loads():
    topo = load_topology()
    assert topo.devices["5000"].application == "main-inbound"
    assert topo.agents["alice"].skills == {"sales": 8, "english": 10}
    assert topo.servers["chat"].inbound_queue == "chat_inbound"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_sample_scenarios_run_on_the_default_topology(path):
    sim = build_simulation(None, path)
    events = sim.run()
    assert events and not [e for e in events if e.kind == "request.failed"]


def test_scenario_with_the_transfer_hands_the_customer_to_carol():
    sim = build_simulation(None, default_topology_path().parent / "scenarios" / "inbound-calls.yaml")
    events = sim.run()
    assert [e for e in events if e.kind == "interaction.merged"]


def error_of(parse, data, source):
    with pytest.raises(ConfigError) as info:
        parse(data, source)
    return str(info.value)


def test_topology_skills_must_be_a_mapping():
    data = {"dns": [{"dn": "7001", "type": "extension"}],
            "agents": [{"id": "a"}, {"id": "b"}, {"id": "c", "skills": ["sales"]}]}
    assert error_of(parse_topology, data, "topology.yaml") == \
        "topology.yaml: agents[2].skills: expected a mapping, got a list"


def test_topology_dn_type_must_be_known():
    msg = error_of(parse_topology, {"dns": [{"dn": "1", "type": "trunk"}]}, "t.yaml")
    assert msg.startswith("t.yaml: dns[0].type: expected one of") and "'trunk'" in msg


def test_topology_unknown_field_is_rejected():
    assert error_of(parse_topology, {"dns": [{"dn": "1", "type": "extension", "colour": "red"}]},
                    "t.yaml").startswith("t.yaml: dns[0].colour: unknown field")


def test_topology_agent_dn_must_exist():
    assert error_of(parse_topology, {"agents": [{"id": "a", "dn": "9"}]}, "t.yaml") == \
        "t.yaml: agents[0].dn: '9' is not an extension or ACD position in dns"


def test_topology_server_queue_must_exist():
    assert error_of(parse_topology, {"servers": {"email": {"inbound_queue": "nowhere"}}}, "t.yaml") == \
        "t.yaml: servers.email.inbound_queue: no interaction queue named 'nowhere'"


def test_scenario_step_needs_a_time():
    assert error_of(parse_scenario, {"steps": [{"call": {"from": "1", "to": "2"}}]}, "s.yaml") == \
        "s.yaml: steps[0].at: is required"


def test_scenario_call_needs_a_caller():
    assert error_of(parse_scenario, {"steps": [{"at": 1, "call": {"to": "5000"}}]}, "s.yaml") == \
        "s.yaml: steps[0].call.from: is required"


def test_scenario_agent_action_must_be_known():
    msg = error_of(parse_scenario, {"steps": [{"at": 1, "agent": "a", "do": "dance"}]}, "s.yaml")
    assert msg.startswith("s.yaml: steps[0].do: expected one of")


def test_scenario_consult_needs_a_target():
    assert error_of(parse_scenario, {"steps": [{"at": 1, "agent": "a", "do": "consult"}]}, "s.yaml") == \
        "s.yaml: steps[0].to: is required when do is consult"


def test_files_that_are_not_yaml_name_the_file(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("dns: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_scenario(bad)
    assert str(info.value).startswith("broken.yaml: line")
