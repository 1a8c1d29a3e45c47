"""The statistic module: values from the simulator, sData in sessions, subscriptions."""

from __future__ import annotations

import pytest

from openors.ors.catalogue import check_event
from openors.ors.statistic.stats import object_key

from .queue_site import Site


def test_object_keys():
    assert object_key("alice@StatServer.A") == "A:alice"
    assert object_key(" ?Sales: english > 6 @SS.GA") == "GA:?Sales:english>6"
    assert object_key("R") == "R" and object_key("nothing") is None


def test_values_from_the_live_state():
    site = Site()
    stats = site.world.statistics
    site.clock.advance(12)
    assert stats.value("Sales@SS.GA", "StatAgentsAvailable") == 2
    assert stats.value("?:support > 5@SS.GA", "StatAgentsTotal") == 1  # carol, logged in, not ready
    assert stats.value("?:support > 5@SS.GA", "StatAgentsAvailable") == 0
    assert stats.value("alice@SS.A", "StatTimeInReadyState") == pytest.approx(12.0)
    assert stats.value("carol@SS.A", "StatTimeInReadyState") == 0
    assert stats.value("6000@SW.Q", "StatAgentsInQueueLogin") == 2  # ACD queue with skill sales
    assert stats.value("alice@SS.A", "NoSuchStat") is None
    assert stats.value("nobody@SS.A", "StatAgentsTotal") is None

    site.call(target="carol@SS.A")  # waits: carol is not ready
    site.clock.call_later(5, lambda: None)
    site.host.run_until_idle()
    assert stats.value("VQ_Test@SS.Q", "StatCallsInQueue") == 0  # the caller gave up by now
    assert stats.value("R", "CallsEntered") == 1


def test_calls_in_queue_and_answered():
    site = Site()
    stats = site.world.statistics
    site.call(target="carol@SS.A")
    site.call("+15551110002", target="alice@SS.A")
    site.clock.advance(0.5)
    site.host.run_ready()
    site.clock.advance(0.5)
    site.host.run_ready()
    assert stats.value("VQ_Test@.Q", "StatCallsInQueue") == 1
    assert stats.value("carol@SS.A", "StatCallsInQueue") == 1
    assert stats.value("VQ_Test@.Q", "StatExpectedWaitingTime") > 0
    for _ in range(10):
        site.clock.advance(1)
        site.host.run_ready()
    assert stats.value("alice@SS.A", "StatCallsAnswered") == 1  # and talks for 30 s
    assert stats.value("Sales@SS.GA", "StatLoadBalance") == 0.5
    assert stats.value("Sales@SS.GA", "StatAgentsBusy") == 1
    site.run()
    assert stats.value("alice@SS.A", "StatCallsCompleted") == 1


def test_sdata_and_subscriptions_in_a_session():
    site = Site(strategy="statistic.scxml")
    site.call()
    site.at(10.0, site.platform.agent_not_ready, "bob")
    site.run()
    assert site.logs("available") == [2] and site.logs("total") == [2]
    assert site.logs("ready.alice") == [pytest.approx(0.0, abs=0.2)]
    assert site.logs("router") == [0]
    assert site.logs("unknown") == ["undefined"]
    # a skill expression nobody used before: undefined once, then covered
    assert site.logs("skill.first") == ["undefined"] and site.logs("skill.later") == [1]
    assert site.logs("duplicate") == ["Subscription Already Active"]
    assert site.logs("bad") == ["Request Invalid"]
    assert site.logs("update") == [2.0, 1.0]  # at subscription, then when bob left
    assert site.logs("unsubscribe.again") == ["Request Invalid"]
    for name in ("statistic.subscribe.done", "statistic.update", "error.statistic.subscribe",
                 "statistic.unsubscribe.done", "error.statistic.unsubscribe"):
        assert site.events(name), name
        for event in site.events(name):
            assert check_event(name, event["data"]) == [], name


def test_periodic_subscription_reports_changes_only():
    site = Site()
    service = site.world.statistic_service
    session = type("S", (), {"id": "s1"})()
    sent = []
    site.world.host.sessions["s1"] = session
    site.world.deliver = lambda s, name, data: sent.append((site.clock.now(), data["value"]))
    sub = service.subscribe(session, "alice@SS.A", "A:alice", "StatTimeInReadyState", 5.0)
    service.send("s1", sub, always=True)
    site.clock.advance(12)
    assert [v for _, v in sent] == [0.0, 5.0, 10.0]
    service.unsubscribe(session, "alice@SS.A", "StatTimeInReadyState")
    site.clock.advance(12)
    assert len(sent) == 3
