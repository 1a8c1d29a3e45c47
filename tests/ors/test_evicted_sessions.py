"""An ORS session evicted while its call waits in a queue, then restored as a new object: module
requests reach it by id, and the world gives its JS back what only the modules had pushed there
(issue 6). The server's eviction does the same steps; here they run by hand on the virtual clock."""

from __future__ import annotations

from openors.ors.actions import ActionContext
from openors.ors.session.actions import end_session
from openors.runtime.eviction import _dismantle

from .queue_site import STRATEGIES, Site

ANI = "+15551110001"


def strategy(tmp_path) -> str:
    """queue_route.scxml, also reading the call's `_genesys.ixn` view once the submit is done."""
    text = (STRATEGIES / "queue_route.scxml").read_text()
    anchor = '<assign location="req.resource" expr="_event.data.resource"/>'
    assert anchor in text
    text = text.replace(anchor, anchor + '<log label="ani" expr="_genesys.ixn.interactions[ixnid].voice.ani"/>')
    path = tmp_path / "queue_route_read.scxml"
    path.write_text(text)
    return str(path)


def evict_and_restore(site: Site, session_id: str):
    """What the runtime's Evictor does, without a store: snapshot, drop and free, restore."""
    old = site.host.sessions[session_id]
    snap, document = old.snapshot(), old.document
    site.host.scheduler.cancel_timers(old)
    del site.host.sessions[session_id]
    _dismantle(old)  # anything still holding the old object would now fail loudly
    return site.host.restore_session(snap, document=document)  # the world hears of it


def test_a_waiting_submit_answers_the_restored_copy_of_its_session(tmp_path):
    site = Site(strategy(tmp_path))
    ixn = site.call(ANI, target="?:support > 5@SS.GA")  # only carol, not ready
    restored = []
    site.at(10.0, lambda: restored.append(evict_and_restore(site, site.world.owner[ixn])))
    site.at(25.0, site.platform.agent_ready, "carol")
    site.run()
    (session,) = restored
    assert session.final_state == "routed"  # submit.done, then the redirect, reached the new object
    assert site.logs("selected") == ["carol@SS.A"]
    assert site.logs("ani") == [ANI]  # its _genesys.ixn view was pushed again on restore
    assert [r["agent"] for r in site.kind("queue.selected")] == ["carol"]


def test_an_action_context_resolves_the_live_session_by_id(tmp_path):
    site = Site(strategy(tmp_path))
    ixn = site.call(ANI, target="?:support > 5@SS.GA")  # nobody ready: it waits
    seen = {}

    def replace_then_emit() -> None:
        sid = site.world.owner[ixn]
        ctx = ActionContext(site.host.sessions[sid].interpreter, None, "R1", {})
        new = evict_and_restore(site, sid)
        seen.update(ctx=ctx, new=new, live=ctx.session is new and ctx.interp is new.interpreter)
        ctx.emit("test.ping", {"requestid": "R1"})

    site.at(10.0, replace_then_emit)
    site.run()
    ctx, new = seen["ctx"], seen["new"]
    assert seen["live"]
    assert [(e["session"], e["t"]) for e in site.events("test.ping")] == [(new.id, 10.0)]
    end_session(site.host, new)
    assert ctx.session is None and ctx.interp is None
    ctx.emit("test.ping", {"requestid": "R1"})  # an ended session hears nothing, and nothing fails
    assert len(site.events("test.ping")) == 1
