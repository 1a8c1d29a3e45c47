"""No session waits forever after a crash (issue 9, item 7): a module request whose work died with
the process is answered after the restart by its error event, so the strategy's error handler runs."""

from __future__ import annotations

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .serving import CHARTS, ProcessServer, client, wait_for, write_config

FETCHER = (CHARTS / "fetcher.scxml").as_uri()
HOLD_LIMIT_S = 30.0  # the held answer never outlives the test, even when it fails


class HeldService:
    """A loopback HTTP service that holds every request until released (or HOLD_LIMIT_S)."""

    def __init__(self):
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.requests: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                service.requests.append(self.path)
                service.arrived.set()
                service.release.wait(HOLD_LIMIT_S)
                body = b'{"late": true}'
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the asking process was killed meanwhile

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HeldService:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def held():
    with HeldService() as service:
        yield service


def query(http, sid: str) -> dict:
    answer = http.get(f"/scxml/session/{sid}/query")
    return answer.json() if answer.status_code == 200 else {}


@pytest.mark.parametrize("eviction", [None, 1], ids=["restored-eagerly", "idle-eviction-on"])
def test_a_fetch_cut_off_by_kill_9_reaches_its_error_handler_after_the_restart(tmp_path, held, eviction):
    # With eviction on, recovery adopts idle sessions lazily: one waiting on a request must not be.
    config = write_config(tmp_path, runtime={"idle_eviction_s": eviction})
    log = tmp_path / "server.log"
    first = ProcessServer(config, log).start()
    with client(first.url) as http:
        started = http.post("/scxml/session/start", data={"src": FETCHER, "url": f"{held.url}/customers/42"})
        assert started.status_code == 200, started.text
        sid = started.json()["sessionid"]
        assert held.arrived.wait(10), "the fetch never reached the service"
        assert query(http, sid)["configuration"] == ["fetching"]
    first.kill()

    second = ProcessServer(config, log).start()
    with client(second.url) as http:
        data = wait_for(lambda: (q := query(http, sid)).get("configuration") == ["fetch_failed"] and q["data"],
                        timeout=10)
        assert data["answered"] == data["rid"] != ""
        assert data["error"] == "timeout"
        assert "interrupted by a restart" in data["description"]
        assert held.requests == ["/customers/42"]  # never sent again behind the strategy's back
        assert http.post(f"/scxml/session/{sid}/event/close").status_code == 200
    assert second.terminate() == 0


# --- requests to the contact center: queue, dialog, ixn -------------------------------------------

REQUESTER = (CHARTS / "requester.scxml").as_uri()
TOPOLOGY = """settings: {{request_latency: {latency}, request_timeout: 600}}
dns:
  - {{dn: "5000", type: routing_point, application: requester}}
  - {{dn: "5001", type: routing_point, application: requester}}
  - {{dn: "5002", type: routing_point, application: requester}}
  - {{dn: "7001", type: extension}}
  - {{dn: "7002", type: extension}}
agents:
  - {{id: alice, dn: "7001", state: not_ready, answer_delay: 1, talk_time: 30, acw_time: 0, skills: {{support: 9}}}}
agent_groups: {{Support: [alice]}}
"""


def write_cc_config(tmp_path, *, latency: float, idle_eviction: float | None) -> object:
    """A server with the simulator: calls to 5000-5002 run requester.scxml, persisted in SQLite."""
    (tmp_path / "site.yaml").write_text(TOPOLOGY.format(latency=latency))
    lines = ["listen: {host: 127.0.0.1, port: 0}", "store: {type: sqlite, path: store.db}",
             f"runtime: {{idle_eviction_s: {'null' if idle_eviction is None else idle_eviction}}}",
             "logging: {level: INFO}", f"applications: {{requester: {REQUESTER}}}",
             "platform: {simulator: {topology: site.yaml, request_timeout_s: 600}}"]
    path = tmp_path / "openors.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def stored_parts(store, sid: str) -> dict:
    """The parts of a session's committed snapshot (the store is SQLite in WAL mode: readable meanwhile)."""
    with sqlite3.connect(store) as db:
        row = db.execute("SELECT snapshot FROM sessions WHERE id = ?", (sid,)).fetchone()
    return json.loads(row[0]).get("parts", {}) if row else {}


def call_owner(http, dnis: str) -> str:
    """Place a call to `dnis`; the id of the session that took it."""
    placed = http.post("/ors/platform/calls", data={"from": "+15551110001", "to": dnis, "patience": "600"})
    assert placed.status_code == 201, placed.text
    ixn = placed.json()["interactionid"]

    def owner():
        for found in http.get("/ors/platform/interactions").json()["interactions"]:
            if found["interactionid"] == ixn and found["session"]:
                return found["session"]
        return None

    return wait_for(owner)


def test_queue_dialog_and_ixn_requests_cut_off_by_kill_9_get_their_error_events_after_the_restart(tmp_path):
    # The platform answers requests after 60 s and the music plays for 10 minutes: all three
    # requests are in flight when the process dies, and the new simulator knows none of them.
    config = write_cc_config(tmp_path, latency=60, idle_eviction=1)
    log = tmp_path / "server.log"
    first = ProcessServer(config, log).start()
    with client(first.url) as http:
        sessions = {dnis: call_owner(http, dnis) for dnis in ("5000", "5001", "5002")}
        for sid in sessions.values():
            wait_for(lambda sid=sid: query(http, sid).get("configuration") == ["requesting"])
    # Calls start sessions without an HTTP ack to wait for: wait until the requests are committed.
    for sid in sessions.values():
        wait_for(lambda sid=sid: "ors_requests" in stored_parts(tmp_path / "store.db", sid))
    first.kill()

    second = ProcessServer(config, log).start()
    with client(second.url) as http:
        outcome = {}
        for dnis, sid in sessions.items():
            outcome[dnis] = wait_for(lambda sid=sid: (q := query(http, sid)).get("configuration") == ["failed"]
                                     and q["data"], timeout=10)
    assert second.terminate() == 0
    assert {d: o["event"] for d, o in outcome.items()} == {
        "5000": "error.queue.submit", "5001": "error.dialog.playsound", "5002": "error.voice.createcall"}
    for data in outcome.values():
        assert data["answered"] == data["rid"] != ""
        assert data["error"] == "timeout"  # what these events say when no answer will come (ORS-SPEC §9)
        assert "interrupted by a restart" in data["description"]


def test_a_submit_of_an_evicted_session_is_still_answered_by_the_queue_not_by_an_error(tmp_path):
    # Eviction in the same process keeps the request alive: the queue router answers it.
    config = write_cc_config(tmp_path, latency=0.05, idle_eviction=None)
    server = ProcessServer(config, tmp_path / "server.log").start()
    try:
        with client(server.url) as http:
            sid = call_owner(http, "5000")
            wait_for(lambda: query(http, sid).get("configuration") == ["requesting"])
            evicted = wait_for(lambda: http.post("/ors/evict", params={"idle": 0}).json()["evicted"])
            assert evicted == 1
            assert {s["sessionid"]: s["status"] for s in http.get("/ors/sessions").json()["sessions"]}[sid] == "evicted"
            assert http.post("/ors/platform/agents/alice/ready").status_code == 202
            data = wait_for(lambda: (q := query(http, sid)).get("configuration") == ["answered"] and q["data"])
            assert (data["event"], data["answered"], data["error"]) == ("queue.submit.done", data["rid"], "")
    finally:
        assert server.terminate() == 0
