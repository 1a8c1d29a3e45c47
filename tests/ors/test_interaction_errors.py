"""Error codes of the seed, bad requests and request timeouts.

The table (`ERROR_CASES` in ixn_scenarios.py) reads like the seed: error event, code, and how a
strategy provokes it on the simulator.
"""

from __future__ import annotations

import pytest

from openors.ors.catalogue import (
    REASON_PLACEHOLDER,
    STATE_PLACEHOLDER,
    catalogue_info,
    check_event,
)
from openors.scxml.events import Event

from .ixn_scenarios import ERROR_CASES, connected_call, interaction_catalogue, provoked
from .ixn_world import NO_ANSWER, Site, topology


@pytest.mark.parametrize("index", range(len(ERROR_CASES)), ids=[c.id for c in ERROR_CASES])
def test_error_code_is_provoked_as_the_table_says(index):
    case = ERROR_CASES[index]
    site, session, requestid = provoked(index)
    name, data = site.answer(requestid, session)
    assert (name, data["error"]) == (case.event, case.code), case.how
    assert data["description"].strip(), "the description must say what was wrong"
    assert check_event(name, data) == []
    assert not session.is_done, "a failed request never ends the session"


def seed_codes() -> set[str]:
    """Every distinct error code the seed names, one per interaction state for invalidstate.<state>."""
    codes = set()
    for entry in interaction_catalogue().values():
        for code in entry.get("error_codes", []):
            if code == STATE_PLACEHOLDER:
                codes |= {f"invalidstate.{s}" for s in catalogue_info()["interaction_states"]}
            else:
                codes.add(code)
    return codes


def test_every_error_code_of_the_seed_is_provoked_by_the_table():
    provoked_codes = {case.code for case in ERROR_CASES}
    missing = {code for code in seed_codes() - provoked_codes
               if not (code == REASON_PLACEHOLDER and any(c.startswith("reject.") for c in provoked_codes))}
    assert sorted(missing) == []


def test_every_error_event_of_the_seed_has_a_row():
    error_events = {name for name, entry in interaction_catalogue().items() if entry["kind"] == "error"}
    assert sorted(error_events - {case.event for case in ERROR_CASES}) == []


# --- bad requests never crash a session ------------------------------------------------------------


def _session_still_works(site, session):
    name, _ = site.answer(site.do(session, "redirect", to="7001"), session)
    assert name == "interaction.redirect.done"


def test_an_action_on_an_unknown_interaction_id_fails_with_nointeraction_and_the_session_goes_on():
    site = Site()
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "detach", interactionid="NO-SUCH-ID"), session)
    assert (name, data["error"]) == ("error.interaction.detach", "nointeraction")
    assert "NO-SUCH-ID" in data["description"]
    _session_still_works(site, session)


def test_an_action_on_an_interaction_of_another_session_is_refused():
    site = Site()
    other_ixn, _ = site.call(ani="+15551110009")
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "terminate", interactionid=other_ixn), session)
    assert name == "error.interaction.terminate"
    assert "not associated with this session" in data["description"]
    assert site.platform.get_interaction(other_ixn)["state"] == "treating"  # untouched


def test_a_missing_required_attribute_fails_with_a_description_naming_it():
    site = Site()
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "redirect_noto"), session)
    assert name == "error.interaction.redirect"
    assert "'to'" in data["description"] and "requires" in data["description"]
    _session_still_works(site, session)


def test_an_attribute_that_cannot_be_evaluated_fails_the_action_not_the_session():
    site = Site()
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "redirect_badexpr"), session)
    assert (name, data["error"]) == ("error.interaction.redirect", "unknown")
    assert "interactionid" in data["description"]
    _session_still_works(site, session)


def test_an_unknown_destination_fails_with_invaliddestination_naming_it():
    site = Site()
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "redirect", to="4242"), session)
    assert (name, data["error"]) == ("error.interaction.redirect", "invaliddestination")
    assert "4242" in data["description"]
    _session_still_works(site, session)


def test_the_request_id_is_in_its_location_before_the_answer_arrives():
    site = Site()
    ixn, session = site.call()
    site.host.deliver(session, Event("do.redirect", "external", {"to": "7001"}))
    site.host.run_ready()
    requestid = site.js(session, "rid")
    assert requestid and not [d for _, d in site.events(session) if d.get("requestid") == requestid]
    site.run(0.5)
    assert site.answer(requestid, session)[0] == "interaction.redirect.done"


# --- per-request timeout ------------------------------------------------------------------------------


def test_a_request_the_platform_does_not_answer_in_time_gets_one_timeout_error_at_the_deadline():
    site = Site(request_timeout=5.0)
    ixn, session = site.call()
    asked = site.clock.now()
    requestid = site.do(session, "createcall_predictive", wait=0.0, **{"from": "5001", "to": NO_ANSWER})
    site.run(4.9)
    assert not [n for n, d in site.events(session) if d.get("requestid") == requestid]
    site.run(40)  # past the deadline and past the switch's own late answer
    name, data = site.answer(requestid, session)
    assert (name, data["error"]) == ("error.voice.createcall", "timeout")
    assert "5s" in data["description"]
    timeout_at = [r["t"] for r in site.records if r["kind"] == "event" and r["name"] == name]
    assert timeout_at == [pytest.approx(asked + 5.0, abs=0.02)]


def connected_call_without_requests(site):
    """A connected call set up by desktop actions, so a tiny request timeout does not get in the way."""
    ixn, session = site.call()
    site.platform.route(ixn, "7001", origin="desktop")
    site.run(2)
    return ixn, session


def test_the_timeout_error_of_a_voice_request_names_its_interaction():
    site = Site(request_timeout=0.05)  # shorter than the switch's 0.1 s latency
    ixn, session = connected_call_without_requests(site)
    name, data = site.answer(site.do(session, "hold", interactionid=ixn, resource="7001"), session)
    assert (name, data["error"], data["interactionid"]) == ("error.voice.hold", "timeout", ixn)
    assert check_event(name, data) == []


def test_a_timeout_of_an_unresponsive_email_server_is_reported_as_Timeout_for_msgbased():
    site = Site(topology(email="unresponsive"))
    ixn, session = site.email()
    name, data = site.answer(site.do(session, "createmessage", wait=6.0, to="jane@example.org"), session)
    assert (name, data["error"]) == ("error.msgbased.createmessage", "Timeout")


def test_a_failed_request_never_stops_later_ones_of_the_same_session():
    site = Site()
    ixn, session = connected_call(site)
    for action, data in [("hold", {}), ("retrieve", {"resource": "7002"}), ("alternate", {"resource": "7001"})]:
        assert site.answer(site.do(session, action, **data), session)[0].startswith("error.")
    assert site.answer(site.do(session, "hold", resource="7001"), session)[0] == "voice.hold.done"
