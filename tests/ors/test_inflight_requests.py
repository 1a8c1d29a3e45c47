"""Which module requests count as in flight (openors.ors.inflight): from the action until its done
or error event is delivered; a snapshot restored by a later process answers the open ones with
their error event, a snapshot restored by the same process leaves them to their module."""

from __future__ import annotations

from openors.ors.session.actions import end_session
from openors.scxml.events import Event

from .queue_site import Site

ANI = "+15551110001"

STRATEGY = """<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:queue="http://www.genesyslab.com/modules/queue"
       version="1.0" profile="ecmascript" initial="wait" _persist="false">
  <datamodel><data id="ixnid" expr="''"/><data id="rid" expr="''"/></datamodel>
  <state id="wait">
    <transition event="interaction.present" target="queued">
      <assign location="ixnid" expr="_event.data.interactionid"/>
      <queue:submit requestid="rid" interactionid="ixnid" queue="'VQ'" timeout="5" clearontimeout="false">
        <queue:targets><queue:targetid expr="'carol@SS.A'"/></queue:targets>
      </queue:submit>
    </transition>
  </state>
  <state id="queued">
    <transition event="error.queue.submit"><log label="error" expr="_event.data.error"/></transition>
    <transition event="queue.submit.done" target="routed"><log label="done" expr="_event.data.requestid"/></transition>
    <transition event="cancel"><queue:cancel requestid="rid"/></transition>
  </state>
  <final id="routed"/>
</scxml>
"""


def site_with_waiting_submit(tmp_path) -> tuple[Site, object]:
    path = tmp_path / "waiting_submit.scxml"
    path.write_text(STRATEGY)
    site = Site(str(path))
    ixn = site.call(ANI)
    site.clock.run_until(1.0)
    site.host.run_ready()
    return site, site.host.sessions[site.world.owner[ixn]]


def open_actions(site: Site, session) -> list[str]:
    return [f"{r['prefix']}.{r['action']}" for r in site.world.inflight.open_requests(session.id)]


def test_a_waiting_submit_is_in_flight_after_its_intermediate_requestid_event(tmp_path):
    site, session = site_with_waiting_submit(tmp_path)
    assert site.events("queue.submit.requestid")  # not an answer: the submit still waits
    assert open_actions(site, session) == ["queue.submit"]
    rid = site.world.inflight.open_requests(session.id)[0]["requestid"]
    assert rid == session.interpreter.datamodel.evaluate("rid")


def test_a_submit_that_timed_out_without_clearing_stays_in_flight_until_its_done(tmp_path):
    site, session = site_with_waiting_submit(tmp_path)
    site.clock.run_until(6.0)
    site.host.run_ready()
    assert site.logs("error") == ["timeout"]
    assert open_actions(site, session) == ["queue.submit"]  # still queued: done may follow
    site.platform.agent_ready("carol")
    site.run()
    assert session.final_state == "routed"
    assert site.world.inflight.open_requests(session.id) == []


def test_a_cancelled_submit_is_no_longer_in_flight(tmp_path):
    site, session = site_with_waiting_submit(tmp_path)
    site.host.deliver(session, Event("cancel", "external", None))
    site.host.run_ready()
    site.clock.run_until(site.clock.now())
    site.host.run_ready()
    assert site.events("queue.cancel.done")
    assert site.world.inflight.open_requests(session.id) == []


def test_a_snapshot_from_another_process_answers_its_open_request_with_the_error_event(tmp_path):
    site, session = site_with_waiting_submit(tmp_path)
    saved = site.world.inflight.save(session)
    later, restored = site_with_waiting_submit(tmp_path)  # another world: it never saw this request
    later.world.inflight.session_ended(restored.id)
    saved = {restored.id: saved[session.id]}
    assert later.world.inflight.restore(restored, saved) == 1
    later.host.run_ready()
    (event,) = later.events("error.queue.submit")
    assert event["data"]["requestid"] == site.world.inflight.open_requests(session.id)[0]["requestid"]
    assert "interrupted by a restart" in event["data"]["description"]
    assert later.logs("error") == ["timeout"]


def test_a_snapshot_restored_by_the_same_process_leaves_its_open_request_to_the_module(tmp_path):
    site, session = site_with_waiting_submit(tmp_path)
    assert site.world.inflight.restore(session, site.world.inflight.save(session)) == 0
    site.host.run_ready()
    assert site.events("error.queue.submit") == []


def test_an_ended_session_leaves_nothing_in_flight(tmp_path):
    site, session = site_with_waiting_submit(tmp_path)
    end_session(site.host, session)
    assert site.world.inflight.by_session == {}
