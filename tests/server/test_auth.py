"""Bearer tokens against a real `openors serve`: one for the ORS API, one for the operators."""

from __future__ import annotations

import pytest

from .serving import CHARTS, ProcessServer, client, write_config

WAITER = (CHARTS / "waiter.scxml").as_uri()
API = "api-token-0123456789"
OPERATOR = "operator-token-0123456789"


def serve(tmp_path_factory, name: str, auth: dict) -> ProcessServer:
    tmp = tmp_path_factory.mktemp(name)
    config = write_config(tmp, runtime={"idle_eviction_s": None},
                          sections={"auth": auth, "platform": {"simulator": {}}})
    return ProcessServer(config, tmp / "server.log").start()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = serve(tmp_path_factory, "auth", {"api_token": API, "operator_token": OPERATOR})
    yield srv
    srv.terminate()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("method, path", [
    ("POST", "/scxml/session/start"), ("GET", "/scxml/session/x/query"), ("GET", "/ors/help"),
    ("GET", "/ors/sessions"), ("POST", "/ors/evict"), ("GET", "/metrics"), ("GET", "/ors/platform/agents"),
    ("POST", "/ors/platform/calls"),
])
@pytest.mark.parametrize("headers", [{}, bearer("wrong-token-0123456789"), {"Authorization": "Basic YTpi"},
                                     {"Authorization": f"Bearer {API}x"}])
def test_a_missing_or_wrong_token_is_401_with_a_bearer_challenge(server, method, path, headers):
    with client(server.url) as http:
        response = http.request(method, path, headers=headers, data={"src": WAITER})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "Unauthorized" and "token" in response.json()["message"]


def test_the_api_token_opens_the_ors_api_but_not_the_operator_endpoints(server):
    with client(server.url) as http:
        started = http.post("/scxml/session/start", data={"src": WAITER}, headers=bearer(API))
        assert started.status_code == 200
        sid = started.json()["sessionid"]
        assert http.post(f"/scxml/session/{sid}/event/bump", headers=bearer(API)).status_code == 200
        assert http.get(f"/scxml/session/{sid}/query", headers=bearer(API)).json()["data"]["n"] == 1
        assert http.get("/ors/help", headers=bearer(API)).status_code == 200
        for path in ("/ors/sessions", f"/ors/sessions/{sid}/datamodel", "/metrics", "/ors/platform/events"):
            assert http.get(path, headers=bearer(API)).status_code == 401, path


def test_the_operator_token_opens_everything(server):
    with client(server.url) as http:
        for path in ("/ors/sessions", "/metrics", "/ors/platform/agents", "/ors/help"):
            assert http.get(path, headers=bearer(OPERATOR)).status_code == 200, path
        assert http.post("/scxml/session/start", data={"src": WAITER}, headers=bearer(OPERATOR)).status_code == 200


def test_the_api_description_stays_open(server):
    with client(server.url) as http:
        assert http.get("/openapi.json").status_code == 200
        assert http.get("/docs").status_code == 200
        assert http.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
        assert http.get("/redoc").status_code == 200 and http.get("/docs/redoc.offline.js").status_code == 200


def test_the_console_page_is_open_but_its_data_and_the_debugger_take_the_operator_token(server):
    with client(server.url) as http:
        assert "OpenORS console" in http.get("/").text
        assert http.get("/console/static/console.js").status_code == 200
        sid = http.post("/scxml/session/start", data={"src": WAITER}, headers=bearer(API)).json()["sessionid"]
        for method, path in (("GET", "/ors/console/snapshot"), ("GET", "/ors/console/live"),
                             ("GET", f"/ors/flowlogs/{sid}"), ("POST", f"/ors/sessions/{sid}/pause"),
                             ("PUT", f"/ors/sessions/{sid}/breakpoints"), ("POST", f"/ors/sessions/{sid}/variables")):
            assert http.request(method, path).status_code == 401, path
            assert http.request(method, path, headers=bearer(API)).status_code == 401, path
        assert http.post(f"/ors/sessions/{sid}/pause", headers=bearer(OPERATOR)).json()["paused"] is True
        assert http.post(f"/ors/sessions/{sid}/continue", headers=bearer(OPERATOR)).json()["paused"] is False


def test_with_only_an_api_token_the_operator_endpoints_take_it(tmp_path_factory, monkeypatch):
    monkeypatch.delenv("OPENORS_OPERATOR_TOKEN", raising=False)
    srv = serve(tmp_path_factory, "api-only", {"api_token": API})
    try:
        with client(srv.url) as http:
            assert http.get("/ors/sessions").status_code == 401
            assert http.get("/ors/sessions", headers=bearer(API)).status_code == 200
            assert http.get("/metrics", headers=bearer(API)).status_code == 200
    finally:
        srv.terminate()


def test_tokens_from_the_environment_protect_the_server(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("OPENORS_API_TOKEN", API)
    monkeypatch.setenv("OPENORS_OPERATOR_TOKEN", OPERATOR)
    srv = serve(tmp_path_factory, "env", {})  # ProcessServer passes the environment on
    try:
        with client(srv.url) as http:
            assert http.post("/scxml/session/start", data={"src": WAITER}).status_code == 401
            assert http.post("/scxml/session/start", data={"src": WAITER}, headers=bearer(API)).status_code == 200
    finally:
        srv.terminate()
