"""The rest of the queue module: `<queue:update>`, activity and workbin targets, and
`_genesys.queue.cCTExtractTargets`."""

from __future__ import annotations

import pytest

from tests.ors.module_site import MULTIMEDIA_TOPOLOGY, TOPOLOGY, ModuleSite


def agent(agent_id: str, dn: str, state: str = "ready", **extra) -> dict:
    return {"id": agent_id, "dn": dn, "state": state, "answer_delay": 1, "talk_time": None, **extra}


SITE = {
    **TOPOLOGY,
    "dns": TOPOLOGY["dns"] + [{"dn": "5001", "type": "routing_point", "application": "app"},
                              {"dn": "7002", "type": "extension"}, {"dn": "7003", "type": "extension"}],
    "agents": [agent("alice", "7001", "not_ready", skills={"Billing": 5}),
               agent("bob", "7002", "not_ready", skills={"Collections": 3}),
               agent("carol", "7003", "not_ready")],
    "agent_groups": {"Retention": ["carol"]},
}


def queue_site(tmp_path, body: str, topology=SITE, **kwargs) -> ModuleSite:
    return ModuleSite(tmp_path, body, topology=topology, **kwargs)


def test_update_raises_a_waiting_callers_priority_so_an_agent_takes_it_first(tmp_path):
    # Two callers wait for alice; the strategy raises the second one's priority (a VIP found late).
    site = queue_site(tmp_path, """
      <transition event="interaction.present">
        <queue:submit requestid="rid" queue="'VQ_Billing'" priority="1" timeout="600">
          <queue:targets><queue:target name="'alice'" type="agent"/></queue:targets>
        </queue:submit>
      </transition>
      <transition event="queue.submit.requestid">
        <if cond="_genesys.ixn.interactions[ixnid].voice.ani == '+15550000002'">
          <queue:update requestid="_event.data.requestid" priority="100"/>
        </if>
      </transition>
      <transition event="queue.update.done"><log label="updated" expr="_event.data.requestid == rid"/></transition>
      <transition event="queue.submit.done"><log label="selected" expr="_genesys.ixn.interactions[ixnid].voice.ani"/>
      </transition>""")
    site.platform.inbound_call("+15550000001", "5000", patience=600)
    site.run(1)
    site.platform.inbound_call("+15550000002", "5001", patience=600)
    site.run(5)
    site.platform.agent_ready("alice")
    site.run(2)
    assert site.logs("updated") == [True]
    assert site.logs("selected") == ["+15550000002"]
    site.check_catalogue("queue.")


def test_update_of_a_submit_that_no_longer_waits_is_an_error(tmp_path):
    site = queue_site(tmp_path, """
      <transition event="interaction.present"><queue:update requestid="'no-such-submit'" priority="5"/></transition>
      <transition event="error.queue.update"><log label="error" expr="_event.data.error"/></transition>""")
    site.call()
    site.run(2)
    assert site.logs("error") == ["invalidrequest"]
    site.check_catalogue("queue.")


def test_update_with_treatments_replaces_what_the_caller_hears(tmp_path):
    site = queue_site(tmp_path, """
      <transition event="interaction.present">
        <queue:submit requestid="rid" timeout="600">
          <queue:targets><queue:target name="'alice'" type="agent"/></queue:targets>
          <dialog:runtreatments><dialog:playsound type="'ringback'" duration="100"/></dialog:runtreatments>
        </queue:submit>
        <send event="'long.wait'" delay="'20s'"/>
      </transition>
      <transition event="long.wait">
        <queue:update requestid="rid">
          <dialog:runtreatments><dialog:playsound type="'music'" resource="'jazz'" duration="100"/>
          </dialog:runtreatments>
        </queue:update>
      </transition>""")
    site.call()
    site.run(30)
    played = [r["treatment"] for r in site.records if r["kind"] == "treatment.start"]
    assert played == ["ringback", "music:jazz"]


@pytest.mark.parametrize(("activity", "agent_id"), [("'Retention'", "carol"), ("'Billing'", "alice")])
def test_an_activity_target_selects_the_agents_scheduled_for_it(tmp_path, activity, agent_id):
    site = queue_site(tmp_path, f"""
      <transition event="interaction.present">
        <queue:submit timeout="60"><queue:targets><queue:activity name="{activity}" statserver="'SS'"/>
        </queue:targets></queue:submit>
      </transition>
      <transition event="queue.submit.done"><log label="agent" expr="_event.data.resource.agent"/></transition>""")
    for a in ("alice", "bob", "carol"):
        site.platform.agent_ready(a)
    site.call()
    site.run(5)
    assert site.logs("agent") == [agent_id]


WORKBIN_SITE = {**MULTIMEDIA_TOPOLOGY, "workbins": [{"name": "Personal"}],
                "agents": [agent("alice", "7001", "not_ready", media=["voice", "email"])]}


def test_a_workbin_target_puts_the_email_in_the_selected_agents_workbin(tmp_path):
    # alice is not ready: a workbin takes the e-mail all the same, without ringing her.
    site = queue_site(tmp_path, """
      <transition event="interaction.present">
        <queue:submit route="true" timeout="60">
          <queue:targets><queue:target name="'alice'" type="agent"/><queue:workbin name="'Personal'"/>
          </queue:targets></queue:submit>
      </transition>
      <transition event="queue.submit.done"><log label="resource" expr="JSON.stringify(_event.data.resource)"/>
      </transition>""", topology=WORKBIN_SITE)
    ixn = site.platform.inbound_email("jane@example.org", subject="Statement", body="Please call me")
    site.run(5)
    assert site.logs("resource") == ['{"type":"wb","id":"Personal","wb_owner":"alice","agent":"alice"}']
    assert site.platform.workbins["Personal"].interactions == {"alice": [ixn]}


def test_a_call_cannot_wait_in_a_workbin(tmp_path):
    site = queue_site(tmp_path, """
      <transition event="interaction.present">
        <queue:submit><queue:targets><queue:target name="'alice'" type="agent"/><queue:workbin name="'Personal'"/>
        </queue:targets></queue:submit></transition>
      <transition event="error.queue.submit"><log label="error" expr="_event.data.error"/></transition>""",
                      topology=WORKBIN_SITE)
    site.call()
    site.run(2)
    assert site.logs("error") == ["invaliddestination"]


def test_cct_extract_targets_builds_the_list_submit_takes(tmp_path):
    site = queue_site(tmp_path, """
      <transition event="interaction.present">
        <script>
          var list = _genesys.queue.cCTExtractTargets('alice@SS.A, {StatAgentsAvailable&gt;0}[30]bob@SS.A',
              [{name: 'Retention', type: 'agentgroup', statserver: 'SS'}, {name: 'Billing > 3', type: 'skill'}],
              'alice@SS.A');
        </script>
        <log label="list" expr="list"/>
        <queue:submit timeout="60" target="list"/>
      </transition>
      <transition event="queue.submit.done"><log label="agent" expr="_event.data.resource.agent"/></transition>""")
    site.platform.agent_ready("alice")
    site.call()
    site.run(5)
    assert site.logs("list") == ["alice@SS.A, {StatAgentsAvailable>0}[30]bob@SS.A, Retention@SS.GA, ?:Billing > 3@.GA"]
    assert site.logs("agent") == ["alice"]
