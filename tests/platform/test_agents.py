"""Agent login and ready/not-ready/after-call-work states, and how they affect delivery."""

from __future__ import annotations


def test_agent_logs_in_goes_ready_and_is_reported(site):
    site.platform.agent_login("carol")
    site.run(0.1)
    site.platform.agent_ready("carol")
    site.run(0.1)
    states = [(e.previous_state, e.state) for e in site.of("agent.statechanged", agent_id="carol")]
    assert states == [("logged_out", "not_ready"), ("not_ready", "ready")]
    assert "carol" in site.platform.ready_agents()


def test_agent_goes_after_call_work_then_ready_again(site):
    ixn = site.platform.inbound_call("+15550001", "7001")
    site.run(2)
    site.platform.clear(ixn, "7001")
    site.run(0.1)
    assert site.platform.agents["alice"].state.value == "after_call_work"
    assert "alice" not in site.platform.ready_agents()
    site.run(10)
    assert site.platform.agents["alice"].state.value == "ready"


def test_busy_agent_is_not_available_and_the_change_is_reported(site):
    site.platform.inbound_call("+15550001", "7002")
    last = site.of("agent.statechanged", agent_id="bob")[-1]
    assert last.data["available"] is False and last.data["busy"] is True


def test_not_ready_agent_gets_no_acd_calls(site):
    site.platform.agent_not_ready("alice", reason="break")
    site.run(0.1)
    ixn = site.platform.inbound_call("+15550001", "6000")
    assert site.party_states(ixn)["6000"] == "queued"
    assert site.of("agent.statechanged", agent_id="alice")[-1].data["reason"] == "break"


def test_agent_with_talk_time_hangs_up_by_itself(site):
    site.platform.agent_login("carol")
    site.run(0.1)
    ixn = site.platform.inbound_call("+15550001", "7003")
    site.run(1)
    assert site.state(ixn) == "routed"
    site.run(20)
    assert site.of("interaction.ended", interaction_id=ixn)


def test_logged_out_agent_does_not_answer(site):
    ixn = site.platform.inbound_call("+15550001", "7003", patience=30)
    site.run(10)
    assert site.party_states(ixn)["7003"] == "ringing"
    site.run(20)
    assert site.of("interaction.ended", interaction_id=ixn)[0].callstate == 21
