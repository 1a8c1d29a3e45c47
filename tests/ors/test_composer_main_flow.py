"""Composer's `Main.scxml` (scmcdev__CRD_GVP_WF), run through its IPD on the simulator, routes a
call end to end (issue 5): the CDP REST calls reach a real HTTP server on loopback, the GVP menu
says which service the caller wants, the routing table (a configuration list) gives a skill
expression, `<queue:submit>` picks a ready agent with that skill, the call is redirected to the
agent (detach="true"), the journey is closed over REST and the session ends while the agent answers.

Test data in tests/ors/composer_main/: the site (topology.yaml), the configuration lists the
workflow reads (config_lists.yaml), the CDP API's answers (stubs/), the callers (scenario-*.yaml).
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from openors.ors.catalogue import check_event
from openors.testing import World
from tests.conftest import SHARED

DATA = Path(__file__).parent / "composer_main"
IPD = SHARED / "composer-corpus" / "scmcdev__CRD_GVP_WF" / "src-gen" / "IPD_default_MainWorkflow.scxml"
CALLER = "+66812345678"
JOURNAL = "/v1/apienpoint/genesys/callJournal"
PROFILE = "/v1/apienpoint/genesys/getDetailByPhoneKey"


# --- the CDP REST API -------------------------------------------------------------------------------

class _Cdp(BaseHTTPRequestHandler):
    """Answers with stubs/<last path segment>.json, or <segment>.<caller digits>.json when there is
    one for the `number` asked about; 404 for anything else. Records every request."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.server.requests.append({"method": self.command, "path": url.path, "query": query, "body": body,
                                     "apikey": self.headers.get("apiKey")})
        name = url.path.rsplit("/", 1)[-1]
        digits = "".join(ch for ch in (query.get("number") or [""])[0] if ch.isdigit())
        stub = next((p for p in (DATA / "stubs" / f"{name}.{digits}.json", DATA / "stubs" / f"{name}.json")
                     if p.is_file()), None)
        data = stub.read_bytes() if stub else b'{"message": "not found"}'
        self.send_response(200 if stub else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle


@pytest.fixture
def cdp():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Cdp)
    httpd.daemon_threads = True
    httpd.requests = []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


# --- running the site -----------------------------------------------------------------------------

def simulate(cdp, scenario: str | Path, done=None) -> World:
    """Run the scenario in virtual time until `done(run)` (default: the session ended and the call
    is with an agent or over), letting HTTP requests complete in real time meanwhile."""
    config = yaml.safe_load((DATA / "config_lists.yaml").read_text(encoding="utf-8"))
    config["lists"]["GLOBAL_GVP_SETTING"]["OPM"]["cdp_api_baseurl"] = cdp.url  # where Main.scxml finds the API
    run = World(DATA / "topology.yaml", scenario=DATA / scenario, applications={"crd-main": IPD.resolve().as_uri()},
                config_lists=config)
    done = done or (lambda r: bool(kind(r, "session.end")) and (bool(established(r)) or bool(ended(r))))

    async def main() -> bool:
        return await run.host.run_until(lambda: done(run), timeout=30)  # real HTTP: a bound, not a timing

    assert asyncio.run(main()), [e["name"] for e in kind(run, "event")]
    return run


def kind(run: World, name: str) -> list[dict]:
    return [r for r in run.trace if r["kind"] == name]


def events(run: World, name: str) -> list[dict]:
    return [r for r in run.trace if r["kind"] == "event" and r["name"] == name]


def actions(run: World, name: str) -> list[dict]:
    return [r for r in run.trace if r["kind"] == "action" and r["action"] == name]


def platform(run: World, event_kind: str, **fields) -> list[dict]:
    return [r for r in run.trace if r["kind"] == "platform" and r["event"]["kind"] == event_kind
            and all(r["event"].get(k) == v for k, v in fields.items())]


def established(run: World) -> list[dict]:
    return [r for r in platform(run, "party.changed", party_state="established") if r["event"].get("agent_id")]


def ended(run: World) -> list[dict]:
    return platform(run, "interaction.ended")


def in_order(run: World, *steps) -> list[int]:
    """Each step (a predicate on a record) is found after the previous one; returns the positions."""
    found, start = [], 0
    for i, step in enumerate(steps):
        at = next((n for n in range(start, len(run.trace)) if step(run.trace[n])), None)
        assert at is not None, f"step {i} not found after record {start}"
        found.append(at)
        start = at + 1
    return found


def ev(name: str, **data):
    return lambda r: r["kind"] == "event" and r["name"] == name and all(r["data"].get(k) == v for k, v in data.items())


def fetch(method: str, path: str):
    return lambda r: r["kind"] == "fetch" and r["method"] == method and urlsplit(r["url"]).path == path


def act(name: str):
    return lambda r: r["kind"] == "action" and r["action"] == name


def rec(record_kind: str, **fields):
    return lambda r: r["kind"] == record_kind and all(r.get(k) == v for k, v in fields.items())


def check_module_events(run: World) -> None:
    """Every queue/dialog/session/interaction event the session took matches its catalogue entry."""
    for event in kind(run, "event"):
        bare = event["name"].removeprefix("error.")
        if bare.split(".")[0] in ("queue", "dialog", "session", "interaction"):
            assert check_event(event["name"], event["data"]) == [], event


def skills(agent: str) -> dict:
    topology = yaml.safe_load((DATA / "topology.yaml").read_text(encoding="utf-8"))
    return next(a for a in topology["agents"] if a["id"] == agent)["skills"]


# --- the tests --------------------------------------------------------------------------------------

def test_main_routes_the_call_to_a_ready_agent_with_the_skill_the_menu_asks_for(cdp):
    run = simulate(cdp, "scenario-agent-ready.yaml")
    (ixn,) = {r["event"]["interaction_id"] for r in platform(run, "interaction.created")}
    in_order(
        run,
        ev("interaction.added", interactionid=ixn),
        ev("application.start", interactionid=ixn),
        fetch("POST", JOURNAL), ev("session.fetch.done"),      # journey start (postJourneyStart01)
        fetch("GET", PROFILE), ev("session.fetch.done"),       # customer profile (restGetProfile)
        act("dialog.start"), ev("dialog.start.done"),          # the GVP main menu (playMain)
        act("queue.submit"), ev("queue.submit.requestid"), ev("queue.submit.done", interactionid=ixn),
        act("interaction.redirect"),
        # The interaction stays in the session's view while redirect.done is handled (Composer
        # reads it there to build the journey-end payload), then leaves it.
        ev("interaction.redirect.done", interactionid=ixn),
        ev("interaction.notcontrolled", interactionid=ixn, resultof="detaching"),
        ev("interaction.deleted", interactionid=ixn, resultof="detaching"),
        fetch("POST", JOURNAL), ev("session.fetch.done"),      # journey end (postJourneyEnd)
        rec("session.end", final="_composer_global_exit"),
    )
    # The routing table's skill expression, in the virtual queue the table names.
    (submit,) = actions(run, "queue.submit")
    assert submit["attributes"]["queue"] == "VQ_CRD_CARDS" and submit["attributes"]["priority"] == 1
    (enter,) = kind(run, "queue.enter")
    assert enter["targets"] == ["?:(cards > 0)@Stat_Server_DC1.GA"]
    # alice (cards) was ready; bob was ready too but has no cards skill.
    done = events(run, "queue.submit.done")[0]["data"]
    assert done["targetselected"] == "7001@SIM_Switch.DN"
    assert done["targetobjectselected"] == "?:(cards > 0)@Stat_Server_DC1.GA"
    assert done["resource"]["agent"] == "alice" and skills("alice")["cards"] > 0 and "cards" not in skills("bob")
    # Redirected from the routing point to that resource, giving up the interaction as it goes.
    (redirect,) = actions(run, "interaction.redirect")
    assert redirect["attributes"]["from"] == "5000" and redirect["attributes"]["to"]["agent"] == "alice"
    assert redirect["attributes"]["detach"] == "true"
    # Nobody had to wait: the busy announcement queued with the submit never started.
    treatments = [r["treatment"] for r in kind(run, "treatment.start")]
    assert len(treatments) == 1 and treatments[0].endswith("/CRD/src-gen/Main.vxml")
    # The session is over before alice picks up; the call rings at her DN, then she answers.
    (answer,) = established(run)
    assert answer["event"]["agent_id"] == "alice" and answer["event"]["device"] == "7001"
    assert kind(run, "session.end")[0]["t"] < answer["t"]
    assert not platform(run, "party.added", device="7002")
    check_module_events(run)


def test_the_rest_calls_reach_the_cdp_api_with_the_configured_key_and_the_caller(cdp):
    run = simulate(cdp, "scenario-agent-ready.yaml")
    (ixn,) = {r["event"]["interaction_id"] for r in platform(run, "interaction.created")}
    assert [(q["method"], q["path"]) for q in cdp.requests] == [("POST", JOURNAL), ("GET", PROFILE), ("POST", JOURNAL)]
    assert {q["apikey"] for q in cdp.requests} == {"test-app-key"}  # GLOBAL_GVP_SETTING/OPM cdp_app_key
    start, profile, end = cdp.requests
    body = json.loads(start["body"])
    assert (body["description"], body["number"], body["caller_id"]) == ("Flow Begin", CALLER, ixn)
    assert profile["query"] == {"number": [CALLER], "caller_id": [ixn]}  # ivr_menu is '' (dropped)
    assert json.loads(end["body"])["number"] == CALLER
    # What the profile said was attached for the agent (emsAttachInitUData), the menu by the IVR.
    udata = run.platform.get_interaction(ixn)["udata"]
    assert (udata["cdpCustName"], udata["cdpMemberType"], udata["cdpBlackListFlg"]) == ("Somchai Jaidee", "vip", 0)
    assert udata["cdpApiBaseURL"] == cdp.url and udata["gvpRoutingTable"] == "GVP_ROUTING_TABLE"
    assert udata["outivrmenu"] == "m0101" and udata["gsw-ivr-profile-name"] == "GHB_POC_IVRPROF"


def test_with_no_agent_ready_the_busy_announcement_plays_until_one_becomes_ready(cdp):
    run = simulate(cdp, "scenario-agent-busy.yaml")
    (ixn,) = {r["event"]["interaction_id"] for r in platform(run, "interaction.created")}
    enter, busy, ready, selected, done, redirect, end = in_order(
        run,
        rec("queue.enter", interaction=ixn),
        lambda r: r["kind"] == "treatment.start" and r["treatment"].endswith("src-gen/subBusyAnncCRD.vxml"),
        lambda r: r["kind"] == "platform" and r["event"]["kind"] == "agent.statechanged"
        and r["event"].get("agent_id") == "alice" and r["event"].get("data", {}).get("available"),
        rec("queue.selected", interaction=ixn, agent="alice"),
        ev("queue.submit.done", interactionid=ixn),
        act("interaction.redirect"),
        rec("session.end", final="_composer_global_exit"),
    )
    records = run.trace
    assert records[enter]["t"] == pytest.approx(records[busy]["t"])  # the announcement starts as the call waits
    assert records[ready]["t"] == pytest.approx(60.05)  # the scenario's step at 60 s, plus the request latency
    assert records[selected]["t"] == pytest.approx(records[ready]["t"]) and records[selected]["waited"] > 35
    # Routing the call cut the announcement short (it would have played 300 s).
    (cut,) = [r for r in platform(run, "request.done", request="treatment") if r["event"]["data"].get("interrupted")]
    assert cut["event"]["data"]["interrupted"] == "routed" and selected < records.index(cut) < end
    # The busy-treatment list (CRD_BUSY_TREATMENT) was attached for the announcement to read.
    udata = run.platform.get_interaction(ixn)["udata"]
    assert (udata["BusyPrompt1ARID"], udata["BusyPrompt2Timeout"]) == ("1111715", "60")
    # bob (ready all along, no cards skill) never got the call; alice answered it.
    assert records[done]["data"]["resource"]["agent"] == "alice"
    assert not platform(run, "party.added", device="7002")
    (answer,) = established(run)
    assert answer["event"]["agent_id"] == "alice" and answer["t"] > records[redirect]["t"]
    assert [(q["method"], q["path"]) for q in cdp.requests] == [("POST", JOURNAL), ("GET", PROFILE), ("POST", JOURNAL)]
    check_module_events(run)


def caller_variant(tmp_path: Path, caller: str = CALLER, **ivr_udata: str) -> Path:
    """scenario-agent-ready.yaml with another caller, or other values from the GVP main menu."""
    scenario = yaml.safe_load((DATA / "scenario-agent-ready.yaml").read_text(encoding="utf-8"))
    call = scenario["steps"][0]["call"]
    call["from"] = caller
    call["ivr"][0]["udata"].update(ivr_udata)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return path


def test_the_loans_menu_routes_to_the_agent_group_of_the_routing_table(cdp, tmp_path):
    run = simulate(cdp, caller_variant(tmp_path, outivrmenu="m0301"))
    assert kind(run, "queue.enter")[0]["targets"] == ["AG_LOANS@Stat_Server_DC1.GA"]
    assert events(run, "queue.submit.done")[0]["data"]["resource"]["agent"] == "bob"
    assert [a["event"]["agent_id"] for a in established(run)] == ["bob"]
    assert kind(run, "session.end")[0]["final"] == "_composer_global_exit"


def test_the_complaints_menu_forces_the_route_to_a_dn_without_queueing(cdp, tmp_path):
    run = simulate(cdp, caller_variant(tmp_path, outivrmenu="m0401"),
                   done=lambda r: bool(kind(r, "session.end")) and bool(platform(r, "party.added", device="7100")))
    assert not actions(run, "queue.submit")
    (redirect,) = actions(run, "interaction.redirect")  # forceRouteNT
    assert redirect["attributes"]["to"] == "7100" and redirect["attributes"]["detach"] == "true"
    assert [(q["method"], q["path"]) for q in cdp.requests][-1] == ("POST", JOURNAL)


def test_a_blacklisted_caller_is_disconnected(cdp, tmp_path):
    run = simulate(cdp, caller_variant(tmp_path, caller="+66800000001"))
    assert not actions(run, "queue.submit") and not actions(run, "dialog.start")
    (terminate,) = actions(run, "interaction.terminate")  # Disconnect2
    assert terminate["attributes"]["reason"] == "Disconnect interaction"
    assert ended(run) and not established(run)


def test_a_caller_who_hangs_up_in_the_ivr_is_disconnected_after_the_journey_is_closed(cdp, tmp_path):
    run = simulate(cdp, caller_variant(tmp_path, ivrdisconnect="1"))
    in_order(run, ev("dialog.start.done"), fetch("POST", JOURNAL), act("interaction.terminate"))
    body = json.loads(cdp.requests[-1]["body"])
    assert (body["description"], body["ivr_menu"]) == ("Flow End [IVR Release]", "m0101")
    assert not actions(run, "queue.submit") and ended(run)


def test_when_the_profile_service_fails_the_call_is_routed_with_the_emergency_profile(cdp, tmp_path):
    run = simulate(cdp, caller_variant(tmp_path, caller="+66800000002"))  # the API answers an HTML page
    error = events(run, "error.session.fetch")
    assert [e["data"]["error"] for e in error] == ["parse"]
    ixn = error[0]["data"].get("interactionid") or platform(run, "interaction.created")[0]["event"]["interaction_id"]
    assert run.platform.get_interaction(ixn)["udata"]["cdpCustName"] == "Default Emergency"  # emsParseEmergency
    assert [a["event"]["agent_id"] for a in established(run)] == ["alice"]
