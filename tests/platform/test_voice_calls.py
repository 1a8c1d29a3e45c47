"""Inbound calls on a routing point: routing, answering, abandoning, ACD distribution."""

from __future__ import annotations

import pytest


def test_call_on_routing_point_asks_its_application_to_start(site):
    ixn = site.platform.inbound_call("+15550001", "5000")
    arrived = site.of("interaction.arrived", interaction_id=ixn)
    assert len(arrived) == 1
    assert arrived[0].application == "inbound-app" and arrived[0].device == "5000"
    assert site.of("interaction.routerequest", interaction_id=ixn)
    assert site.state(ixn) == "treating"
    assert site.party_states(ixn) == {"+15550001": "dialing", "5000": "queued"}


def test_routed_call_rings_the_ready_agent_who_answers_after_their_delay(site):
    ixn = site.platform.inbound_call("+15550001", "5000")
    req = site.platform.route(ixn, "7001")
    assert isinstance(req, str) and site.of("request.done") == []  # completes asynchronously
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    diverted = site.of("interaction.diverted", interaction_id=ixn)[0]
    assert diverted.device == "5000" and diverted.new_destination == "7001" and diverted.ccevent == 13
    assert site.state(ixn) == "ringing"
    site.run(2.0)
    assert site.state(ixn) == "routed"
    assert site.party_states(ixn) == {"+15550001": "established", "7001": "established"}
    established = site.of("party.changed", interaction_id=ixn, device="7001")[-1]
    assert established.party_state == "established" and established.ccevent == 3


def test_route_accepts_an_agent_resource_object(site):
    ixn = site.platform.inbound_call("+15550001", "5000")
    site.platform.route(ixn, {"agent": "bob", "type": "A"})
    site.run(5)
    assert site.party_states(ixn)["7002"] == "established"


def test_caller_abandons_after_patience_when_nobody_routes(site):
    ixn = site.platform.inbound_call("+15550002", "5002", patience=30)
    site.run(29)
    assert site.state(ixn) == "treating"
    site.run(1)
    ended = site.of("interaction.ended", interaction_id=ixn)
    assert len(ended) == 1 and ended[0].callstate == 21  # CallStateAbandoned
    assert site.platform.get_interaction(ixn)["state"] == "null"
    assert ixn not in site.platform.interactions


def test_customer_hangup_after_answer_ends_the_call_normally(site):
    ixn = site.platform.inbound_call("+15550003", "7001", hangup_after=10)
    site.run(2)
    assert site.state(ixn) == "routed"
    site.run(10)
    ended = site.of("interaction.ended", interaction_id=ixn)
    assert ended and ended[0].callstate == 0


def test_acd_queue_distributes_to_agent_with_the_skill(site):
    ixn = site.platform.inbound_call("+15550004", "6000")
    assert site.party_states(ixn) == {"+15550004": "dialing", "7001": "ringing"}  # alice has sales
    second = site.platform.inbound_call("+15550005", "6000")
    assert site.party_states(second) == {"+15550005": "dialing", "6000": "queued"}  # bob lacks it


def test_queued_acd_call_goes_to_agent_when_they_become_free(site):
    first = site.platform.inbound_call("+15550004", "6000")
    second = site.platform.inbound_call("+15550005", "6000")
    site.run(3)
    site.platform.clear(first, "7001")
    site.run(0.1)
    assert site.state(second) == "treating"  # alice is in after-call work for 10 s
    site.run(10)
    assert site.party_states(second).get("7001") in ("ringing", "established")


def test_ready_agents_lists_available_agents_longest_idle_first(site):
    assert site.platform.ready_agents() == ["alice", "bob"]
    assert site.platform.ready_agents({"sales": 3}) == ["alice"]
    assert site.platform.ready_agents(media="chat") == ["alice", "bob"]
    site.platform.inbound_call("+15550006", "7001")
    assert site.platform.ready_agents() == ["bob"]


def test_outbound_call_is_answered_by_the_customer(site):
    req = site.platform.make_call("7001", "+15557770001")
    site.run(0.1)
    done = site.outcome(req)
    ixn = done.interaction_id
    assert site.party_states(ixn) == {"7001": "dialing", "+15557770001": "ringing"}
    site.run(4)
    assert site.party_states(ixn) == {"7001": "established", "+15557770001": "established"}


def test_predictive_call_reports_the_outcome_as_callstate(site):
    from openors.platform.scenario import OutboundParty

    site.platform.outbound["+15557770002"] = OutboundParty(result="busy")
    site.platform.outbound["+15557770003"] = OutboundParty(result="answered", answer_after=3)
    busy = site.platform.make_call("5000", "+15557770002", call_type="predictive")
    answered = site.platform.make_call("5000", "+15557770003", call_type="predictive")
    site.run(0.5)
    assert [e for e in site.events if e.request_id in (busy, answered)] == []  # still dialing
    site.run(5)
    assert site.outcome(busy).callstate == 6  # CallStateBusy
    assert site.outcome(answered).callstate == 0


@pytest.mark.parametrize("refuse", [False, True], ids=["rings-by-default", "refused-when-asked"])
def test_a_route_to_an_agent_already_on_a_call_is_refused_only_when_the_platform_says_so(site, refuse):
    site.platform.refuse_busy_agents = refuse
    first = site.platform.inbound_call("+15550001", "7001")  # alice takes it
    site.run(3)
    assert site.state(first) == "routed"
    second = site.platform.inbound_call("+15550002", "5002")  # waits on a routing point
    site.run(0.5)
    req = site.platform.route(second, "alice")
    site.run(0.5)
    outcome = site.outcome(req)
    if refuse:
        assert outcome.kind == "request.failed" and outcome.error == "invaliddestination"
        assert "alice" in outcome.description and "busy" in outcome.description
        assert site.state(second) == "treating"  # still waiting where it was
    else:
        assert outcome.kind == "request.done" and site.state(second) == "ringing"
