"""The sources policy and bounded reads in the engine: patterns, the rule for http: documents,
devices and FIFOs, size caps, and the Basic HTTP processor's caps and allowed targets."""

from __future__ import annotations

import asyncio
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from openors.scxml import RealClock, ScxmlLoadError, SessionHost, load_document, load_string
from openors.scxml.ioprocessors import enable_basichttp
from openors.scxml.lint import lint_document
from openors.scxml.reading import read_file, read_url
from openors.scxml.sources import SourceError, SourcePolicy, SourceTooLarge

# --- the policy ---------------------------------------------------------------------------------

def test_defaults_allow_documents_from_files_and_the_web_and_fetches_from_the_web():
    policy = SourcePolicy()
    for url in ("file:///srv/a.scxml", "http://example.com/a.scxml", "https://example.com/a.scxml"):
        policy.check_document(url)
    policy.check_fetch("http://127.0.0.1:8080/api")
    with pytest.raises(SourceError, match="not allowed by sources.fetch"):
        policy.check_fetch("file:///etc/passwd")


@pytest.mark.parametrize("referrer", ["http://example.com/app/main.scxml", "https://example.com/main.scxml"])
@pytest.mark.parametrize("target", ["file:///etc/passwd", "/etc/passwd"])
def test_a_document_read_over_http_may_not_refer_to_local_files(referrer, target):
    with pytest.raises(SourceError, match="may not read local files"):
        SourcePolicy().check_reference(target, referrer)


def test_a_local_document_may_refer_to_local_files_and_to_the_web():
    SourcePolicy().check_reference("file:///srv/lib.js", "file:///srv/main.scxml")
    SourcePolicy().check_reference("http://example.com/lib.js", "file:///srv/main.scxml")


def test_patterns_are_globs_on_the_whole_url_and_file_urls_compare_decoded():
    policy = SourcePolicy(documents=("https://strategies.example.com/*", "file:///srv/my apps/*"),
                          fetch=("https://api.example.com/*",))
    policy.check_document("https://strategies.example.com/ivr/main.scxml")
    policy.check_document("file:///srv/my%20apps/main.scxml")
    for url in ("https://strategies.example.com.evil.org/x", "http://strategies.example.com/x", "file:///etc/x"):
        with pytest.raises(SourceError, match="not allowed by sources.documents"):
            policy.check_document(url)
    with pytest.raises(SourceError, match=r"allowed: https://api\.example\.com/\*"):
        policy.check_fetch("https://other.example.com/")


# --- bounded reads -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "/tmp"])
def test_devices_and_directories_are_refused(path):
    with pytest.raises(SourceError, match="not a regular file|a directory"):
        read_url(f"file://{path}", 1000, 5)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(SourceError, match="a FIFO"):
        read_file(tmp_path / "pipe", 1000)


def test_a_file_over_the_cap_is_refused_naming_the_url_and_the_cap(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"x" * 1001)
    (tmp_path / "fits.txt").write_bytes(b"x" * 1000)
    with pytest.raises(SourceTooLarge) as info:
        read_url((tmp_path / "big.txt").as_uri(), 1000, 5)
    assert "big.txt" in str(info.value) and "cap of 1000 bytes" in str(info.value)
    assert read_url((tmp_path / "fits.txt").as_uri(), 1000, 5) == b"x" * 1000


def test_lint_and_load_report_a_dev_zero_include_of_a_script(tmp_path):
    doc = tmp_path / "zero.scxml"
    doc.write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
                   '<script src="/dev/zero"/><final id="f"/></scxml>')
    with pytest.raises(ScxmlLoadError, match="not a regular file"):
        load_document(doc)
    assert any("not a regular file" in p.message for p in lint_document(str(doc)))


def test_a_document_with_more_elements_than_the_cap_is_refused(tmp_path):
    doc = tmp_path / "many.scxml"
    doc.write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="f0">'
                   + "".join(f'<final id="f{i}"/>' for i in range(50)) + "</scxml>")
    with pytest.raises(ScxmlLoadError, match="more than 40 elements"):
        load_document(doc, sources=SourcePolicy(max_document_elements=40))
    assert len(load_document(doc, sources=SourcePolicy(max_document_elements=60)).all_states) >= 50


# --- the Basic HTTP processor ------------------------------------------------------------------

class _Big(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Connection", "close")  # no Content-Length: counted while it streams
        self.end_headers()
        for _ in range(64):
            self.wfile.write(b"y" * 16384)
        self.close_connection = True


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # the processor stops reading at the cap: the broken pipe here is expected


@pytest.fixture
def big_answers():
    httpd = _QuietServer(("127.0.0.1", 0), _Big)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def chart(body: str) -> str:
    return ('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="s0">'
            '<datamodel><data id="message" expr="\'\'"/></datamodel>'
            f'{body}<final id="pass"><onentry><log label="message" expr="message"/></onentry></final>'
            '<final id="fail"/></scxml>')


def run_session(document: str, sources: SourcePolicy) -> tuple[str, dict]:
    async def main():
        host = SessionHost(RealClock(asyncio.get_running_loop()), sources=sources)
        processor = await enable_basichttp(host)
        try:
            session = host.start_session(load_string(document))
            await host.run_until(lambda: session.is_done, timeout=10)
            return session.final_state, dict(session.log)
        finally:
            await processor.stop()
    return asyncio.run(main())


def test_a_basic_http_answer_past_the_cap_is_error_communication(big_answers):
    final, logs = run_session(chart(f"""
      <state id="s0">
        <onentry><send event="e" type="basichttp" target="{big_answers}"/></onentry>
        <transition event="error.communication" target="pass">
          <assign location="message" expr="_event.data.message"/>
        </transition>
        <transition event="*" target="fail"/>
      </state>"""), SourcePolicy(max_fetch_bytes=100_000))
    assert final == "pass" and "cap of 100000 bytes" in logs["message"]


def test_a_basic_http_target_outside_sources_fetch_is_error_execution(big_answers):
    final, logs = run_session(chart(f"""
      <state id="s0">
        <onentry><send event="e" type="basichttp" target="{big_answers}"/></onentry>
        <transition event="error.execution" target="pass">
          <assign location="message" expr="_event.data.message"/>
        </transition>
        <transition event="*" target="fail"/>
      </state>"""), SourcePolicy(fetch=("https://api.example.com/*",)))
    assert final == "pass" and "not allowed by sources.fetch" in logs["message"]


def test_sends_to_own_sessions_need_no_allow_list_entry():
    final, _ = run_session(chart("""
      <state id="s0">
        <onentry><send event="back" type="basichttp" targetexpr="_ioprocessors['basichttp'].location"/></onentry>
        <transition event="back" target="pass"/>
        <transition event="*" target="fail"/>
      </state>"""), SourcePolicy(fetch=()))
    assert final == "pass"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "streamed"])
def test_a_basic_http_request_past_the_cap_is_413_and_no_event(chunked):
    waiting = chart('<state id="s0"><transition event="*" target="fail"/></state>')

    async def main():
        host = SessionHost(RealClock(asyncio.get_running_loop()), sources=SourcePolicy(max_fetch_bytes=1000))
        processor = await enable_basichttp(host)
        try:
            session = host.start_session(load_string(waiting))
            body = b"a=" + b"x" * 5000

            async def chunks():
                for start in range(0, len(body), 500):
                    yield body[start:start + 500]

            async with httpx.AsyncClient(trust_env=False) as client:
                response = await client.post(processor.location(session.id), content=chunks() if chunked else body,
                                             headers={"content-type": "application/x-www-form-urlencoded"})
            await host.run_until(lambda: session.is_done, timeout=0.3)
            return response, session.is_done
        finally:
            await processor.stop()

    response, ended = asyncio.run(main())
    assert response.status_code == 413 and "cap of 1000 bytes" in response.text
    assert not ended
