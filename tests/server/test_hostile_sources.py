"""Hostile sources against a real `openors serve` process: devices and FIFOs, documents past the
caps, an http: document reaching for local files, <session:fetch> outside the allow-list or with a
huge answer, and a document whose compilation must not stop the server answering."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .serving import ProcessServer, client, wait_for

SCXML = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'
XI = 'xmlns:xi="http://www.w3.org/2001/XInclude"'
SECRET = "TOP-SECRET-LINE"
DOC_CAP, FETCH_CAP, ELEMENT_CAP = 100_000, 50_000, 5_000


class _Web(BaseHTTPRequestHandler):
    """Documents and web services for the server under test. `routes`: path -> (body, how)."""

    routes: dict[str, tuple[bytes, str]] = {}
    seen: list[str] = []
    include_asked = threading.Event()
    include_release = threading.Event()

    def log_message(self, *args):
        pass

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.path == "/slow-include.js":  # held until the test says the server answered meanwhile
            self.include_asked.set()
            self.include_release.wait(20)
        body, how = self.routes.get(self.path, (b"not here", "missing"))
        self.send_response(404 if how == "missing" else 200)
        if how == "stream":  # no Content-Length: the body ends when the connection closes
            self.send_header("Connection", "close")
            self.end_headers()
            for start in range(0, len(body), 8192):
                self.wfile.write(body[start:start + 8192])
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that stops reading a huge body (as the server under test must) is expected


@pytest.fixture(scope="module")
def web():
    httpd = _QuietServer(("127.0.0.1", 0), _Web)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    _Web.include_release.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "secret.txt").write_text(SECRET + "\n")
    (folder / "secret.js").write_text(f"var leaked = '{SECRET}';\n")
    os.mkfifo(folder / "pipe")
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory, web):
    tmp = tmp_path_factory.mktemp("serve")
    config = tmp / "openors.yaml"
    config.write_text("\n".join([
        "listen: {host: 127.0.0.1, port: 0}", "store: {type: sqlite, path: store.db}",
        "logging: {level: INFO}", "runtime: {idle_eviction_s: null}",
        "sources:",
        f"  documents: ['file:*', '{web}/*']",
        f"  fetch: ['{web}/allowed/*']",
        f"  max_document_bytes: {DOC_CAP}", f"  max_document_elements: {ELEMENT_CAP}",
        f"  max_fetch_bytes: {FETCH_CAP}", "  timeout_s: 30"]) + "\n")
    srv = ProcessServer(config, tmp / "server.log").start()
    yield srv
    srv.terminate()


@pytest.fixture
def http(server):
    with client(server.url) as c:
        yield c


def serve(path: str, body: str | bytes, how: str = "length") -> None:
    _Web.routes[path] = (body.encode() if isinstance(body, str) else body, how)


def start(http, src: str, **params):
    return http.post("/scxml/session/start", data={"src": src, **params})


def settled(http, sid: str, states: set[str]) -> dict:
    """The session's query once its configuration holds one of `states`."""
    def query():
        answer = http.get(f"/scxml/session/{sid}/query").json()
        return answer if states & set(answer.get("configuration") or ()) else None
    return wait_for(query)


def peak_memory_kib(server) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc")


def refused_load(response, *words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "DocumentLoadFailed"
    for word in words:
        assert word in body["message"], body["message"]


# A document whose <data id="value"> reads `src`; an error.execution on the way is recorded.
def data_src_document(src: str) -> str:
    return f"""<scxml {SCXML} initial="s">
  <datamodel><data id="value" src="{src}"/><data id="why" expr="''"/></datamodel>
  <state id="s">
    <transition event="error.execution" target="refused">
      <assign location="why" expr="String(_event.data &amp;&amp; _event.data.message || _event.data)"/>
    </transition>
    <transition target="read" cond="typeof value != 'undefined'"/>
  </state>
  <state id="refused"/><state id="read"/>
</scxml>"""


# --- devices, FIFOs and sizes -------------------------------------------------------------------

def load_failures(http) -> float:
    for line in http.get("/metrics").text.splitlines():
        if line.startswith("ors_document_load_failures_total "):
            return float(line.split()[1])
    raise AssertionError("no ors_document_load_failures_total in /metrics")


def test_dev_zero_as_a_document_is_refused_at_once_and_counted(http, server):
    before = load_failures(http)
    refused_load(start(http, "file:///dev/zero"), "/dev/zero", "not a regular file")
    assert peak_memory_kib(server) < 1024 * 1024
    assert load_failures(http) == before + 1


def test_dev_zero_as_data_src_gives_error_execution_and_the_server_keeps_answering(http, server, files):
    doc = files / "zero-data.scxml"
    doc.write_text(data_src_document("file:///dev/zero"))
    answer = start(http, doc.as_uri())
    assert answer.status_code == 200, answer.text
    query = settled(http, answer.json()["sessionid"], {"refused", "read"})
    assert query["configuration"] == ["refused"] and "not a regular file" in query["data"]["why"]
    assert peak_memory_kib(server) < 1024 * 1024


@pytest.mark.parametrize("target", ["/dev/zero", "pipe"])
def test_a_device_or_fifo_as_an_include_is_refused_without_hanging(http, files, target):
    href = target if target.startswith("/") else (files / target).as_uri()
    doc = files / f"include-{target.strip('/').replace('/', '-')}.scxml"
    doc.write_text(f'<scxml {SCXML} {XI}><script><xi:include parse="text" href="{href}"/></script>'
                   f'<final id="f"/></scxml>')
    refused_load(start(http, doc.as_uri()), "not a regular file")


def test_a_document_file_over_the_cap_is_refused_naming_the_cap(http, files):
    doc = files / "big.scxml"
    doc.write_text(f'<scxml {SCXML}><datamodel><data id="x" expr="\'{"a" * DOC_CAP}\'"/></datamodel>'
                   f'<final id="f"/></scxml>')
    refused_load(start(http, doc.as_uri()), str(DOC_CAP), "big.scxml")


@pytest.mark.parametrize("how", ["length", "stream"])
def test_an_http_document_over_the_cap_is_refused_naming_the_cap(http, web, how):
    serve(f"/big-{how}.scxml", f'<scxml {SCXML}><datamodel><data id="x" expr="\'{"a" * DOC_CAP}\'"/>'
                               f'</datamodel><final id="f"/></scxml>', how)
    refused_load(start(http, f"{web}/big-{how}.scxml"), str(DOC_CAP), f"big-{how}.scxml")


def test_a_document_with_too_many_elements_is_refused_naming_the_cap(http, files):
    doc = files / "many.scxml"
    doc.write_text(f'<scxml {SCXML} initial="f0">' + "".join(f'<final id="f{i}"/>' for i in range(ELEMENT_CAP))
                   + "</scxml>")
    refused_load(start(http, doc.as_uri()), str(ELEMENT_CAP), "max_document_elements")


def test_a_document_outside_sources_documents_is_refused_naming_the_rule(http):
    refused_load(start(http, "http://127.0.0.1:9/elsewhere.scxml"), "elsewhere.scxml",
                 "not allowed by sources.documents")


# --- an http: document reaching for local files ------------------------------------------------

def test_an_http_document_cannot_read_a_local_file_through_data_src(http, web, files):
    serve("/leak-data.scxml", data_src_document((files / "secret.txt").as_uri()))
    answer = start(http, f"{web}/leak-data.scxml")
    assert answer.status_code == 200, answer.text
    sid = answer.json()["sessionid"]
    query = settled(http, sid, {"refused", "read"})
    assert query["configuration"] == ["refused"] and "may not read local files" in query["data"]["why"]
    assert SECRET not in json.dumps(query)


@pytest.mark.parametrize("element", [
    '<script src="{secret}"/>',
    '<script><xi:include parse="text" href="{secret}"/></script>',
    '<state id="inv"><invoke src="{secret}"/></state>',
])
def test_an_http_document_cannot_read_a_local_file_through_script_include_or_invoke(http, web, files, element):
    name = f"/leak-{abs(hash(element))}.scxml"
    serve(name, f'<scxml {SCXML} {XI} initial="f">{element.format(secret=(files / "secret.js").as_uri())}'
                f'<final id="f"/></scxml>')
    answer = start(http, web + name)
    if "invoke" in element:  # read only when the state is entered: the document itself loads
        assert answer.status_code == 200
        assert SECRET not in json.dumps(http.get(f"/scxml/session/{answer.json()['sessionid']}/query").json())
        return
    refused_load(answer, "secret.js", "may not read local files")
    assert SECRET not in answer.text


def test_a_local_document_may_still_read_local_files(http, files):
    doc = files / "local-data.scxml"
    doc.write_text(data_src_document((files / "secret.txt").as_uri()))
    query = settled(http, start(http, doc.as_uri()).json()["sessionid"], {"refused", "read"})
    assert query["configuration"] == ["read"]


# --- <session:fetch> ---------------------------------------------------------------------------

FETCH_DOCUMENT = f"""<scxml {SCXML} xmlns:session="http://www.genesyslab.com/modules/session" initial="s">
  <datamodel>
    <data id="target" expr="''"/><data id="rid" expr="''"/><data id="error" expr="''"/>
    <data id="description" expr="''"/><data id="content" expr="''"/>
  </datamodel>
  <state id="s">
    <onentry><session:fetch requestid="rid" srcexpr="target" method="'get'"/></onentry>
    <transition event="error.session.fetch" target="failed">
      <assign location="error" expr="_event.data.error"/>
      <assign location="description" expr="_event.data.description"/>
    </transition>
    <transition event="session.fetch.done" target="fetched">
      <assign location="content" expr="_event.data.content"/>
    </transition>
  </state>
  <state id="failed"/><state id="fetched"/>
</scxml>"""


def fetch(http, files, target: str) -> dict:
    doc = files / "fetch.scxml"
    doc.write_text(FETCH_DOCUMENT)
    answer = start(http, doc.as_uri(), target=target)
    assert answer.status_code == 200, answer.text
    return settled(http, answer.json()["sessionid"], {"failed", "fetched"})


def test_session_fetch_inside_the_allow_list_is_answered(http, web, files):
    serve("/allowed/hello", "hello")
    query = fetch(http, files, f"{web}/allowed/hello")
    assert query["configuration"] == ["fetched"] and query["data"]["content"] == "hello"


@pytest.mark.parametrize("where", ["loopback", "file"])
def test_session_fetch_outside_the_allow_list_gets_error_session_fetch(http, web, files, where):
    serve("/internal/admin", SECRET)
    target = f"{web}/internal/admin" if where == "loopback" else (files / "secret.txt").as_uri()
    query = fetch(http, files, target)
    assert query["configuration"] == ["failed"] and query["data"]["error"] == "unknown"
    assert "not allowed by sources.fetch" in query["data"]["description"]
    assert query["data"]["description"].endswith("[notallowed]")
    assert "/internal/admin" not in _Web.seen and SECRET not in json.dumps(query)


@pytest.mark.parametrize("how", ["length", "stream"])
def test_session_fetch_with_a_huge_answer_stops_at_the_cap(http, web, files, how):
    serve(f"/allowed/huge-{how}", b"x" * (FETCH_CAP * 20), how)
    query = fetch(http, files, f"{web}/allowed/huge-{how}")
    assert query["configuration"] == ["failed"] and query["data"]["error"] == "unknown"
    assert str(FETCH_CAP) in query["data"]["description"] and query["data"]["description"].endswith("[toolarge]")


# --- a document that takes long to compile -----------------------------------------------------

def test_other_requests_are_answered_while_a_document_compiles(http, web):
    """The include is fetched while the document compiles; the web server holds it until a query
    of another session has been answered. Compiled on the event loop, that query would wait for
    the include and the include for the query: both would time out."""
    serve("/slow-include.js", "var slow = 1;")
    serve("/slow.scxml", f'<scxml {SCXML} {XI}><script><xi:include parse="text" href="slow-include.js"/>'
                         f'</script><state id="w"/></scxml>')
    outcome = {}

    def start_slow() -> None:
        with client(str(http.base_url)) as own:
            outcome["answer"] = start(own, f"{web}/slow.scxml")

    slow = threading.Thread(target=start_slow)
    slow.start()
    try:
        assert _Web.include_asked.wait(15), "the server never asked for the include"
        with client(str(http.base_url)) as other_client:
            answered = other_client.get("/metrics", timeout=5)
        assert answered.status_code == 200 and slow.is_alive()
    finally:
        _Web.include_release.set()
        slow.join(30)
    assert outcome["answer"].status_code == 200, outcome["answer"].text
