"""The flow debugger over HTTP on a real server: breakpoints hold a session's events while others
run, step and continue release them, variables are read and set, every pause has a bound."""

from __future__ import annotations

import pytest

from .serving import CHARTS, ThreadServer, client, wait_for, write_config

WAITER = (CHARTS / "waiter.scxml").as_uri()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("debugger")
    config = write_config(tmp, runtime={"idle_eviction_s": None},
                          sections={"debugger": {"max_pause": "2s"}})
    srv = ThreadServer(config).start()
    yield srv
    srv.stop()


@pytest.fixture
def http(server):
    with client(server.url) as c:
        yield c


def start(http, **fields) -> str:
    return http.post("/scxml/session/start", data={"src": WAITER, "delay_ms": "600000", **fields}).json()["sessionid"]


def count(http, sid) -> int:
    return http.get(f"/scxml/session/{sid}/query").json()["data"]["n"]


def test_an_event_breakpoint_holds_the_session_while_others_run_and_step_and_continue_release_it(http):
    sid, other = start(http), start(http)
    state = http.put(f"/ors/sessions/{sid}/breakpoints", json={"events": ["bu*"]}).json()
    assert state["breakpoints"] == {"states": [], "events": ["bu*"]} and not state["paused"]
    for _ in range(3):
        http.post(f"/scxml/session/{sid}/event/bump")
        http.post(f"/scxml/session/{other}/event/bump")
    wait_for(lambda: count(http, other) == 3)
    debug = http.get(f"/ors/sessions/{sid}/debug").json()
    assert debug["paused"] and debug["reason"] == "breakpoint on event bump" and count(http, sid) == 0
    assert http.get(f"/ors/sessions/{sid}").json()["queued_events"] == 3

    assert http.post(f"/ors/sessions/{sid}/step").status_code == 200
    wait_for(lambda: http.get(f"/ors/sessions/{sid}/debug").json()["paused"])
    assert count(http, sid) == 1 and http.get(f"/ors/sessions/{sid}/debug").json()["reason"] == "stepped one macrostep"

    http.put(f"/ors/sessions/{sid}/breakpoints", json={})
    assert http.post(f"/ors/sessions/{sid}/continue").json()["paused"] is False
    wait_for(lambda: count(http, sid) == 3)
    again = http.post(f"/ors/sessions/{sid}/continue")
    assert again.status_code == 409 and "not paused" in again.json()["message"]


def test_a_state_breakpoint_pauses_after_the_macrostep_that_entered_it(http):
    sid = start(http)
    http.put(f"/ors/sessions/{sid}/breakpoints", json={"states": ["finished"]})
    http.post(f"/scxml/session/{sid}/event/tick")
    wait_for(lambda: http.get(f"/ors/sessions/{sid}/debug").json()["paused"])
    assert http.get(f"/ors/sessions/{sid}/configuration").json()["configuration"] == ["main", "finished"]
    assert http.get(f"/ors/sessions/{sid}/debug").json()["reason"] == "breakpoint on state finished"
    http.post(f"/scxml/session/{sid}/event/close")
    assert http.get(f"/ors/sessions/{sid}").status_code == 200  # close waits behind the pause
    http.post(f"/ors/sessions/{sid}/continue")
    wait_for(lambda: http.get(f"/ors/sessions/{sid}").status_code == 404)


def test_a_forgotten_pause_ends_by_itself_after_max_pause(http):
    sid = start(http)
    http.post(f"/ors/sessions/{sid}/pause")
    http.post(f"/scxml/session/{sid}/event/bump")
    assert http.get(f"/ors/sessions/{sid}/debug").json()["paused"]
    wait_for(lambda: count(http, sid) == 1, timeout=15)
    assert not http.get(f"/ors/sessions/{sid}/debug").json()["paused"]


def test_variables_are_evaluated_and_set_and_bad_input_is_refused_clearly(http):
    sid = start(http, who="ann")
    assert http.post(f"/ors/sessions/{sid}/evaluate", json={"expr": "who + '!'"}).json()["value"] == "ann!"
    assert http.post(f"/ors/sessions/{sid}/variables", json={"location": "n", "expr": "n + 41"}).json()["value"] == 41
    http.post(f"/scxml/session/{sid}/event/bump")
    wait_for(lambda: count(http, sid) == 42)
    for path, body, words in (
            ("evaluate", {"expr": "1 +"}, "SyntaxError"),
            ("evaluate", {"expr": "while (true) {}"}, "CPU budget"),
            ("evaluate", {}, "'expr' is required"),
            ("variables", {"location": "n", "expr": "nosuch.x"}, "cannot assign"),
            ("variables", {"location": "", "expr": "1"}, "'location' must be a non-empty string")):
        answer = http.post(f"/ors/sessions/{sid}/{path}", json=body)
        assert answer.status_code == 400 and words in answer.json()["message"], answer.text
    bad = http.post(f"/ors/sessions/{sid}/evaluate", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "JSON" in bad.json()["message"]
    unknown = http.put(f"/ors/sessions/{sid}/breakpoints", json={"states": ["nowhere"]})
    assert unknown.status_code == 400 and unknown.json()["field"] == "states"
    assert http.put(f"/ors/sessions/{sid}/breakpoints", json={"events": "bump"}).status_code == 400
    assert http.post("/ors/sessions/nosuch/pause").status_code == 404
    assert count(http, sid) == 42  # the session lived through all of it


def test_a_chart_is_laid_out_for_running_and_finished_sessions(http):
    sid = start(http)
    chart = http.get(f"/ors/console/sessions/{sid}/chart").json()
    ids = {b["id"] for b in chart["boxes"]}
    assert {"main", "waiting", "finished", "done"} <= ids
    main = next(b for b in chart["boxes"] if b["id"] == "main")
    waiting = next(b for b in chart["boxes"] if b["id"] == "waiting")
    assert main["x"] <= waiting["x"] and waiting["x"] + waiting["w"] <= main["x"] + main["w"]
    assert {"source": "waiting", "targets": ["finished"], "event": "tick", "cond": None} in chart["edges"]
    http.post(f"/scxml/session/{sid}/terminate")
    wait_for(lambda: http.get(f"/ors/console/sessions/{sid}/chart").status_code == 200)
    assert http.get("/ors/console/sessions/nosuch/chart").status_code == 404


def test_the_debugger_can_be_switched_off(tmp_path):
    srv = ThreadServer(write_config(tmp_path, sections={"debugger": {"enabled": False}})).start()
    try:
        with client(srv.url) as http:
            sid = start(http)
            answer = http.post(f"/ors/sessions/{sid}/pause")
            assert answer.status_code == 403 and "debugger.enabled" in answer.json()["message"]
    finally:
        srv.stop()
