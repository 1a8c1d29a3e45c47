"""Flow logs outlive their sessions: read and searched over HTTP after the end, kept in the store
across a restart, bounded per session."""

from __future__ import annotations

import pytest

from .serving import CHARTS, ThreadServer, client, wait_for, write_config

WAITER = (CHARTS / "waiter.scxml").as_uri()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flowlogs")
    config = write_config(tmp, runtime={"idle_eviction_s": None, "flush_interval_ms": 20},
                          sections={"flow_logs": {"max_entries_per_session": 40, "retention": "1d"}})
    srv = ThreadServer(config).start()
    yield srv
    srv.stop()


def finished_session(http, **fields) -> str:
    sid = http.post("/scxml/session/start", data={"src": WAITER, "delay_ms": "20", **fields}).json()["sessionid"]
    wait_for(lambda: http.get(f"/ors/sessions/{sid}/configuration").json().get("configuration") == ["main", "finished"])
    http.post(f"/scxml/session/{sid}/event/close", data={"why": "done"})
    wait_for(lambda: http.get(f"/ors/sessions/{sid}").status_code == 404)
    return sid


def test_a_finished_session_still_has_its_trace_and_whole_flow_log(server):
    with client(server.url) as http:
        sid = finished_session(http, who="zoe", ANI="+15550100", DNIS="5000")
        trace = http.get(f"/ors/sessions/{sid}/trace")
        assert trace.status_code == 200
        kinds = [(e["kind"], e.get("state") or e.get("name") or e.get("label")) for e in trace.json()["trace"]]
        assert ("state", "waiting") in kinds and ("event", "tick") in kinds and ("event", "close") in kinds
        assert ("log", "outcome") in kinds and ("exit", "finished") in kinds

        log = http.get(f"/ors/flowlogs/{sid}").json()
        assert log["summary"]["status"] == "ended" and log["summary"]["final"] == "done"
        entries = log["entries"]
        assert entries[0]["kind"] == "start" and entries[0]["params"]["who"] == "zoe"
        close = next(e for e in entries if e["kind"] == "event" and e["name"] == "close")
        assert close["data"] == {"why": "done"}
        steps = [e for e in entries if e["kind"] == "macrostep"]
        assert steps[0]["datamodel"]["who"] == "zoe" and steps[0]["configuration"] == ["main", "waiting"]
        assert any(s["datamodel"].get("outcome") == "zoe:0" for s in steps)
        numbers = [e["n"] for e in entries]
        assert numbers == sorted(numbers) and entries[-1]["kind"] == "end"


def test_flow_logs_are_searched_by_session_ani_and_dnis(server):
    with client(server.url) as http:
        sid = finished_session(http, ani="+33100000001", dnis="5003")
        other = finished_session(http, ani="+33100000002", dnis="5003")
        by_ani = http.get("/ors/flowlogs", params={"ani": "+33100000001"}).json()["flowlogs"]
        assert [f["session"] for f in by_ani] == [sid]
        by_dnis = {f["session"] for f in http.get("/ors/flowlogs", params={"dnis": "5003"}).json()["flowlogs"]}
        assert {sid, other} <= by_dnis
        assert [f["session"] for f in http.get("/ors/flowlogs", params={"session": other}).json()["flowlogs"]] == [other]
        both = http.get("/ors/flowlogs", params={"ani": "x", "dnis": "y"})
        assert both.status_code == 400 and "one of session, interaction, ani, dnis" in both.json()["message"]
        assert http.get("/ors/flowlogs", params={"limit": 0}).status_code == 400
        assert http.get("/ors/flowlogs/nosuch").status_code == 404


def test_a_session_flow_log_keeps_its_latest_entries_within_its_bound(server):
    with client(server.url) as http:
        sid = http.post("/scxml/session/start", data={"src": WAITER, "delay_ms": "60000"}).json()["sessionid"]
        for i in range(30):
            http.post(f"/scxml/session/{sid}/event/bump", data={"i": str(i)})
        wait_for(lambda: http.get(f"/scxml/session/{sid}/query").json()["data"]["n"] == 30)
        log = http.get(f"/ors/flowlogs/{sid}").json()
        assert log["summary"]["status"] == "running"
        assert len(log["entries"]) == 40 and log["summary"]["dropped"] > 0
        last = [e for e in log["entries"] if e["kind"] == "event"][-1]
        assert last["name"] == "bump" and last["data"] == {"i": "29"}
        http.post(f"/scxml/session/{sid}/terminate")


def test_flow_logs_survive_a_restart_of_the_server(tmp_path):
    config = write_config(tmp_path, runtime={"idle_eviction_s": None})
    first = ThreadServer(config).start()
    try:
        with client(first.url) as http:
            sid = finished_session(http, ani="+15550199")
    finally:
        first.stop()
    second = ThreadServer(config).start()
    try:
        with client(second.url) as http:
            log = http.get(f"/ors/flowlogs/{sid}").json()
            assert log["summary"]["ani"] == "+15550199" and log["entries"][-1]["kind"] == "end"
    finally:
        second.stop()


def test_bad_flow_log_settings_are_refused_with_the_key_named(tmp_path):
    from openors.server.config import ConfigError, load_config

    for section, words in (({"retention": "forever"}, "flow_logs.retention"),
                           ({"max_sessions": 0}, "flow_logs.max_sessions"),
                           ({"colour": 1}, "unknown key(s) in 'flow_logs'")):
        with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
            load_config(write_config(tmp_path, sections={"flow_logs": section}))
    assert load_config(write_config(tmp_path, sections={"flow_logs": {"retention": "12h"}})
                       ).runtime.flow_logs.retention == 12 * 3600
