"""The session module: <session:fetch> against a real HTTP server on loopback, <session:start>,
<session:terminate>, and `_genesys.session` over a config_lists file and the virtual clock."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from openors.ors.session.config import ConfigListsError, load_session_config
from tests.ors.module_site import ModuleSite


class _Stub(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _answer(self, status: int, body: str, content_type: str = "application/json") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("X-Stub", "yes")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if url.path == "/missing":
            self._answer(404, "no such customer", "text/plain")
        elif url.path == "/slow":
            time.sleep(1.5)
            self._answer(200, "{}")
        elif url.path == "/text":
            self._answer(200, "plain words", "text/plain")
        else:
            self._answer(200, json.dumps({
                "method": self.command, "path": url.path, "query": parse_qs(url.query), "body": body,
                "content_type": self.headers.get("Content-Type"), "apikey": self.headers.get("apiKey")}))

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetch_site(tmp_path, fetch: str, **kwargs) -> ModuleSite:
    """A session that runs `fetch` when its call arrives and logs the outcome."""
    return ModuleSite(tmp_path, f"""
      <transition event="interaction.present">{fetch}</transition>
      <transition event="session.fetch.done">
        <log label="content" expr="_event.data.content"/>
        <log label="parsed" expr="eval('(' + _event.data.content + ')')"/>
        <log label="ok" expr="_event.data.requestid == rid"/>
      </transition>
      <transition event="error.session.fetch"><log label="error" expr="_event.data.error"/></transition>""",
                      **kwargs)


def run(site: ModuleSite, *names: str, timeout: float = 5.0) -> None:
    """Drive the host on an asyncio loop (virtual clock) until an event of `names` arrived."""
    async def main():
        site.call()
        return await site.host.run_until(lambda: any(site.names(n) for n in names), timeout=timeout)

    assert asyncio.run(main()), site.names()


def test_get_with_query_parameters_and_headers(server, tmp_path):
    site = fetch_site(tmp_path, f"""
        <script>var customHeaders = new Object(); customHeaders["apiKey"] = 'k-123';</script>
        <session:fetch requestid="rid" srcexpr="'{server}/customers'" method="'get'"
               enctype="'application/x-www-form-urlencoded'" maxage="0" maxstale="0" type="'application/json'"
               gdelivery="false" gd_retries="1" gd_retry_interval="0" timeout="10" headers="customHeaders">
          <param name="number" expr="'+15551110001'"/>
          <param name="ivr_menu" expr="''"/>
          <param name="caller_id" expr="caller_id: _genesys.ixn.interactions[ixnid].voice.ani"/>
        </session:fetch>""")
    run(site, "session.fetch.done")
    done = site.one("session.fetch.done")["data"]
    assert isinstance(done["content"], str)
    echo = json.loads(done["content"])
    assert echo["method"] == "GET" and echo["path"] == "/customers"
    # Composer's `caller_id: expr` (a label in SpiderMonkey) still gives the value.
    assert echo["query"] == {"number": ["+15551110001"], "caller_id": ["+15551110001"]}
    assert echo["apikey"] == "k-123"
    assert done["hints"]["x-stub"] == "yes" and done["hints"]["content-type"] == "application/json"
    assert site.logs("ok") == [True] and site.logs("parsed")[0]["path"] == "/customers"
    site.check_catalogue("session.")


def test_post_form_parameters(server, tmp_path):
    site = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'{server}/form'" method="'post'">
          <param name="a" expr="1"/><param name="b" expr="'x y'"/></session:fetch>""")
    run(site, "session.fetch.done")
    echo = site.logs("parsed")[0]
    assert echo["method"] == "POST" and echo["body"] == "a=1&b=x+y"
    assert echo["content_type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize("body", [
    """<content _expr="payload"/>""",                      # Composer's form: an object, sent as JSON
    """<content expr="JSON.stringify(payload)"/>""",       # a string is sent as it is
    """<param name="journey" expr="payload.journey"/><param name="step" expr="payload.step"/>"""])
def test_post_json_bodies(server, tmp_path, body):
    site = fetch_site(tmp_path, f"""
        <script>payload = {{journey: 'start', step: 2}};</script>
        <session:fetch requestid="rid" srcexpr="'{server}/journey'" method="'post'" enctype="'application/json'"
                       type="'application/json'" timeout="10">{body}</session:fetch>""")
    run(site, "session.fetch.done")
    echo = site.logs("parsed")[0]
    assert json.loads(echo["body"]) == {"journey": "start", "step": 2}
    assert echo["content_type"] == "application/json"


def test_an_http_error_status_is_error_session_fetch_with_protocol_and_code(server, tmp_path):
    site = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'{server}/missing'" method="'get'"/>""")
    run(site, "error.session.fetch")
    error = site.one("error.session.fetch")["data"]
    assert error["error"] == "http.404" and "no such customer" in error["description"]
    assert error["requestid"] == site.actions("session.fetch")[0]["requestid"]
    site.check_catalogue("session.")


def test_a_slow_server_gives_a_timeout_error(server, tmp_path):
    site = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'{server}/slow'" timeout="0.3"/>""")
    started = time.monotonic()
    run(site, "error.session.fetch")
    assert site.one("error.session.fetch")["data"]["error"] == "timeout"
    assert time.monotonic() - started < 1.4


def test_an_unreachable_port_gives_http_0(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    site = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'http://127.0.0.1:{port}/x'"/>""")
    run(site, "error.session.fetch")
    error = site.one("error.session.fetch")["data"]
    assert error["error"] == "http.0" and str(port) in error["description"]
    site.check_catalogue("session.")


def test_guaranteed_delivery_retries_when_nobody_answers(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    site = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'http://127.0.0.1:{port}/x'"
                        gdelivery="true" gd_retries="2" gd_retry_interval="0.05"/>""")
    started = time.monotonic()
    run(site, "error.session.fetch")
    assert site.one("error.session.fetch")["data"]["error"] == "http.0"
    assert time.monotonic() - started >= 0.1  # two pauses between three attempts


def test_a_body_that_is_not_the_expected_type_is_an_error(server, tmp_path):
    site = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'{server}/text'"
                                      type="'application/json'"/>""")
    run(site, "error.session.fetch")
    assert site.one("error.session.fetch")["data"]["error"] == "parse"
    plain = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'{server}/text'"/>""")
    run(plain, "session.fetch.done")
    assert plain.logs("content") == ["plain words"]


@pytest.mark.parametrize(("fetch", "words"), [
    ("""<session:fetch requestid="rid" method="'get'"/>""", "srcexpr"),
    ("""<session:fetch requestid="rid" srcexpr="'ftp://x/y'"/>""", "http(s)"),
    ("""<session:fetch requestid="rid" srcexpr="'http://127.0.0.1:1/'" method="'esp'"/>""", "esp"),
    ("""<session:fetch requestid="rid" srcexpr="'http://127.0.0.1:1/'" headers="'x'"/>""", "headers"),
    ("""<session:fetch requestid="rid" srcexpr="'http://127.0.0.1:1/'" timeout="'soon'"/>""", "timeout"),
    ("""<session:fetch requestid="rid" srcexpr="'http://127.0.0.1:1/'"><param name="p" expr="nosuch.x"/>
        </session:fetch>""", "nosuch")])
def test_bad_requests_are_errors_before_any_io(tmp_path, fetch, words):
    site = fetch_site(tmp_path, fetch)
    run(site, "error.session.fetch")
    error = site.one("error.session.fetch")["data"]
    assert error["error"] == "unknown" and words in error["description"]


def test_fetch_without_an_event_loop_is_an_error(server, tmp_path):
    site = fetch_site(tmp_path, f"""<session:fetch requestid="rid" srcexpr="'{server}/x'"/>""")
    site.call()
    site.run(1)
    assert "asyncio loop" in site.one("error.session.fetch")["data"]["description"]


# --- session:start / session:terminate --------------------------------------------------------

CHILD = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="s" _persist="false">
  <datamodel><data id="ani" expr="'none'"/><data id="n" expr="0"/></datamodel>
  <state id="s"><onentry><log label="child" expr="ani + '/' + n"/></onentry>
    <onexit><log label="child.exit" expr="ani"/></onexit></state>
</scxml>"""


def test_session_start_fills_data_from_params_and_terminate_ends_it(tmp_path):
    site = ModuleSite(tmp_path, """
      <transition event="interaction.present">
        <session:start requestid="rid" src="child.scxml" sessionid="childId">
          <param name="ani" expr="'5551234'"/><param name="n" expr="1 + 1"/>
        </session:start>
      </transition>
      <transition event="session.start.done">
        <log label="started" expr="[_event.data.sessionid == childId, _event.data.requestid == rid]"/>
        <session:terminate requestid="rid2" sessionid="_event.data.sessionid"/>
      </transition>
      <transition event="session.terminate.done"><log label="terminated" expr="_event.data.sessionid"/></transition>""",
                      datamodel='<data id="childId" expr="\'\'"/><data id="rid2"/>',
                      extra_documents={"child.scxml": CHILD})
    site.call()
    site.run(2)
    assert site.logs("child") == ["5551234/2"]
    assert site.logs("started") == [[True, True]]
    child_id = site.one("session.start.done")["data"]["sessionid"]
    assert site.logs("terminated") == [child_id] and site.logs("child.exit") == ["5551234"]
    assert child_id not in site.host.sessions
    site.check_catalogue("session.")


@pytest.mark.parametrize(("action", "event"), [
    ("""<session:start requestid="rid" src="nosuch.scxml"/>""", "error.session.start"),
    ("""<session:start requestid="rid"/>""", "error.session.start"),
    ("""<session:terminate requestid="rid" sessionid="'NOSUCH'"/>""", "error.session.terminate")])
def test_session_start_and_terminate_errors(tmp_path, action, event):
    site = ModuleSite(tmp_path, f"""<transition event="interaction.present">{action}</transition>""")
    site.call()
    site.run(2)
    assert site.one(event)["data"]["error"] == "unknown"
    site.check_catalogue("session.")


def test_session_terminate_without_sessionid_ends_the_session_itself(tmp_path):
    site = ModuleSite(tmp_path, """<transition event="interaction.present"><session:terminate/></transition>""")
    ixn = site.call()
    site.run(2)
    assert site.world.owner.get(ixn) is None and not site.host.sessions
    assert site.names("session.") == []


# --- _genesys.session ---------------------------------------------------------------------------

CONFIG = """
server: {name: ORS_A, cluster: ORS_Cluster, url: "http://ors-a:7210"}
tenant: {name: Bank, id: 101}
epoch: "2024-07-04T18:30:15Z"
time_zones: {KST: Asia/Seoul, HAW: Pacific/Honolulu}
lists:
  RoutingTable:
    m0501: {routetype: gns, virtual-queue-name: VQ_Cards}
    default: {routetype: lg, route-destination: "7001"}
special_days:
  Holidays:
    Independence: {date: "07-04"}
    Sale: {date: "2024-07-04", start: "09:00", end: "12:00"}
    Christmas: {date: "12-25"}
options:
  tenant: {"routing/overflow": VQ_Tenant, "routing/mode": normal}
  dns: {"5000": {"routing/overflow": VQ_5000}}
"""


def probe_site(tmp_path, probes: dict[str, str], *, later: dict[str, str] | None = None) -> ModuleSite:
    config = tmp_path / "config-lists.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    logs = "".join(f'<log label="{k}" expr="{v}"/>' for k, v in probes.items())
    later_logs = "".join(f'<log label="{k}" expr="{v}"/>' for k, v in (later or {}).items())
    return ModuleSite(tmp_path, f"""
      <transition event="interaction.present">{logs}<send event="'later'" delay="'3600s'"/></transition>
      <transition event="later">{later_logs}</transition>""", config_lists=config)


def probe(tmp_path, **probes: str) -> dict:
    site = probe_site(tmp_path, probes)
    site.call()
    site.run(1)
    return {k: site.logs(k)[0] for k in probes}


def test_server_tenant_and_enumerations_come_from_the_config(tmp_path):
    got = probe(tmp_path, server="_genesys.session.server", tenant="_genesys.session.tenant",
                tenantid="_genesys.session.tenantid", seq="_genesys.session.lookupseq.StartFromTenant",
                rtype="_genesys.resource.resourceType.CFGExtension", any="_genesys.resource.resourceType.any")
    assert got == {"server": {"name": "ORS_A", "cluster": "ORS_Cluster", "url": "http://ors-a:7210"},
                   "tenant": "Bank", "tenantid": 101, "seq": 2, "rtype": 2, "any": 0}


def test_get_list_item_value(tmp_path):
    got = probe(tmp_path,
                item="_genesys.session.getListItemValue('RoutingTable', 'm0501')",
                key="_genesys.session.getListItemValue('RoutingTable', 'default', 'route-destination')",
                nokey="_genesys.session.getListItemValue('RoutingTable', 'default', 'nosuch')",
                noitem="_genesys.session.getListItemValue('RoutingTable', 'm9999')",
                nolist="_genesys.session.getListItemValue('NoList', 'x', 'y')")
    assert got == {"item": {"routetype": "gns", "virtual-queue-name": "VQ_Cards"}, "key": "7001",
                   "nokey": "", "noitem": "", "nolist": ""}


def test_get_config_option_by_dn_then_tenant(tmp_path):
    got = probe(tmp_path,
                dn="_genesys.session.getConfigOption(ixnid, 'routing/overflow')",
                tenant="_genesys.session.getConfigOption(ixnid, 'routing/overflow', "
                       "_genesys.session.lookupseq.StartFromTenant)",
                fallback="_genesys.session.getConfigOption(ixnid, 'routing/mode')",
                missing="_genesys.session.getConfigOption(ixnid, 'nosuch')")
    assert got == {"dn": "VQ_5000", "tenant": "VQ_Tenant", "fallback": "normal", "missing": ""}


def test_time_date_and_day_in_zone_follow_the_virtual_clock(tmp_path):
    probes = {"utc": "_genesys.session.timeInZone('UTC')", "pst": "_genesys.session.timeInZone('PST')",
              "est_day": "_genesys.session.dayInZone('EST')", "kst_date": "_genesys.session.dateInZone('KST')",
              "kst_day": "_genesys.session.dayInZone('KST')", "haw": "_genesys.session.timeInZone('HAW')",
              "iana": "_genesys.session.timeInZone('Europe/London')",
              "fixed": "_genesys.session.timeInZone('GMT+05:30')", "minus": "_genesys.session.timeInZone('UTC-3')",
              "unknown": "_genesys.session.timeInZone('Mars/Olympus')", "none": "_genesys.session.dateInZone()"}
    site = probe_site(tmp_path, probes, later={"utc_later": "_genesys.session.timeInZone('UTC')"})
    site.call()
    site.run(3700)
    got = {k: site.logs(k)[0] for k in [*probes, "utc_later"]}
    # 2024-07-04 18:30:15 UTC is a Thursday; daylight saving time in the US and the UK.
    assert got == {"utc": "18:30:15", "pst": "11:30:15", "est_day": 4, "kst_date": "2024-07-05", "kst_day": 5,
                   "haw": "08:30:15", "iana": "19:30:15", "fixed": "00:00:15", "minus": "15:30:15",
                   "unknown": "18:30:15", "none": "2024-07-04", "utc_later": "19:30:15"}
    assert [r for r in site.records if r["kind"] == "log" and "Mars/Olympus" in str(r["value"])]


def test_is_special_day(tmp_path):
    got = probe(tmp_path,
                day="_genesys.session.isSpecialDay('Holidays', 'Independence')",
                any="_genesys.session.isSpecialDay('Holidays', '')",
                other="_genesys.session.isSpecialDay('Holidays', 'Christmas')",
                timed="_genesys.session.isSpecialDay('Holidays', 'Sale', 'UTC', true)",
                timed_local="_genesys.session.isSpecialDay('Holidays', 'Sale', 'PST', true)",
                untimed="_genesys.session.isSpecialDay('Holidays', 'Sale', 'UTC', false)",
                notable="_genesys.session.isSpecialDay('NoTable', 'x')")
    assert got == {"day": 1, "any": 1, "other": 0, "timed": 0, "timed_local": 1, "untimed": 1, "notable": 0}


def test_defaults_without_a_config_file(tmp_path):
    site = ModuleSite(tmp_path, """<transition event="interaction.present">
        <log label="tenant" expr="[_genesys.session.tenant, _genesys.session.tenantid, _genesys.session.server.name]"/>
        <log label="list" expr="_genesys.session.getListItemValue('L', 'I')"/></transition>""")
    site.call()
    site.run(1)
    assert site.logs("tenant") == [["Environment", 1, "OpenORS"]] and site.logs("list") == [""]


@pytest.mark.parametrize(("text", "words"), [
    ("lists: [1, 2]", "lists: expected a mapping"), ("colour: red", "unknown field"),
    ("epoch: yesterday", "ISO date-time"), ("lists: {L: {I: 3}}", "lists.L.I"), ("- a", "mapping at the top")])
def test_config_lists_file_errors_name_the_field(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigListsError, match=words.replace("[", r"\[")):
        load_session_config(path)


def test_config_lists_from_a_mapping():
    config = load_session_config({"tenant": {"name": "T"}, "time_zones": ["Asia/Seoul"]})
    assert config.tenant == {"name": "T", "id": 1} and config.zones["Asia/Seoul"] == "Asia/Seoul"
    assert config.offsets(0)["Asia/Seoul"] == 9 * 60


def test_javascript_date_follows_the_session_clock(tmp_path):
    # epoch in CONFIG is the virtual time 0; the call arrives at once, `later` one hour on.
    site = probe_site(tmp_path, {"now": "new Date().toISOString()", "ms": "Date.now()"},
                      later={"later": "new Date().toISOString()", "kind": "new Date() instanceof Date"})
    site.call()
    site.run(4000)
    assert site.logs("now")[0].startswith("2024-07-04T18:30:1")
    assert site.logs("later")[0].startswith("2024-07-04T19:30:1")
    assert site.logs("kind") == [True]
    assert isinstance(site.logs("ms")[0], int | float)
