"""Composer-shaped routing: `<queue:target skillexpr statserver>` and a redirect to the
`targetselected` string the submit returned (strategies/composer_skill_target.scxml)."""

from __future__ import annotations

import pytest

from .ixn_world import Site as IxnSite
from .queue_site import Site


def established_agents(site) -> list[str]:
    return [r["event"]["agent_id"] for r in site.kind("platform") if r["event"]["kind"] == "party.changed"
            and r["event"].get("agent_id") and r["event"]["party_state"] == "established"]


def test_a_skill_expression_target_written_as_composer_writes_it_selects_an_agent_the_call_reaches():
    site = Site("composer_skill_target.scxml")
    site.call(skillexpr="sales > 5")  # alice has sales 8, bob 3
    site.run()
    assert site.logs("targetselected") == ["7001@SIM_Switch.DN"]
    assert [r["final"] for r in site.kind("session.end")] == ["routed"]
    assert established_agents(site) == ["alice"]


def test_a_skill_expression_nobody_matches_waits_and_times_out():
    site = Site("composer_skill_target.scxml")
    site.call(skillexpr="support > 5 & sales > 1")  # carol has support but not sales, and is not ready
    site.run()
    assert site.logs("error") and site.logs("error")[0].startswith("timeout")
    assert [r["final"] for r in site.kind("session.end")] == ["failed"]


@pytest.mark.parametrize("selected, reaches", [
    ("7002@SIM_Switch.DN", "7002"),     # a DN
    ("bob@Stat_Server.A", "7002"),      # an agent: the call goes to the agent's DN
    ("Place_bob@Stat_Server.AP", "7002"),  # a place
    ("7001.DN", "7001"),                # no server part
])
def test_a_redirect_takes_every_targetselected_form_as_its_destination(selected, reaches):
    site = IxnSite()
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "redirect", to=selected, wait=2.0))
    assert name == "interaction.redirect.done", data
    devices = [p["device"] for p in site.platform.get_interaction(ixn)["parties"]]
    assert reaches in devices


@pytest.mark.parametrize("selected", ["7001@Other_Switch.DN", "nobody@Stat_Server.A", "AG_Sales@SS.GA"])
def test_a_targetselected_string_that_names_no_reachable_destination_is_an_invalid_destination(selected):
    site = IxnSite()
    ixn, session = site.call()
    name, data = site.answer(site.do(session, "redirect", to=selected))
    assert (name, data["error"]) == ("error.interaction.redirect", "invaliddestination")
    assert selected in data["description"]
