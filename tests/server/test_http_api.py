"""Every endpoint of the HTTP API, good and bad input, against a real server on loopback."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from .serving import CHARTS, ThreadServer, client, wait_for, write_config

WAITER = (CHARTS / "waiter.scxml").as_uri()
NOPERSIST = (CHARTS / "nopersist.scxml").as_uri()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    srv = ThreadServer(write_config(tmp, runtime={"idle_eviction_s": None, "flush_interval_ms": 20})).start()
    yield srv
    srv.stop()


@pytest.fixture
def http(server):
    with client(server.url) as c:
        yield c


def stored_ids(server) -> set[str]:
    with sqlite3.connect(server.config.store_path) as db:
        return {row[0] for row in db.execute("SELECT id FROM sessions")}


def start(http, **fields) -> str:
    if "src" not in fields:
        fields["src"] = WAITER
        # the waiter counts events only while it waits: an hour unless a test wants its timer
        fields.setdefault("delay_ms", "3600000")
    response = http.post("/scxml/session/start", data=fields)
    assert response.status_code == 200, response.text
    return response.json()["sessionid"]


# --- start ----------------------------------------------------------------------------------------
def test_start_with_a_form_puts_parameters_into_data_and_sets_the_cookie(http):
    response = http.post("/scxml/session/start", data={"src": WAITER, "who": "alice"})
    assert response.status_code == 200
    sid = response.json()["sessionid"]
    assert response.cookies["ORSSESSIONID"] == sid
    query = http.get(f"/scxml/session/{sid}/query").json()
    assert query["status"] == "running" and query["configuration"] == ["main", "waiting"]
    assert query["data"]["who"] == "alice" and query["data"]["n"] == 0


def test_multipart_bodies_reach_the_session_like_forms_do(http):
    # the fast path leaves multipart to FastAPI's routes: same parameters, same answers
    response = http.post("/scxml/session/start", files={"src": (None, WAITER), "who": (None, "dora")})
    assert response.status_code == 200, response.text
    sid = response.json()["sessionid"]
    assert response.cookies["ORSSESSIONID"] == sid
    answer = http.post(f"/scxml/session/{sid}/event/bump", files={"seq": (None, "7")})
    assert answer.json() == {"sessionid": sid, "event": "bump", "status": "queued"}
    wait_for(lambda: http.get(f"/scxml/session/{sid}/query").json()["data"]["n"] == 1)
    query = http.get(f"/scxml/session/{sid}/query").json()
    assert query["data"]["who"] == "dora" and query["data"]["last"] == {"seq": "7"}
    missing = http.post("/scxml/session/start", files={"who": (None, "erin")})
    assert missing.status_code == 400 and missing.json()["error"] == "MalformedBody"


def test_an_unknown_session_gets_the_same_404_whichever_way_its_body_is_sent(http):
    fast = http.post("/scxml/session/nosuch/event/bump", data={"a": "1"})
    routed = http.post("/scxml/session/nosuch/event/bump", files={"a": (None, "1")})
    assert fast.status_code == routed.status_code == 404
    assert fast.json() == routed.json() and fast.json()["error"] == "UnknownSession"


def test_start_with_json_and_with_query_parameters(http):
    sid = http.post("/scxml/session/start", json={"src": WAITER, "who": {"name": "bob"}}).json()["sessionid"]
    assert http.get(f"/scxml/session/{sid}/query").json()["data"]["who"] == {"name": "bob"}
    sid = http.post("/scxml/session/start", params={"src": WAITER, "who": "carol"}).json()["sessionid"]
    assert http.get(f"/scxml/session/{sid}/query").json()["data"]["who"] == "carol"


def test_start_by_application_name_and_with_an_alternate_url(http):
    sid = start(http, src="waiter", who="app")
    assert http.get(f"/scxml/session/{sid}/query").json()["document"] == WAITER
    sid = start(http, src=f"{CHARTS.as_uri()}/missing.scxml {WAITER}")
    assert http.get(f"/scxml/session/{sid}/query").json()["document"] == WAITER


def test_start_in_the_future_with_idealtime(http):
    at = int(time.time() * 1000) + 400
    sid = start(http, src=WAITER, idealtime=str(at), who="later")
    query = http.get(f"/scxml/session/{sid}/query").json()
    assert query == {"sessionid": sid, "status": "scheduled", "document": WAITER, "idealtime": at,
                     "params": {"who": "later"}}
    running = wait_for(lambda: http.get(f"/scxml/session/{sid}/query").json().get("status") == "running")
    assert running
    assert http.get(f"/scxml/session/{sid}/query").json()["data"]["who"] == "later"


@pytest.mark.parametrize("fields, status, words", [
    ({}, 400, ["'src'", "required"]),
    ({"src": "  "}, 400, ["'src'"]),
    ({"src": WAITER, "idealtime": "soon"}, 400, ["idealtime"]),
    ({"src": f"{CHARTS.as_uri()}/missing.scxml"}, 400, ["missing.scxml", "No such file"]),
    ({"src": (CHARTS / "broken.scxml").as_uri()}, 400, ["broken.scxml:4", "malformed XML"]),
    ({"src": (CHARTS / "badtarget.scxml").as_uri()}, 400, ["badtarget.scxml:3", "nowhere"]),
    ({"src": "ftp://example.invalid/x.scxml"}, 400, ["ftp"]),
])
def test_start_refuses_bad_input_with_a_clear_message(http, fields, status, words):
    response = http.post("/scxml/session/start", data=fields)
    assert response.status_code == status
    message = response.json()["message"]
    for word in words:
        assert word in message


def test_start_names_the_line_of_a_load_error(http):
    body = http.post("/scxml/session/start", data={"src": (CHARTS / "badtarget.scxml").as_uri()}).json()
    assert body["error"] == "DocumentLoadFailed" and body["line"] == 3
    assert body["url"].endswith("badtarget.scxml")


def test_start_refuses_malformed_bodies(http):
    bad_json = http.post("/scxml/session/start", content=b"{nope", headers={"content-type": "application/json"})
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["message"]
    array = http.post("/scxml/session/start", json=[WAITER])
    assert array.status_code == 400 and "object" in array.json()["message"]
    text = http.post("/scxml/session/start", content=b"src=x", headers={"content-type": "text/plain"})
    assert text.status_code == 415


# --- event ----------------------------------------------------------------------------------------
def test_event_fields_become_event_data(http):
    sid = start(http)
    response = http.post(f"/scxml/session/{sid}/event/bump", data={"ani": "5551234", "tag": ["a", "b"]})
    assert response.status_code == 200 and response.json()["status"] == "queued"
    http.post(f"/scxml/session/{sid}/event/bump", json={"deep": {"x": 1}})
    data = wait_for(lambda: (d := http.get(f"/scxml/session/{sid}/query").json()["data"])["n"] == 2 and d)
    assert data["last"] == {"deep": {"x": 1}}
    datamodel = http.get(f"/ors/sessions/{sid}/datamodel").json()["datamodel"]
    assert datamodel["n"] == 2


def test_event_for_an_unknown_session_is_404_and_bad_body_is_400(http):
    response = http.post("/scxml/session/nosuchsession/event/bump")
    assert response.status_code == 404 and "nosuchsession" in response.json()["message"]
    sid = start(http)
    bad = http.post(f"/scxml/session/{sid}/event/bump", content=b"[", headers={"content-type": "application/json"})
    assert bad.status_code == 400


# --- request --------------------------------------------------------------------------------------
def test_request_is_answered_by_the_session(http):
    sid = start(http, who="dave")
    http.post(f"/scxml/session/{sid}/event/bump")
    response = http.post(f"/scxml/session/{sid}/request/ask", data={"q": "how many"})
    assert response.status_code == 200
    assert response.headers["x-openors-reply-event"] == "answer"
    assert response.json() == {"who": "dave", "n": 1, "asked": {"q": "how many"}}


def test_request_nobody_answers_times_out_with_504(http):
    sid = start(http)
    response = http.post(f"/scxml/session/{sid}/request/unanswered", headers={"x-openors-timeout": "0.3"})
    assert response.status_code == 504 and "did not answer" in response.json()["message"]
    assert http.post("/scxml/session/nosuch/request/ask").status_code == 404
    bad = http.post(f"/scxml/session/{sid}/request/ask", headers={"x-openors-timeout": "x"})
    assert bad.status_code == 400


# --- query, terminate -------------------------------------------------------------------------
def test_query_by_get_and_post_and_unknown_session(http):
    sid = start(http)
    assert http.get(f"/scxml/session/{sid}/query").json() == http.post(f"/scxml/session/{sid}/query").json()
    response = http.get("/scxml/session/unknown/query")
    assert response.status_code == 404 and response.json()["error"] == "UnknownSession"


def test_terminate_ends_the_session_and_removes_it_from_the_store(server, http):
    sid = start(http)
    assert sid in stored_ids(server)
    assert http.post(f"/scxml/session/{sid}/terminate").json()["status"] == "terminated"
    assert http.get(f"/scxml/session/{sid}/query").status_code == 404
    assert sid not in stored_ids(server)
    assert http.post(f"/scxml/session/{sid}/terminate").status_code == 404
    assert http.get("/scxml/session/other/terminate").status_code == 404


# --- persistence as seen from outside ---------------------------------------------------------
def test_running_sessions_are_stored_ended_ones_removed_nopersist_never_stored(server, http):
    keep = start(http)
    ends = start(http, delay_ms="100")
    never = start(http, src=NOPERSIST)
    stored = stored_ids(server)  # start answers once the snapshot is committed
    assert keep in stored and ends in stored and never not in stored
    wait_for(lambda: http.get(f"/scxml/session/{ends}/query").json()["configuration"] == ["main", "finished"])
    http.post(f"/scxml/session/{ends}/event/close")
    wait_for(lambda: ends not in stored_ids(server))
    http.post(f"/scxml/session/{never}/event/bump")
    assert never not in stored_ids(server)
    assert http.get(f"/scxml/session/{never}/query").json()["data"]["n"] == 1


# --- operators ----------------------------------------------------------------------------------
def test_operator_views_of_a_session(http):
    sid = start(http, delay_ms="50", who="eve")
    wait_for(lambda: http.get(f"/ors/sessions/{sid}/configuration").json()["configuration"] == ["main", "finished"])
    listing = http.get("/ors/sessions").json()
    assert any(s["sessionid"] == sid for s in listing["sessions"]) and listing["counts"]["live"] >= 1
    info = http.get(f"/ors/sessions/{sid}").json()
    assert info["persistent"] is True and info["configuration"] == ["main", "finished"]
    trace = http.get(f"/ors/sessions/{sid}/trace").json()["trace"]
    kinds = [(t["kind"], t.get("state") or t.get("name") or t.get("label")) for t in trace]
    assert ("state", "waiting") in kinds and ("event", "tick") in kinds and ("log", "outcome") in kinds
    assert ("state", "finished") in kinds
    for path in ("", "/configuration", "/datamodel", "/trace"):
        assert http.get(f"/ors/sessions/nosuch{path}").status_code == 404


def test_eviction_on_demand_and_restore_on_the_next_event(http):
    sid = start(http, delay_ms="60000")
    assert http.post("/ors/evict", params={"idle": 0}).json()["evicted"] >= 1
    listing = http.get("/ors/sessions").json()["sessions"]
    assert {"sessionid": sid, "status": "evicted", "document": WAITER} in listing
    http.post(f"/scxml/session/{sid}/event/bump")
    assert http.get(f"/scxml/session/{sid}/query").json()["data"]["n"] == 1
    assert http.post("/ors/evict", params={"idle": "x"}).status_code == 400


def test_applications_help_openapi_and_metrics(http):
    assert http.get("/ors/applications").json() == {"applications": {"waiter": WAITER}}
    help_ = http.get("/ors/help").json()
    paths = {e["path"] for e in help_["endpoints"]}
    assert {"/scxml/session/start", "/scxml/session/{session_id}/event/{name}",
            "/scxml/session/{session_id}/request/{name}", "/scxml/session/{session_id}/query",
            "/scxml/session/{session_id}/terminate", "/metrics"} <= paths
    openapi = http.get("/openapi.json").json()
    assert "/scxml/session/start" in openapi["paths"]
    start(http)
    metrics = http.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    for name in ("ors_active_sessions", "ors_creation_session_total", "ors_create_session_time_seconds_count",
                 "ors_scxml_event_queuing_time_seconds_count", "ors_persistence_latency_seconds_count",
                 "ors_document_processing_time_seconds_count"):
        assert name in metrics.text


def test_ors_session_answers_a_request_with_session_response(http):
    teller = (CHARTS / "teller.scxml").as_uri()
    sid = http.post("/scxml/session/start", data={"src": teller}).json()["sessionid"]
    http.post(f"/scxml/session/{sid}/event/deposit", data={"amount": "25"})
    response = http.post(f"/scxml/session/{sid}/request/balance")
    assert response.status_code == 200
    assert response.json() == {"balance": 125, "currency": "EUR"}
    assert http.post(f"/scxml/session/{sid}/request/statement").json() == "balance 125"
    # The datamodel endpoint shows the ORS document's <data> items.
    assert http.get(f"/ors/sessions/{sid}/datamodel").json()["datamodel"]["balance"] == 125


def test_the_openapi_document_lists_the_errors_every_endpoint_may_answer():
    from openors.runtime import Runtime
    from openors.server.app import create_app

    async def document() -> dict:
        runtime = await Runtime().start()
        try:
            return create_app(runtime).openapi()
        finally:
            await runtime.stop()

    doc = asyncio.run(document())
    for path, verbs in (("/scxml/session/start", "post"), ("/ors/quarantine", "get")):
        responses = doc["paths"][path][verbs]["responses"]
        assert {"400", "401", "413", "503"} <= set(responses)
        assert "BodyTooLarge" in responses["413"]["description"]
