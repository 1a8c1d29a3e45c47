"""Requests that cannot be carried out fail with a structured error event, never an exception."""

from __future__ import annotations

import pytest


def failure(site, request_id):
    site.run(0.2)
    event = site.outcome(request_id)
    assert event.kind == "request.failed"
    assert event.description  # always explained
    return event


@pytest.fixture
def call(site):
    ixn = site.platform.inbound_call("+15550001", "7001")
    site.run(2)
    return ixn


def test_unknown_interaction_gives_nointeraction(site):
    event = failure(site, site.platform.hold("NOPE", "7001"))
    assert event.error == "nointeraction" and "NOPE" in event.description


def test_terminating_a_held_call_gives_invalidstate_hold(site, call):
    site.platform.hold(call, "7001")
    site.run(0.1)
    assert failure(site, site.platform.terminate(call)).error == "invalidstate.hold"


def test_routing_a_call_that_is_already_connected_gives_invalidstate_routed(site, call):
    assert failure(site, site.platform.route(call, "7002")).error == "invalidstate.routed"


def test_unknown_destination_gives_invaliddestination(site):
    ixn = site.platform.inbound_call("+15550001", "5000")
    event = failure(site, site.platform.route(ixn, "4321"))
    assert event.error == "invaliddestination" and "4321" in event.description


def test_device_not_on_the_call_gives_invalidsource(site, call):
    assert failure(site, site.platform.hold(call, "7002")).error == "invalidsource"


def test_voice_request_on_an_email_gives_invalidinteraction(site):
    ixn = site.platform.inbound_email("a@example.org", subject="hi")
    assert failure(site, site.platform.hold(ixn, "alice")).error == "invalidinteraction"


def test_out_of_service_destination_gives_remote(site):
    ixn = site.platform.inbound_call("+15550001", "5000")
    assert failure(site, site.platform.route(ixn, "7999")).error == "remote"


def test_answering_a_call_that_is_not_ringing_gives_invalidstate(site, call):
    assert failure(site, site.platform.answer(call, "7001")).error == "invalidstate.routed"


def test_unknown_private_service_gives_tserver_with_properties(site, call):
    event = failure(site, site.platform.private_service(call, "7001", 9999))
    assert event.error == "tserver" and "ErrorCode" in event.data["properties"]


def test_down_server_gives_invalidserver_and_unresponsive_server_times_out(site):
    site.platform.servers["email"].state = "down"
    assert failure(site, site.platform.create_message(to="x@example.org")).error == "invalidserver"
    site.platform.servers["email"].state = "unresponsive"
    req = site.platform.create_message(to="x@example.org")
    site.run(4.5)
    assert not [e for e in site.events if e.request_id == req]
    site.run(1)
    assert site.outcome(req).error == "timeout"


def test_injected_fault_provokes_any_code(site, call):
    site.platform.inject_fault("hold", "unknown", "switch hiccup")
    event = failure(site, site.platform.hold(call, "7001"))
    assert (event.error, event.description) == ("unknown", "switch hiccup")
    req = site.platform.hold(call, "7001")  # only the next request was affected
    site.run(0.2)
    assert site.outcome(req).kind == "request.done"


def test_bad_chat_request_gives_request_invalid(site):
    assert failure(site, site.platform.send_chat_message("NOPE", "alice", "hi")).error == "Request Invalid"


def test_agent_request_in_the_wrong_state_gives_invalidstate(site):
    assert failure(site, site.platform.agent_ready("carol")).error == "invalidstate.logged_out"
    assert failure(site, site.platform.agent_ready("zed")).error == "invalidsource"
