"""Hold, retrieve, consultation, transfer, conference and single-step requests on a connected call."""

from __future__ import annotations

import pytest


@pytest.fixture
def call(site):
    """A customer connected to alice (7001)."""
    ixn = site.platform.inbound_call("+15550001", "7001")
    site.run(2)
    assert site.state(ixn) == "routed"
    return ixn


def test_hold_and_retrieve_change_the_party_and_interaction_state(site, call):
    req = site.platform.hold(call, "7001")
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    held = site.of("party.changed", interaction_id=call, device="7001")[-1]
    assert (held.party_state, held.ccevent, held.callstate) == ("held", 5, 50)
    assert site.state(call) == "hold"
    req = site.platform.retrieve(call, "7001")
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    assert site.of("party.changed", interaction_id=call, device="7001")[-1].ccevent == 9  # Retrieved
    assert site.state(call) == "routed"


def test_consultation_then_transfer_moves_the_customer_to_the_consulted_agent(site, call):
    req = site.platform.initiate_consultation(call, "7001", "7002")
    site.run(0.1)
    done = site.outcome(req)
    consult = done.data["consult_interaction_id"]
    assert site.state(call) == "transferring"
    assert site.platform.get_interaction(consult)["parentid"] == call
    site.run(3)  # bob answers the consultation
    assert site.party_states(consult) == {"7001": "established", "7002": "established"}
    req = site.platform.complete_transfer(call, "7001")
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    assert site.party_states(call) == {"+15550001": "established", "7002": "established"}
    merged = site.of("interaction.merged")[-1]
    assert merged.data["from_interaction_id"] == consult and merged.data["to_interaction_id"] == call
    assert merged.data["merge"] == "transfer" and (merged.ccevent, merged.cause) == (11, 10)
    assert merged.data["active"]["device"] == "7002"
    assert site.of("interaction.ended", interaction_id=consult)[0].callstate == 1  # Transferred
    assert site.state(call) == "routed"


def test_consultation_then_conference_keeps_everyone_on_the_call(site, call):
    site.platform.initiate_consultation(call, "7001", "7002")
    site.run(3.2)
    req = site.platform.complete_conference(call, "7001")
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    assert site.party_states(call) == {"+15550001": "established", "7001": "established",
                                       "7002": "established"}
    assert site.of("interaction.merged")[-1].data["merge"] == "conference"


def test_reconnect_drops_the_consultation_and_retrieves_the_customer(site, call):
    req = site.platform.initiate_consultation(call, "7001", "7002")
    site.run(3.2)
    consult = site.outcome(req).data["consult_interaction_id"]
    site.platform.reconnect(call, "7001")
    site.run(0.1)
    assert consult not in site.platform.interactions
    assert site.party_states(call) == {"+15550001": "established", "7001": "established"}


def test_alternate_swaps_held_and_active_calls(site, call):
    req = site.platform.initiate_consultation(call, "7001", "7002")
    site.run(3.2)
    consult = site.outcome(req).data["consult_interaction_id"]
    site.platform.alternate(call, "7001")
    site.run(0.1)
    assert site.party_states(call)["7001"] == "established"
    assert site.party_states(consult)["7001"] == "held"


def test_single_step_transfer_replaces_the_agent_with_the_destination(site, call):
    req = site.platform.single_step_transfer(call, "7001", "7002")
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    event = site.of("interaction.singlesteptransferred")[0]
    assert event.device == "7001" and event.new_destination == "7002" and event.cause == 9
    assert site.party_states(call) == {"+15550001": "established", "7002": "ringing"}


def test_single_step_conference_adds_the_destination(site, call):
    site.platform.single_step_conference(call, "7001", "7002")
    site.run(0.1)
    event = site.of("interaction.singlestepconferenced")[0]
    assert event.device == "7001" and event.data["added"]["device"] == "7002" and event.cause == 8
    site.run(3)
    assert set(site.party_states(call)) == {"+15550001", "7001", "7002"}


def test_user_data_updates_and_deletions_are_reported(site, call):
    site.platform.update_user_data(call, {"OP-Session-ID": "S1", "lang": "en"})
    site.platform.delete_user_data(call, ["lang"])
    site.run(0.1)
    changes = site.of("interaction.udata.changed", interaction_id=call)
    assert changes[0].data["changed"] == {"OP-Session-ID": "S1", "lang": "en"}
    assert changes[1].data["deleted"] == ["lang"] and changes[1].udata == {"OP-Session-ID": "S1"}
    assert site.platform.get_interaction(call)["udata"] == {"OP-Session-ID": "S1"}


def test_terminate_clears_the_whole_call(site, call):
    req = site.platform.terminate(call)
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
    assert site.of("interaction.ended", interaction_id=call)[0].callstate == 19  # Cleared


def test_treatment_keeps_the_call_treating_until_it_ends(site):
    ixn = site.platform.inbound_call("+15550009", "5002")
    req = site.platform.start_treatment(ixn, "music", 10)
    site.run(5)
    assert site.platform.interactions[ixn].treatment == "music"
    site.run(5.2)
    assert site.outcome(req).kind == "request.done"


def test_private_service_accepted_by_the_switch(site, call):
    req = site.platform.private_service(call, "7001", 3001)
    site.run(0.1)
    assert site.outcome(req).kind == "request.done"
