"""The queue module: target strings, <queue:submit>/<cancel>/<query>, waiting, reservations, load."""

from __future__ import annotations

import pytest

from openors.ors.catalogue import check_event
from openors.ors.queue.targets import TargetSyntaxError, evaluate, parse_condition, parse_targets

from .queue_site import STRATEGIES, Site, agent, topology

# --- target strings ---------------------------------------------------------------------------


def test_target_list_with_threshold_and_weight():
    first, second = parse_targets("{StatCallsInQueue<10}[25]8001.Q, {StatCallsInQueue<10}[75]8002@SS.Q")
    assert (first.name, first.type, first.server, first.weight) == ("8001", "Q", "", 25.0)
    assert first.threshold_text == "StatCallsInQueue<10"
    assert (second.name, second.server, second.weight, second.object) == ("8002", "SS", 75.0, "8002@SS.Q")


@pytest.mark.parametrize("text, name, type_code, server", [
    ("alice@Stat_Server.A", "alice", "A", "Stat_Server"),
    ("Place_7001@SS.AP", "Place_7001", "AP", "SS"),
    ("AG_CALL_NEXT_GEN@Stat_Server_DC1.GA", "AG_CALL_NEXT_GEN", "GA", "Stat_Server_DC1"),
    ("PG_1@SS.GP", "PG_1", "GP", "SS"),
    ("7001@SIM_Switch.DN", "7001", "DN", "SIM_Switch"),
    ("5000@SIM_Switch.RP", "5000", "RP", "SIM_Switch"),
    ("VQ.Sales@SS.Q", "VQ.Sales", "Q", "SS"),
])
def test_target_types(text, name, type_code, server):
    (target,) = parse_targets(text)
    assert (target.name, target.type, target.server) == (name, type_code, server)


def test_skill_expressions():
    (target,) = parse_targets("?:(sales > 5 & english >= 3)@StatServer.GA")
    assert target.name == "" and target.type == "GA" and target.key == "GA:?:(sales>5&english>=3)"
    assert evaluate(target.skill, {"sales": 8, "english": 3}.get)
    assert not evaluate(target.skill, {"sales": 8}.get)  # a missing skill fails every comparison
    (grouped,) = parse_targets("?Sales:psap1 > 0@Stat_Server_DC1.GA")
    assert grouped.name == "Sales" and grouped.object == "?Sales:psap1 > 0@Stat_Server_DC1.GA"


def test_conditions_run_left_to_right_without_precedence():
    cond = parse_condition("a > 1 | b > 1 & c > 1")  # (a | b) & c
    assert not evaluate(cond, {"a": 2, "b": 0, "c": 0}.get)
    assert evaluate(parse_condition("a > 1 | (b > 1 & c > 1)"), {"a": 2, "b": 0, "c": 0}.get)
    assert evaluate(parse_condition("not x = 3 and y"), {"x": 2, "y": 1}.get)
    assert evaluate(parse_condition("x <> 3 && y || z"), {"x": 2, "y": 0, "z": 4}.get)


@pytest.mark.parametrize("text, message, position", [
    ("alice@SS.XX", "unknown target type 'XX'", 9),
    ("alice", "expected NAME@STATSERVER.TYPE", 5),
    ("?:(sales > )@SS.GA", "skill expression: expected a number after '>'", 11),
    ("?:(sales > 1@SS.GA", "skill expression: missing ')'", 12),
    ("?sales > 1@SS.GA", "?GROUP:EXPRESSION", 1),
    ("{StatCallsInQueue<}x@SS.Q", "threshold: expected a number", 18),
    ("[heavy]x@SS.A", "weight 'heavy' is not a number", 0),
    ("a@SS.A, , b@SS.A", "empty target", 8),
    ("", "empty target list", 0),
])
def test_target_errors_say_what_and_where(text, message, position):
    with pytest.raises(TargetSyntaxError) as info:
        parse_targets(text)
    assert message in str(info.value)
    assert info.value.position == position


# --- submit -----------------------------------------------------------------------------------


def _done(site):
    (done,) = site.events("queue.submit.done")
    return done["data"]


def test_submit_selects_a_ready_agent_and_the_resource_routes_the_call():
    site = Site()
    ixn = site.call(target="?:sales > 5@StatServer.GA")
    site.run()
    requestid_events = site.events("queue.submit.requestid")
    assert len(requestid_events) == 1
    data = _done(site)
    assert data["requestid"] == requestid_events[0]["data"]["requestid"]
    assert data == {"requestid": data["requestid"], "interactionid": ixn, "targetselected": "7001@SIM_Switch.DN",
                    "vqselected": "VQ_Test", "targetcomponentselected": "alice@StatServer.A",
                    "targetobjectselected": "?:sales > 5@StatServer.GA",
                    "resource": {"agent": "alice", "place": "Place_alice", "dn": "7001", "switch": "SIM_Switch",
                                 "type": "A"}}
    assert check_event("queue.submit.done", data) == []
    assert check_event("queue.submit.requestid", requestid_events[0]["data"]) == []
    # requestid is processed before done
    names = [r["name"] for r in site.kind("event") if r["name"].startswith("queue.")]
    assert names == ["queue.submit.requestid", "queue.submit.done"]
    answered = [r for r in site.kind("platform") if r["event"]["kind"] == "party.changed"
                and r["event"].get("agent_id") == "alice" and r["event"]["party_state"] == "established"]
    assert answered, "the redirect to the selected resource reached alice, who answered"
    assert [r["final"] for r in site.kind("session.end")] == ["routed"]


def test_submit_waits_until_an_agent_becomes_ready():
    site = Site()
    site.call(target="?:support > 5@SS.GA")  # only carol, not ready
    site.at(25.0, site.platform.agent_ready, "carol")
    site.run()
    (selected,) = site.kind("queue.selected")
    assert selected["agent"] == "carol"
    assert 25.0 <= selected["t"] <= 25.2
    assert _done(site)["targetselected"] == "7003@SIM_Switch.DN"


def test_group_target_picks_the_longest_idle_member():
    site = Site()
    site.platform.agents["alice"].ready_since = 5.0
    site.platform.agents["bob"].ready_since = 1.0
    site.clock.advance(10)
    site.call(target="Sales@SS.GA")
    site.run()
    assert _done(site)["targetcomponentselected"] == "bob@SS.A"


def test_ordertype_max_with_a_statistic_and_percentage_with_weights():
    site = Site()
    site.platform.agents["alice"].ready_since = 1.0  # alice idle longer than bob
    site.platform.agents["bob"].ready_since = 5.0
    site.clock.advance(10)
    site.call(target="Sales@SS.GA", ordertype="min", orderstat="StatTimeInReadyState")
    site.run()
    assert _done(site)["targetcomponentselected"] == "bob@SS.A"  # min time in ready

    site = Site()
    site.call(target="[10]alice@SS.A, [90]bob@SS.A", ordertype="percentage")
    site.run()
    # both free; the first selection goes to the target furthest below its share (both at 0: first listed)
    assert _done(site)["targetcomponentselected"] == "alice@SS.A"
    router = site.world.router
    assert router.routed["A:alice"] == 1


def test_threshold_skips_a_target():
    site = Site()
    site.call(target="{StatAgentsAvailable > 5}alice@SS.A, bob@SS.A")
    site.run()
    assert _done(site)["targetcomponentselected"] == "bob@SS.A"


def test_dn_target_without_an_agent_is_delivered_at_once():
    site = Site()
    site.call(target="6000@SIM_Switch.Q")
    site.run()
    data = _done(site)
    assert data["resource"] == {"dn": "6000", "switch": "SIM_Switch", "type": "Q"}
    assert data["targetselected"] == "6000@SIM_Switch.DN"


def test_submit_errors():
    site = Site()
    site.call(target="NoSuchGroup@SS.GA")
    site.call("+15551110002", target="?:(sales >@SS.GA")
    site.call("+15551110003", target="alice@SS.A", ordertype="best")
    site.run()
    errors = [e["data"] for e in site.events("error.queue.submit")]
    assert [e["error"] for e in errors] == ["invaliddestination", "invalidtarget", "unknown"]
    assert "no agent group 'NoSuchGroup'" in errors[0]["description"]
    assert "position" in errors[1]["description"]
    assert "ordertype 'best'" in errors[2]["description"]
    for data in errors:
        assert check_event("error.queue.submit", data) == []


def test_timeout_clears_the_submit():
    site = Site()
    site.call(target="carol@SS.A", timeout=15)
    site.at(40.0, site.platform.agent_ready, "carol")
    site.run()
    (error,) = site.events("error.queue.submit")
    assert error["t"] == pytest.approx(15.0) and error["data"]["error"] == "timeout"
    assert site.kind("queue.selected") == []  # cleared on timeout: carol's readiness changes nothing
    assert check_event("error.queue.submit", error["data"]) == []


def test_caller_abandoning_while_queued():
    site = Site()
    site.platform.inbound_call("+15551110001", "5000", patience=12, udata={"target": "carol@SS.A"})
    site.run()
    (abandoned,) = site.kind("queue.abandoned")
    assert abandoned["t"] == pytest.approx(12.0, abs=0.2)
    assert site.world.router.entries == {}


def test_priority_goes_first():
    site = Site(topo=topology([agent("solo", "7001", state="not_ready")]))
    site.call("+15551110001", target="solo@SS.A")
    site.call("+15551110002", target="solo@SS.A", priority=5)
    site.at(10.0, site.platform.agent_ready, "solo")
    site.run()
    first = site.kind("queue.selected")[0]
    assert first["interaction"] == site.kind("queue.enter")[1]["interaction"]


# --- reservations and _genesys.queue -------------------------------------------------------------


def test_two_sessions_never_get_the_same_agent_and_the_reservation_expires():
    site = Site(strategy="queue_select_only.scxml", topo=topology([agent("solo", "7001")]))
    site.call("+15551110001", target="solo@SS.A")
    site.call("+15551110002", target="solo@SS.A")
    site.run()
    first, second = site.kind("queue.selected")
    assert first["agent"] == second["agent"] == "solo"
    # nobody redirected: the second waits out the first one's transition time (10 s)
    assert second["t"] - first["t"] == pytest.approx(10.0, abs=0.1)
    assert [r["agent"] for r in site.kind("queue.reservation.expired")][:1] == ["solo"]


def test_reservation_is_released_when_the_call_reaches_the_agent_and_release_is_idempotent():
    site = Site(topo=topology([agent("solo", "7001")]))
    site.call(target="solo@SS.A")
    site.run()
    router = site.world.router
    assert router.reservations == {}
    assert site.kind("queue.reservation.expired") == []
    router.release("solo")
    router.release("solo")


def test_exclude_agents_and_check_agent_state():
    site = Site()
    site.call(target="Sales@SS.GA", exclude="alice@SS.A")
    site.run()
    assert _done(site)["targetcomponentselected"] == "bob@SS.A"

    site = Site(strategy="queue_select_only.scxml")
    site.call(target="carol@SS.A", nocheck=True)
    site.run()
    assert site.kind("queue.selected")[0]["agent"] == "carol"  # not ready, but the state is not checked


def test_reserve_target_changes_and_cancels_the_blocking_time():
    site = Site(strategy="queue_select_only.scxml", topo=topology([agent("solo", "7001")]))
    site.call("+15551110001", target="solo@SS.A", reserve=0)  # releases right after the selection
    site.call("+15551110002", target="solo@SS.A", reserve=0)
    site.run()
    first, second = site.kind("queue.selected")
    assert second["t"] - first["t"] < 1.0


# --- cancel, query, route="true" --------------------------------------------------------------------


def test_query_cancel_and_route_true():
    site = Site(strategy="queue_ops.scxml")
    site.call()
    site.run()
    import json

    (query,) = site.logs("query")
    query = json.loads(query)
    assert query["priority"] == 7 and query["positioninqueue"] == 1 and query["invqwaittime"] >= 0
    assert check_event("queue.query.done", query) == []
    assert site.logs("cancel") == [True]
    assert site.logs("query.error") == ["invalidrequest"]
    assert site.logs("cancel.error") == ["invalidrequest"]
    assert site.logs("routed") == ["7002@SIM_Switch.DN"] or site.logs("routed") == ["7001@SIM_Switch.DN"]
    routed = [r for r in site.kind("platform") if r["event"]["kind"] == "request.done"
              and r["event"]["request"] == "route"]
    assert routed, "route=true: the router itself routed the call"
    for name in ("queue.cancel.done", "error.queue.cancel", "error.queue.query"):
        for event in site.events(name):
            assert check_event(name, event["data"]) == []
    assert [r["final"] for r in site.kind("session.end")] == ["done"]


# --- load -----------------------------------------------------------------------------------------------


def test_load_many_calls_few_agents_no_agent_doubly_booked_and_no_call_lost():
    agents = [agent(f"a{i}", f"70{i:02d}", skills={"sales": 5 + i}, talk_time=20) for i in range(5)]
    site = Site(topo=topology(agents, {"Sales": [a["id"] for a in agents]}))
    calls = 200
    in_hand: dict[str, set[str]] = {a["id"]: set() for a in agents}
    peak = {a["id"]: 0 for a in agents}

    def watch(ev) -> None:
        if ev.agent_id in in_hand and ev.kind in ("party.added", "party.deleted"):
            (in_hand[ev.agent_id].add if ev.kind == "party.added" else in_hand[ev.agent_id].discard)(ev.interaction_id)
            peak[ev.agent_id] = max(peak[ev.agent_id], len(in_hand[ev.agent_id]))

    site.platform.subscribe(watch)
    ids = []
    for i in range(calls):
        target = "Sales@SS.GA" if i % 2 else "?:sales > 6@SS.GA"  # a2..a4 only for half of them
        site.at(i * 0.5, lambda i=i, t=target: ids.append(site.platform.inbound_call(
            f"+1555{i:07d}", "5000", patience=60 + (i * 37) % 400, udata={"target": t})))
    site.run()

    ended = {r["event"]["interaction_id"]: r["event"] for r in site.kind("platform")
             if r["event"]["kind"] == "interaction.ended"}
    selected = {r["interaction"] for r in site.kind("queue.selected")}
    abandoned = {r["interaction"] for r in site.kind("queue.abandoned")}
    reached_agent = {r["event"]["interaction_id"] for r in site.kind("platform")
                     if r["event"]["kind"] == "party.added" and r["event"].get("agent_id")}
    assert len(ids) == calls and set(ended) == set(ids)  # every call ended
    assert selected | abandoned == set(ids) and not selected & abandoned  # each routed or abandoned
    assert selected == reached_agent  # every selection reached its agent
    for ixn in abandoned:
        assert ended[ixn]["callstate"] == 21  # Abandoned
    assert max(peak.values()) == 1, peak
    assert all(not s for s in in_hand.values())
    finals = [r["final"] for r in site.kind("session.end")]
    assert len(finals) == calls and set(finals) <= {"routed", "gone", "failed"}
    print(f"load: {calls} calls, {len(agents)} agents, routed {len(selected)}, abandoned {len(abandoned)}, "
          f"max concurrent per agent {max(peak.values())}")


def test_treatments_queued_with_a_submit_start_only_when_the_call_has_to_wait(tmp_path):
    treated = tmp_path / "queue_treated.scxml"
    treated.write_text((STRATEGIES / "queue_route.scxml").read_text(encoding="utf-8").replace(
        "<queue:targets>", '<dialog:runtreatments xmlns:dialog="http://www.genesyslab.com/modules/dialog">'
        "<dialog:playsound type=\"'music'\" duration=\"60\"/></dialog:runtreatments><queue:targets>"),
        encoding="utf-8")

    def treatments(site):
        return [r["event"]["data"] for r in site.kind("platform") if r["event"].get("request") == "treatment"]

    # A free target at once: the router selects after the submit's macrostep, when the submit has
    # already given its entry the treatments' stop(), so the music never starts.
    at_once = Site(str(treated))
    at_once.call(target="?:sales > 5@SS.GA")
    at_once.run()
    assert _done(at_once)["resource"]["agent"] == "alice"
    assert at_once.kind("treatment.start") == [] and treatments(at_once) == []
    # Waiting: the music plays until the selected agent's redirect interrupts it.
    waiting = Site(str(treated))
    waiting.call(target="?:support > 5@SS.GA")
    waiting.at(25.0, waiting.platform.agent_ready, "carol")
    waiting.run()
    (start,) = waiting.kind("treatment.start")
    assert start["treatment"] == "music" and start["t"] < 1
    assert [t.get("interrupted") for t in treatments(waiting)] == ["routed"]
