"""openors.testing: a world built in one call, driven in virtual time, its trace queried."""

from __future__ import annotations

import asyncio

import pytest

from openors.testing import MockRoute, StartClockError, World

TOPOLOGY = {
    "dns": [{"dn": "5000", "type": "routing_point", "application": "main"},
            {"dn": "7001", "type": "extension"}],
    "agents": [{"id": "alice", "dn": "7001", "state": "ready", "answer_delay": 1, "talk_time": 20}],
}

STRATEGY = """<scxml xmlns="http://www.w3.org/2005/07/scxml"
       xmlns:session="http://www.genesyslab.com/modules/session"
       xmlns:queue="http://www.genesyslab.com/modules/queue"
       version="1.0" initial="main" _persist="false">
  <datamodel><data id="ixnid" expr="''"/><data id="rid" expr="''"/></datamodel>
  <state id="main">
    <onentry><log label="started_at" expr="new Date().toISOString()"/></onentry>
    <transition event="interaction.added">
      <assign location="ixnid" expr="_event.data.interactionid"/>
      <session:fetch requestid="rid" srcexpr="'https://crm.example.com/customers/' + 42" method="'get'" type="'application/json'"/>
    </transition>
    <transition event="session.fetch.done" target="route">
      <log label="tier" expr="JSON.parse(_event.data.content).tier"/>
    </transition>
    <transition event="error.session.fetch" target="route">
      <log label="fetch_error" expr="_event.data.error"/>
    </transition>
    <transition event="ping"><log label="pong" expr="_event.data.n"/></transition>
  </state>
  <state id="route">
    <onentry><queue:submit requestid="rid" priority="1" timeout="60"><queue:targets><queue:targetid expr="'alice@SS.A'"/></queue:targets></queue:submit></onentry>
    <transition event="queue.submit.done" target="end"/>
  </state>
  <final id="end"/>
</scxml>
"""


@pytest.fixture
def strategy(tmp_path):
    path = tmp_path / "main.scxml"
    path.write_text(STRATEGY, encoding="utf-8")
    return path


def test_a_declared_http_service_answers_the_strategy_and_the_call_is_routed(strategy):
    world = World(TOPOLOGY, applications={"main": strategy},
                  http_mocks=[MockRoute("https://crm.example.com/customers/*", body={"tier": "gold"})])
    world.platform.inbound_call("+15551110001", "5000")
    asyncio.run(world.advance_async(10))
    assert world.trace.logs("tier") == ["gold"]
    assert [c.url for c in world.http.calls] == ["https://crm.example.com/customers/42"]
    assert world.trace.event_names("queue.submit.done")
    assert world.trace.kind("session.end")[0]["final"] == "end"


def test_a_request_no_mock_declares_fails_the_way_a_broken_service_would(strategy):
    world = World(TOPOLOGY, applications={"main": strategy},
                  http_mocks=[MockRoute("https://other.example.com/*", body="{}")])
    world.platform.inbound_call("+15551110001", "5000")
    asyncio.run(world.advance_async(10))
    assert world.trace.logs("fetch_error") == ["http.599"]


def test_sessions_see_the_start_time_given_in_its_zone(strategy):
    world = World(TOPOLOGY, applications={"main": strategy}, start="2026-03-02T09:00", zone="Europe/Paris")
    session = world.start("main")
    assert session is not None
    assert world.trace.logs("started_at") == ["2026-03-02T08:00:00.000Z"]


def test_events_sent_to_a_session_are_taken_at_once(strategy):
    world = World(TOPOLOGY, applications={"main": strategy})
    session = world.start("main")
    world.send(session.id, "ping", {"n": 3})
    assert world.trace.logs("pong") == [3]
    with pytest.raises(KeyError):
        world.send("no-such-session", "ping")


def test_advance_stops_the_clock_exactly_where_asked(strategy):
    world = World(TOPOLOGY, applications={"main": strategy})
    world.advance(12.5)
    assert world.now == 12.5


@pytest.mark.parametrize("start, zone, field", [("next monday", None, "start"),
                                                ("2026-03-02T09:00", "Mars/Olympus", "zone")])
def test_a_bad_start_or_zone_is_refused_naming_the_field(strategy, start, zone, field):
    with pytest.raises(StartClockError, match=field):
        World(TOPOLOGY, applications={"main": strategy}, start=start, zone=zone)


def test_a_mock_with_an_impossible_status_is_refused():
    with pytest.raises(ValueError, match="status"):
        MockRoute("https://x.example.com/*", status=42)
