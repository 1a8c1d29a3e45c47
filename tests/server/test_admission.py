"""limits.max_sessions against a real `openors serve` with a simulated contact center: past the
limit, HTTP starts get 503 TooManySessions and calls at a routing point are left to the switch."""

from __future__ import annotations

import pytest

from .serving import CHARTS, ProcessServer, client, wait_for, write_config

WAITER = (CHARTS / "waiter.scxml").as_uri()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("admission")
    config = write_config(tmp, runtime={"idle_eviction_s": None},
                          sections={"limits": {"max_sessions": 2}, "platform": {"simulator": {"seed": 1}}})
    srv = ProcessServer(config, tmp / "server.log").start()
    yield srv
    srv.terminate()


def metric(http, name: str) -> float:
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{") and line.split(" ")[0] == name:
            return float(line.split()[-1])
    return 0.0


def test_past_max_sessions_start_is_503_and_calls_are_left_to_the_switch(server):
    with client(server.url) as http:
        first, _ = (http.post("/scxml/session/start", data={"src": WAITER}).json()["sessionid"] for _ in range(2))

        refused = http.post("/scxml/session/start", data={"src": WAITER})
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.json()["error"] == "TooManySessions" and refused.json()["limit"] == 2
        assert "limits.max_sessions" in refused.json()["message"]

        call = http.post("/ors/platform/calls", data={"from": "+15550001", "to": "5000"})
        assert call.status_code == 201
        ixn = call.json()["interactionid"]
        records = wait_for(lambda: [e for e in http.get("/ors/platform/events", params={"limit": 1000}).json()["events"]
                                    if e.get("kind") == "session.refused"])
        assert records[0]["reason"] == "TooManySessions"
        waiting = {i["interactionid"]: i for i in http.get("/ors/platform/interactions").json()["interactions"]}
        assert ixn in waiting and waiting[ixn]["session"] is None  # still there, unrouted
        assert http.get("/ors/sessions").json()["counts"]["live"] == 2

        assert metric(http, 'ors_sessions_refused_total{origin="http"}') == 1.0
        assert metric(http, 'ors_sessions_refused_total{origin="platform"}') == 1.0

        assert http.post(f"/scxml/session/{first}/terminate").status_code == 200
        assert http.post("/scxml/session/start", data={"src": WAITER}).status_code == 200
