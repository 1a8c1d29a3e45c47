"""Details of the Interaction Interface events that strategies read: the interaction an error is
about, and which leg a merge reports as held."""

from __future__ import annotations

from .ixn_scenarios import connected_call, consulting
from .ixn_world import Site


def test_an_error_about_an_interaction_the_session_no_longer_owns_names_that_interaction():
    site = Site()
    ixn, first = connected_call(site)
    second = site.start_puppet()
    site.do(first, "associate", interactionid=ixn, sessionid=second.id)
    assert site.owner(ixn) is second
    name, data = site.answer(site.do(first, "hold", interactionid=ixn, resource="7001"))
    assert name == "error.voice.hold"
    assert data["interactionid"] == ixn
    name, data = site.answer(site.do(first, "retrieve", interactionid=ixn, resource="7001"))
    assert (name, data["interactionid"]) == ("error.voice.retrieve", ixn)


def test_a_merge_reports_the_agent_leg_on_hold_as_the_held_resource():
    site = Site()
    ixn, consult, session = consulting(site)  # 7001 holds the customer and talks to 7002
    held_party = next(p["partyid"] for p in site.platform.get_interaction(ixn)["parties"] if p["device"] == "7001")
    site.do(session, "transfer", interactionid=ixn, resource="7001")
    merge = site.last("interaction.onmerge", session)
    assert (merge["heldresource"], merge["heldpartyid"], merge["heldpartystate"]) == ("7001", held_party, "held")
    assert merge["activeresource"] == "7002"
    assert (merge["frominteractionid"], merge["tointeractionid"]) == (consult, ixn)
