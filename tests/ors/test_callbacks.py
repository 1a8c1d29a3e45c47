"""Callbacks: a call a strategy makes from a routing point waits there, once the customer answers,
for a routing decision; `<queue:submit>` then routes it to an agent (strategies/callback.scxml)."""

from __future__ import annotations

from .ixn_world import OUTSIDE, Site
from .queue_site import Site as QueueSite


def test_a_callback_answered_by_the_customer_is_routed_to_an_agent_by_a_following_submit():
    site = QueueSite("callback.scxml")
    site.world.start_session("q")
    site.run()
    assert site.logs("error") == []
    assert [r["final"] for r in site.kind("session.end")] == ["routed"]
    assert site.logs("dialled") == ["+15557770001"]
    # ringing at the customer when the call was made; on the routing point once answered
    assert site.logs("state") == ["ringing", "treating"]
    (agent,) = site.logs("agent")
    (call,) = [r["event"]["interaction_id"] for r in site.kind("platform")
               if r["event"]["kind"] == "interaction.created"]
    answered = [r["event"]["agent_id"] for r in site.kind("platform") if r["event"]["kind"] == "party.changed"
                and r["event"]["interaction_id"] == call and r["event"]["party_state"] == "established"
                and r["event"].get("agent_id")]
    assert answered == [agent]

def test_a_callback_cannot_be_routed_before_the_customer_answers():
    site = Site()
    ixn, session = site.call()
    _, done = site.answer(site.do(session, "createcall", wait=0.5, **{"from": "5001", "to": OUTSIDE}))
    name, data = site.answer(site.do(session, "redirect", interactionid=done["interactionid"], to="7001"))
    assert (name, data["error"]) == ("error.interaction.redirect", "invalidstate.ringing")
    site.run(3)  # the customer answers after 2 s: now the call waits on 5001
    assert site.last("interaction.onrouterequest")["interactionid"] == done["interactionid"]
    name, _ = site.answer(site.do(session, "redirect", interactionid=done["interactionid"], to="7001", wait=2))
    assert name == "interaction.redirect.done"
    parties = site.platform.get_interaction(done["interactionid"])["parties"]
    assert {(p["device"], p["state"]) for p in parties} == {(OUTSIDE, "established"), ("7001", "established")}


def test_a_call_made_from_an_extension_is_connected_when_answered_not_left_waiting():
    site = Site()
    ixn, session = site.call()
    _, done = site.answer(site.do(session, "createcall", wait=3.0, **{"from": "7002", "to": OUTSIDE}))
    assert site.platform.get_interaction(done["interactionid"])["state"] == "routed"
