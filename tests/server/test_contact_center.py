"""The contact-center endpoints of a server running the simulator in real time, over HTTP on
loopback: platform views, placing calls/chats/e-mails, agents' states, a call routed end to end by
the bundled `main-inbound` strategy, and the `config_lists` file as strategies see it."""

from __future__ import annotations

from pathlib import Path

import pytest

from openors.server.config import ConfigError, load_config

from .serving import CHARTS, ThreadServer, client, wait_for

LISTS = """lists:
  RoutingTable:
    m0501: {routetype: gns, virtual-queue-name: VQ_Cards}
"""


def write_cc_config(tmp_path, *, applications: dict | None = None) -> object:
    (tmp_path / "lists.yaml").write_text(LISTS)
    lines = ["listen: {host: 127.0.0.1, port: 0}", "store: {type: memory}",
             "runtime: {idle_eviction_s: null}", "logging: {level: WARNING}",
             "platform: {simulator: {seed: 3, config_lists: lists.yaml}}"]
    if applications:
        lines.append("applications:")
        lines += [f"  {name}: {url}" for name, url in applications.items()]
    path = tmp_path / "openors.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cc")
    # routing point 5001 runs the list reader instead of its bundled strategy
    config = write_cc_config(tmp, applications={"sales-inbound": (CHARTS / "list_reader.scxml").as_uri()})
    srv = ThreadServer(config).start()
    yield srv
    srv.stop()


@pytest.fixture
def http(server):
    with client(server.url) as c:
        yield c


def interaction(http, ixn_id: str) -> dict | None:
    found = [i for i in http.get("/ors/platform/interactions").json()["interactions"] if i["interactionid"] == ixn_id]
    return found[0] if found else None


# --- views ----------------------------------------------------------------------------------------
def test_agents_lists_the_topology_with_states(http):
    agents = {a["id"]: a for a in http.get("/ors/platform/agents").json()["agents"]}
    assert set(agents) >= {"alice", "bob", "carol", "dave"}
    assert agents["dave"]["state"] == "logged_out"
    assert agents["alice"]["dn"] == "7001" and "voice" in agents["alice"]["media"]


def test_a_placed_call_shows_in_interactions_and_events(http):
    # 5002 has no strategy: the call waits at the routing point until the caller gives up
    placed = http.post("/ors/platform/calls", data={"from": "+15550000001", "to": "5002", "patience": "30"})
    assert placed.status_code == 201, placed.text
    ixn_id = placed.json()["interactionid"]
    ixn = wait_for(lambda: interaction(http, ixn_id))
    assert ixn["properties"]["ani"] == "+15550000001" and ixn["properties"]["dnis"] == "5002"
    assert ixn["session"] is None  # no strategy owns it
    events = http.get("/ors/platform/events", params={"limit": 1000}).json()["events"]
    created = [e for e in events if e["kind"] == "platform" and e["event"]["kind"] == "interaction.created"
               and e["event"]["interaction_id"] == ixn_id]
    assert len(created) == 1
    assert len(http.get("/ors/platform/events", params={"limit": 1}).json()["events"]) == 1
    assert http.get("/ors/platform/events", params={"limit": "x"}).status_code == 400


# --- placing traffic: good and bad input ----------------------------------------------------------------
def test_calls_take_form_or_json(http):
    placed = http.post("/ors/platform/calls", json={"from": "+15550000002", "to": "5002", "patience": 30})
    assert placed.status_code == 201 and placed.json()["interactionid"]


@pytest.mark.parametrize("body, words", [
    ({"to": "5002"}, ["'from'", "'to'", "required"]),
    ({"from": "+15550000003"}, ["'to'"]),
    ({"from": "+15550000003", "to": "5002", "patience": "soon"}, ["'patience'", "'soon'"]),
])
def test_calls_with_missing_or_bad_fields_are_400(http, body, words):
    response = http.post("/ors/platform/calls", data=body)
    assert response.status_code == 400
    assert response.json()["error"] == "BadRequest"
    for word in words:
        assert word in response.json()["message"]


def test_a_call_to_an_unknown_dn_is_400_with_the_platform_error(http):
    response = http.post("/ors/platform/calls", data={"from": "+15550000004", "to": "4242"})
    assert response.status_code == 400
    assert response.json() == {"error": "invaliddestination", "message": "unknown destination '4242'"}


def test_a_malformed_body_is_400(http):
    response = http.post("/ors/platform/calls", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "MalformedBody"


def test_chats_and_emails(http):
    chat = http.post("/ors/platform/chats", data={"nickname": "Visitor", "text": "hello"})
    assert chat.status_code == 201, chat.text
    email = http.post("/ors/platform/emails", json={"from": "c@example.org", "subject": "Order", "body": "Where?"})
    assert email.status_code == 201, email.text
    ids = {chat.json()["interactionid"], email.json()["interactionid"]}
    wait_for(lambda: ids <= {i["interactionid"] for i in http.get("/ors/platform/interactions").json()["interactions"]})
    chat_ixn = interaction(http, chat.json()["interactionid"])
    assert chat_ixn["media"] == "TMediaChat"
    email_ixn = interaction(http, email.json()["interactionid"])
    assert email_ixn["properties"]["subject"] == "Order"

    missing = http.post("/ors/platform/chats", data={"text": "hi"})
    assert missing.status_code == 400 and "'nickname'" in missing.json()["message"]
    missing = http.post("/ors/platform/emails", data={"subject": "x"})
    assert missing.status_code == 400 and "'from'" in missing.json()["message"]


# --- agents ---------------------------------------------------------------------------------------
def agent_state(http, agent_id: str) -> str:
    return {a["id"]: a["state"] for a in http.get("/ors/platform/agents").json()["agents"]}[agent_id]


def test_agent_actions_change_states(http):
    response = http.post("/ors/platform/agents/dave/login")
    assert response.status_code == 202
    assert response.json()["agent"] == "dave" and response.json()["action"] == "login" and response.json()["requestid"]
    wait_for(lambda: agent_state(http, "dave") == "not_ready")
    assert http.post("/ors/platform/agents/dave/ready").status_code == 202
    wait_for(lambda: agent_state(http, "dave") == "ready")
    assert http.post("/ors/platform/agents/dave/logout").status_code == 202
    wait_for(lambda: agent_state(http, "dave") == "logged_out")


def test_a_refused_agent_action_is_reported_in_events(http):
    # accepted (the platform answers later, as a switch would); the refusal is a request.failed event
    request_id = http.post("/ors/platform/agents/carol/logout").json()["requestid"]
    wait_for(lambda: agent_state(http, "carol") == "logged_out")
    request_id = http.post("/ors/platform/agents/carol/acw").json()["requestid"]

    def failed():
        return [e for e in http.get("/ors/platform/events", params={"limit": 1000}).json()["events"]
                if e["kind"] == "platform" and e["event"]["kind"] == "request.failed"
                and e["event"].get("request_id") == request_id]

    assert wait_for(failed)[0]["event"]["error"].startswith("invalidstate")


@pytest.mark.parametrize("path, words", [
    ("/ors/platform/agents/zed/ready", ["'zed'"]),
    ("/ors/platform/agents/alice/dance", ["'dance'", "login"]),
])
def test_unknown_agent_or_action_is_404(http, path, words):
    response = http.post(path)
    assert response.status_code == 404
    for word in words:
        assert word in response.json()["message"]


# --- config_lists ---------------------------------------------------------------------------------
def test_a_strategy_started_over_http_reads_the_config_lists(http):
    sid = http.post("/scxml/session/start", data={"src": (CHARTS / "list_reader.scxml").as_uri()}).json()["sessionid"]
    data = http.get(f"/scxml/session/{sid}/query").json()["data"]
    assert (data["vq"], data["routetype"], data["missing"]) == ("VQ_Cards", "gns", "")


def test_a_strategy_started_by_a_call_reads_the_config_lists(http):
    ixn_id = http.post("/ors/platform/calls", data={"from": "+15550000005", "to": "5001"}).json()["interactionid"]
    sid = wait_for(lambda: (interaction(http, ixn_id) or {}).get("session"))

    def logged():
        return [e for e in http.get(f"/ors/sessions/{sid}/trace").json()["trace"] if e["kind"] == "log"]

    entry = wait_for(logged)[0]
    assert (entry["label"], entry["value"]) == ("vq", "VQ_Cards")


def test_config_lists_path_is_relative_to_the_configuration_and_checked_at_load(tmp_path):
    config = load_config(write_cc_config(tmp_path))
    assert config.simulator.config_lists == tmp_path / "lists.yaml"
    (tmp_path / "lists.yaml").write_text("lists: {}\ncolours: [red]\n")
    with pytest.raises(ConfigError, match="config_lists.*colours"):
        load_config(tmp_path / "openors.yaml")
    (tmp_path / "lists.yaml").unlink()
    with pytest.raises(ConfigError, match="config_lists.*cannot read"):
        load_config(tmp_path / "openors.yaml")


# --- end to end -----------------------------------------------------------------------------------
def test_a_call_over_http_is_routed_by_main_inbound_to_a_ready_agent(tmp_path):
    srv = ThreadServer(write_cc_config(tmp_path)).start()
    try:
        with client(srv.url) as http:
            ixn_id = http.post("/ors/platform/calls", data={"from": "+15550000006", "to": "5000"}).json()["interactionid"]

            def answered():
                ixn = interaction(http, ixn_id) or {}
                agents = [p for p in ixn.get("parties", ()) if p["agentid"] and p["state"] == "established"]
                return (ixn, agents[0]) if agents else None

            ixn, party = wait_for(answered, timeout=10)
            assert party["agentid"] in ("alice", "bob") and ixn["state"] == "routed"
            sid = ixn["session"]
            assert ixn["udata"]["OP-Session-ID"] == sid
            session = http.get(f"/ors/sessions/{sid}").json()
            assert session["configuration"] == ["routed"]
            assert session["document"].endswith("/main-inbound.scxml")
            trace = http.get(f"/ors/sessions/{sid}/trace").json()["trace"]
            states = [e["state"] for e in trace if e["kind"] == "state"]
            assert states == ["waiting", "selecting", "routing", "routed"]
            events = [e["name"] for e in trace if e["kind"] == "event"]
            assert events.index("interaction.added") < events.index("queue.submit.done") \
                < events.index("interaction.redirect.done")
            logs = {e["label"]: e["value"] for e in trace if e["kind"] == "log"}
            assert logs["call"] == "from +15550000006 to 5000" and logs["routed"] == f"to {party['agentid']}"
            agents = {a["id"]: a for a in http.get("/ors/platform/agents").json()["agents"]}
            assert ixn_id in agents[party["agentid"]]["interactions"]
            # a session the platform started counts as a created session (ORS creation-session-rate)
            metrics = http.get("/metrics").text.splitlines()
            assert "ors_creation_session_total 1.0" in metrics
            # ORS redirect-time and state-time: one redirect timed, the states left were timed
            assert "ors_redirect_time_seconds_count 1.0" in metrics
            assert 'ors_state_time_seconds_count{state="selecting"} 1.0' in metrics
    finally:
        srv.stop()


def waiting_strategy(tmp_path) -> str:
    """The bundled main-inbound, plus what it reads from `_genesys.ixn` once the submit is done."""
    from openors.ors.applications import find_application
    from openors.platform.topology import default_topology_path

    bundled = find_application("main-inbound", default_topology_path(), {})
    text = Path(bundled.removeprefix("file://")).read_text()
    reads = '<assign location="aniAfter" expr="_genesys.ixn.interactions[ixnid].voice.ani"/>'
    text = text.replace('<data id="ixnid" expr="\'\'"/>', '<data id="ixnid" expr="\'\'"/><data id="aniAfter" expr="\'\'"/>')
    text = text.replace('<assign location="request.resource" expr="_event.data.resource"/>',
                        '<assign location="request.resource" expr="_event.data.resource"/>' + reads)
    assert reads in text and "aniAfter" in text.split(reads)[0]
    path = tmp_path / "main-inbound.scxml"
    path.write_text(text)
    return path.as_uri()


def test_a_session_waiting_with_its_call_is_evicted_and_routes_later(tmp_path):
    config = write_cc_config(tmp_path, applications={"main-inbound": waiting_strategy(tmp_path)})
    srv = ThreadServer(config).start()
    try:
        with client(srv.url) as http:
            for agent in ("alice", "bob"):
                http.post(f"/ors/platform/agents/{agent}/notready")
            wait_for(lambda: agent_state(http, "alice") == agent_state(http, "bob") == "not_ready")
            ixn_id = http.post("/ors/platform/calls", data={"from": "+15550000007", "to": "5000"}).json()["interactionid"]
            sid = wait_for(lambda: (interaction(http, ixn_id) or {}).get("session"))
            wait_for(lambda: http.get(f"/ors/sessions/{sid}").json()["configuration"] == ["selecting"])
            # its OP-Session-ID is written: the next thing it hears is queue.submit.done
            wait_for(lambda: interaction(http, ixn_id)["udata"].get("OP-Session-ID") == sid)
            other = http.post("/scxml/session/start", data={"src": (CHARTS / "list_reader.scxml").as_uri()})
            other = other.json()["sessionid"]
            # the session waiting in the queue goes too: the router and requests hold only its id
            wait_for(lambda: http.post("/ors/evict", params={"idle": 0}).json()["counts"]["evicted"] == 2)

            def statuses():  # the list does not restore (a single session's view would)
                return {s["sessionid"]: s["status"] for s in http.get("/ors/sessions").json()["sessions"]}

            assert statuses() == {sid: "evicted", other: "evicted"}
            assert interaction(http, ixn_id)["session"] == sid  # still its owner
            http.post("/ors/platform/agents/alice/ready")
            # queue.submit.done restores it: it redirects and alice takes the call
            wait_for(lambda: statuses()[sid] == "running")
            wait_for(lambda: "7001" in [p["device"] for p in interaction(http, ixn_id)["parties"]])  # alice's DN
            assert statuses()[other] == "evicted"
            wait_for(lambda: http.get(f"/ors/sessions/{sid}").json()["configuration"] == ["routed"])
            # the restored session got its _genesys.ixn view back
            assert http.get(f"/ors/sessions/{sid}/datamodel").json()["datamodel"]["aniAfter"] == "+15550000007"
    finally:
        srv.stop()


def test_a_routed_call_flow_log_has_its_actions_and_is_found_by_interaction_ani_and_dnis(http):
    ixn_id = http.post("/ors/platform/calls", data={"from": "+15550000777", "to": "5000"}).json()["interactionid"]
    sid = wait_for(lambda: (interaction(http, ixn_id) or {}).get("session"))
    found = wait_for(lambda: http.get("/ors/flowlogs", params={"interaction": ixn_id}).json()["flowlogs"])
    assert [f["session"] for f in found] == [sid]
    assert found[0]["ani"] == "+15550000777" and found[0]["dnis"] == "5000"
    assert sid in {f["session"] for f in http.get("/ors/flowlogs", params={"ani": "+15550000777"}).json()["flowlogs"]}
    entries = wait_for(lambda: [e for e in http.get(f"/ors/flowlogs/{sid}").json()["entries"]
                                if e["kind"] == "action" and e["action"] == "interaction.redirect"])
    assert entries[0]["attributes"]["interactionid"] == ixn_id
    submit = [e for e in http.get(f"/ors/flowlogs/{sid}").json()["entries"] if e["kind"] == "action"][0]
    assert submit["action"] == "queue.submit" and submit["requestid"]
