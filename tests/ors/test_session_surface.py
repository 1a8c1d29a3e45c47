"""The rest of the session module: scheduled starts (`<session:start idealtime>`) moved by
`<session:updatestart>`, `_genesys.session.ActiveServerName()`, and `<session:fetch>` with
`method="esp"` (configured ESP answers) and `method="urs"` (URS's statistics)."""

from __future__ import annotations

import json

import pytest

from tests.ors.module_site import ModuleSite

CONFIG = {"server": {"name": "ORS_Paris", "cluster": "ORS_Cluster"}, "epoch": "2024-03-11T09:00:00Z"}
CHILD = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="s" _persist="false">
  <state id="s"><onentry><log label="child started" expr="_sessionid"/></onentry></state>
</scxml>"""
CALLBACK_AT_0915 = "new Date(Date.UTC(2024, 2, 11, 9, 15, 0)).getTime()"


def test_a_scheduled_session_starts_at_its_idealtime_and_updatestart_moves_it(tmp_path):
    # A callback scheduler: book a session for 09:15, then the customer asks for 09:30.
    site = ModuleSite(tmp_path, f"""
      <transition event="interaction.present">
        <session:start requestid="rid" src="child.scxml" sessionid="childId" idealtime="{CALLBACK_AT_0915}"/>
      </transition>
      <transition event="session.start.done"><log label="booked" expr="_event.data.sessionid == childId"/>
        <send event="'customer.changed.mind'" delay="'60s'"/></transition>
      <transition event="customer.changed.mind">
        <session:updatestart sessionid="childId" idealtime="'2024-03-11T09:30:00Z'"/></transition>
      <transition event="session.updatestart.done"><log label="moved" expr="_event.data.sessionid"/></transition>""",
                      datamodel='<data id="childId" expr="\'\'"/>', config_lists=CONFIG,
                      extra_documents={"child.scxml": CHILD})
    site.call()
    site.run(20 * 60)
    assert site.logs("booked") == [True]
    child = site.logs("moved")[0]
    assert site.logs("child started") == []  # 09:15 went by: it was moved
    site.run(11 * 60)
    assert site.logs("child started") == [child]
    start = [r for r in site.records if r["kind"] == "session.start" and r["session"] == child][0]
    assert start["t"] == pytest.approx(30 * 60, abs=0.5)
    site.check_catalogue("session.")


def test_updatestart_of_a_session_that_already_started_is_an_error(tmp_path):
    site = ModuleSite(tmp_path, """
      <transition event="interaction.present">
        <session:start src="child.scxml" sessionid="childId"/></transition>
      <transition event="session.start.done">
        <session:updatestart sessionid="childId" idealtime="'2024-03-11T10:00:00Z'"/></transition>
      <transition event="error.session.updatestart"><log label="error" expr="_event.data.description"/></transition>""",
                      datamodel='<data id="childId" expr="\'\'"/>', config_lists=CONFIG,
                      extra_documents={"child.scxml": CHILD})
    site.call()
    site.run(5)
    assert "already started" in site.logs("error")[0]
    site.check_catalogue("session.")


def test_a_bad_idealtime_says_what_it_accepts(tmp_path):
    site = ModuleSite(tmp_path, """
      <transition event="interaction.present"><session:start src="child.scxml" idealtime="'tomorrow'"/></transition>
      <transition event="error.session.start"><log label="error" expr="_event.data.description"/></transition>""",
                      config_lists=CONFIG, extra_documents={"child.scxml": CHILD})
    site.call()
    site.run(5)
    assert "ISO 8601" in site.logs("error")[0]


def test_active_server_name_is_the_configured_ors_application(tmp_path):
    site = ModuleSite(tmp_path, """<transition event="interaction.present">
      <log label="server" expr="_genesys.session.ActiveServerName()"/></transition>""", config_lists=CONFIG)
    site.call()
    site.run(1)
    assert site.logs("server") == ["ORS_Paris"]


ESP_CONFIG = {**CONFIG, "lists": {"ESP": {
    "UCS/Contact/GetContact": {"content": {"ContactId": "0001", "FirstName": "Jane", "Segment": "Gold"}},
    "UCS/Contact/Broken": {"FaultCode": "101", "FaultString": "contact database offline"},
}}}


def esp_strategy(method: str, params: str) -> str:
    return f"""
      <transition event="interaction.present">
        <session:fetch requestid="rid" method="'esp'" srcexpr="'UCS'" type="'application/json'">
          <param name="Service" expr="'Contact'"/><param name="Method" expr="'{method}'"/>{params}
        </session:fetch>
      </transition>
      <transition event="session.fetch.done" cond="_event.data.requestid == rid">
        <script>var answer = JSON.parse(_event.data.content);</script>
        <log label="segment" expr="answer.Segment"/></transition>
      <transition event="error.session.fetch"><log label="error" expr="_event.data.error + ': ' + _event.data.description"/>
      </transition>"""


def test_esp_fetch_answers_from_the_configured_server_service_and_method(tmp_path):
    site = ModuleSite(tmp_path, esp_strategy("GetContact", '<param name="Phone" expr="\'+15551110001\'"/>'),
                      config_lists=ESP_CONFIG)
    site.call()
    site.run(5)
    assert site.logs("segment") == ["Gold"]
    site.check_catalogue("session.")


@pytest.mark.parametrize(("method", "words"), [("Broken", "101: contact database offline"),
                                               ("Missing", "UCS/Contact/Missing")])
def test_esp_fetch_faults_and_unknown_methods_are_errors(tmp_path, method, words):
    site = ModuleSite(tmp_path, esp_strategy(method, ""), config_lists=ESP_CONFIG)
    site.call()
    site.run(5)
    assert words in site.logs("error")[0]
    site.check_catalogue("session.")


def test_urs_fetch_reads_a_statistic_the_way_urs_answers_it(tmp_path):
    site = ModuleSite(tmp_path, """
      <transition event="interaction.present">
        <session:fetch method="'urs'" srcexpr="'urs/stat/alice@SS.A/StatAgentsAvailable'"/>
        <session:fetch method="'urs'" srcexpr="'urs/stat/alice@SS.A/NoSuchStatistic'"/>
        <session:fetch method="'urs'" srcexpr="'urs/call/everything'"/>
      </transition>
      <transition event="session.fetch.done"><log label="content" expr="_event.data.content"/></transition>
      <transition event="error.session.fetch"><log label="error" expr="_event.data.error"/></transition>""")
    site.call()
    site.run(5)
    assert [json.loads(c) for c in site.logs("content")] == [{"value": 1.0}]
    assert site.logs("error") == ["http.404", "http.404"]
