"""The ordering and ownership rules of the Interaction Interface (seed, ORS-SPEC §3.3-§3.4)."""

from __future__ import annotations

from .ixn_scenarios import connected_call, consulting
from .ixn_world import Site

CONTROL = ("interaction.added", "interaction.present", "interaction.notcontrolled", "interaction.deleted")


def control_events(site, session, ixn=None):
    """(name, resultof) of the control events one session took, optionally for one interaction."""
    return [(name, data.get("resultof")) for name, data in site.events(session, names=CONTROL)
            if ixn is None or data.get("interactionid") == ixn]


def test_a_call_arriving_on_a_routing_point_is_first_added_then_present():
    site = Site()
    ixn, session = site.call()
    names = site.names(session)
    assert names[:2] == ["interaction.added", "interaction.present"]
    assert site.events(session)[0][1] == {"interactionid": ixn}


def test_parties_the_call_had_before_it_was_added_are_not_reported():
    site = Site()
    ixn, session = site.call()
    site.run(1)
    # the caller and the routing point were parties before interaction.added
    assert not [n for n in site.names(session) if n.startswith("interaction.party")]
    assert len(site.js(session, "_genesys.ixn.interactions[ixnid].parties")) == 2


def test_associate_moves_an_interaction_added_then_present_to_the_target_notcontrolled_then_deleted_from_the_source():
    site = Site()
    ixn, source = site.call()
    target = site.start_puppet()
    site.do(source, "associate", sessionid=target.id)
    assert control_events(site, target) == [("interaction.added", None), ("interaction.present", None)]
    assert control_events(site, source)[-2:] == [("interaction.notcontrolled", "detaching"),
                                                ("interaction.deleted", "detaching")]
    assert site.owner(ixn) is target


def test_a_finished_call_is_notcontrolled_then_deleted_both_as_a_deletion():
    site = Site()
    ixn, session = connected_call(site)
    site.platform.customer_hangup("+15551110001")
    site.run(1)
    names = site.names(session)
    assert names[-2:] == ["interaction.notcontrolled", "interaction.deleted"]
    assert control_events(site, session)[-2:] == [("interaction.notcontrolled", "deletion"),
                                                 ("interaction.deleted", "deletion")]


def test_an_abandoned_call_is_reported_before_it_is_deleted():
    site = Site()
    ixn, session = site.call()
    site.platform.customer_hangup("+15551110001")
    site.run(1)
    assert site.names(session)[-3:] == ["interaction.abandoned", "interaction.notcontrolled",
                                        "interaction.deleted"]


def test_detach_is_notcontrolled_then_deleted_both_as_detaching_and_party_events_stop():
    site = Site()
    ixn, session = site.call()
    site.do(session, "detach", interactionid=ixn)
    assert control_events(site, session)[-2:] == [("interaction.notcontrolled", "detaching"),
                                                 ("interaction.deleted", "detaching")]
    before = len(site.events(session))
    site.platform.route(ixn, "7001", origin="desktop")  # someone else routes it: not our business now
    site.run(3)
    assert [n for n in site.names(session)[before:] if n.startswith("interaction.")] == []


def test_routing_an_email_away_leaves_it_owned_but_notcontrolled_as_routing():
    site = Site()
    ixn, session = site.email()
    site.do(session, "redirect", to="alice")
    assert control_events(site, session)[-1] == ("interaction.notcontrolled", "routing")
    assert site.owner(ixn) is session


def test_an_email_the_media_server_takes_back_is_notcontrolled_as_revoking():
    site = Site()
    ixn, session = site.email()
    site.platform.revoke(ixn)
    site.run(0.5)
    assert control_events(site, session)[-1] == ("interaction.notcontrolled", "revoking")


def test_the_owning_session_id_is_written_to_the_user_data_as_op_session_id():
    site = Site()
    ixn, session = site.call()
    site.run(0.5)
    assert site.platform.get_interaction(ixn)["udata"]["OP-Session-ID"] == session.id
    assert site.js(session, "_genesys.ixn.interactions[ixnid].udata['OP-Session-ID']") == session.id
    # writing it is the world's own business: no udata.changed for it
    assert "interaction.udata.changed" not in site.names(session)


def test_one_session_per_interaction_a_second_routing_point_does_not_start_another():
    site = Site()
    ixn, session = site.call()
    count = len(site.host.sessions)
    site.do(session, "redirect", to="5001")  # still owned: the routing point's application stays idle
    assert len(site.host.sessions) == count
    assert site.owner(ixn) is session


def test_redirect_with_detach_lets_the_next_routing_point_start_its_own_session():
    site = Site()
    ixn, first = site.call()
    site.do(first, "redirect_detach", to="5001")
    second = site.owner(ixn)
    assert second is not None and second is not first
    assert site.names(second)[:2] == ["interaction.added", "interaction.present"]
    assert site.platform.get_interaction(ixn)["udata"]["OP-Session-ID"] == second.id
    # The first session keeps seeing the interaction until its redirect is confirmed.
    assert site.names(first)[-3:] == ["interaction.redirect.done", "interaction.notcontrolled",
                                      "interaction.deleted"]


def test_onmerge_reaches_the_session_before_the_consultation_call_is_deleted():
    # Composer follows the consult call until onmerge tells it where the call went.
    site = Site()
    ixn, consult, session = consulting(site)
    site.do(session, "transfer", interactionid=ixn, resource="7001")
    names = [(n, d.get("interactionid") or d.get("frominteractionid")) for n, d in site.events(session)]
    merge = names.index(("interaction.onmerge", consult))
    assert merge < names.index(("interaction.deleted", consult))


def test_a_consultation_call_made_by_the_strategy_joins_its_session():
    site = Site()
    ixn, consult, session = consulting(site)
    assert site.owner(consult) is session
    assert site.js(session, "_genesys.ixn.interactions[1].g_uid") == consult
    assert site.js(session, "_genesys.ixn.interactions[1].parentid") == ixn
