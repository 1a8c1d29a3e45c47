"""An interaction an action creates (<createcall>, <consultation>, <createmessage>) joins the
session before the done event that names it: interaction.added, interaction.present, then
`.done`, so the strategy can read the new interaction in `_genesys.ixn.interactions` there."""

from __future__ import annotations

from .ixn_scenarios import connected_call
from .ixn_world import OUTSIDE, Site


def order_of(site, session, done_name: str) -> tuple[str, list[str]]:
    """(the new interaction's id, the names of the events about it, in order)."""
    done = site.last(done_name, session)
    new = done["interactionid"]
    names = [n for n, d in site.events(session) if d.get("interactionid") == new
             and n in ("interaction.added", "interaction.present", done_name)]
    return new, names


def test_a_call_the_strategy_makes_is_added_before_createcall_done():
    site = Site()
    ixn, session = site.call()
    site.do(session, "createcall", wait=1.0, **{"from": "7002", "to": OUTSIDE})
    new, names = order_of(site, session, "voice.createcall.done")
    assert names == ["interaction.added", "interaction.present", "voice.createcall.done"]
    assert site.js(session, f"_genesys.ixn.interactions['{new}'].voice.dnis") == OUTSIDE


def test_a_consultation_call_is_added_before_consultation_done():
    site = Site()
    ixn, session = connected_call(site)
    site.do(session, "consultation", interactionid=ixn, resource="7001", to="7002", wait=2.0)
    new, names = order_of(site, session, "voice.consultation.done")
    assert names == ["interaction.added", "interaction.present", "voice.consultation.done"]


def test_a_reply_the_strategy_creates_is_added_before_createmessage_done():
    site = Site()
    ixn, session = site.email()
    site.do(session, "createmessage", interactionid=ixn, to="_origin")
    new, names = order_of(site, session, "msgbased.createmessage.done")
    assert names == ["interaction.added", "interaction.present", "msgbased.createmessage.done"]


def test_a_strategy_reading_the_new_call_in_the_done_handler_goes_on():
    # The callback strategy logs _genesys.ixn.interactions[id].voice.dnis in its done handler.
    from .queue_site import Site as QueueSite

    site = QueueSite("callback.scxml")
    site.world.start_session("q")
    site.run()
    assert site.logs("dialled") == ["+15557770001"]
    assert not [r for r in site.kind("event") if r["name"].startswith("error.execution")]
