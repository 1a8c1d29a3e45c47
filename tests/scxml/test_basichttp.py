"""The Basic HTTP Event I/O Processor (SCXML 1.0 C.2) over real loopback HTTP."""

import asyncio
import json
import socket
from pathlib import Path

import httpx
import pytest

from openors.scxml import RealClock, SessionHost, VirtualClock, load_document, load_string
from openors.scxml.ioprocessors import BASIC_HTTP, enable_basichttp
from openors.scxml.ioprocessors.wire import MalformedMessage, decode_request, encode_send
from openors.scxml.values import XmlValue

IRP = Path(__file__).resolve().parents[2].parent / "shared" / "w3c-scxml-irp" / "optional" / "automatic"
IRP_TESTS = ["201", "509", "510", "518", "519", "520", "522", "531", "532", "534", "567", "577"]


def run(coro_fn, clock=RealClock):
    """Run `coro_fn(host, processor)` on a fresh host with Basic HTTP enabled, then stop the server."""
    async def main():
        host = SessionHost(clock())
        processor = await enable_basichttp(host)
        try:
            return await coro_fn(host, processor)
        finally:
            await processor.stop()
    return asyncio.run(main())


def chart(body: str, datamodel: str = "") -> str:
    return ('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" '
            f'initial="s0">{datamodel}{body}<final id="pass"/><final id="fail"/></scxml>')


def logs(session) -> dict:
    return {label: value for label, value in session.log}


# --- the W3C IRP tests -----------------------------------------------------------------------

@pytest.mark.skipif(not IRP.is_dir(), reason="the shared W3C IRP folder is not available")
@pytest.mark.parametrize("clock", [VirtualClock, RealClock], ids=["virtual", "real"])
@pytest.mark.parametrize("number", IRP_TESTS)
def test_irp_basichttp_test_reaches_pass(number, clock):
    document = load_document(IRP / f"test{number}.scxml")

    async def go(host, processor):
        session = host.start_session(document)
        await host.run_until(lambda: session.is_done, timeout=35)
        return session.final_state

    assert run(go, clock) == "pass"


# --- receiving from an outside client -------------------------------------------------------------

WAIT_FOR_ANY = chart("""
  <state id="s0">
    <transition event="*" target="pass">
      <log label="name" expr="_event.name"/>
      <log label="data" expr="JSON.stringify(_event.data === undefined ? null : _event.data)"/>
      <log label="origintype" expr="_event.origintype"/>
      <log label="origin" expr="_event.origin === undefined ? null : _event.origin"/>
      <log label="raw" expr="_event.raw"/>
    </transition>
  </state>""")


def post_from_outside(**request):
    """POST to a waiting session's location with httpx; returns (response, the session's logs).

    The POST is awaited, so any event it makes is queued before the host runs; with a virtual
    clock and no timers the host then returns at once when nothing came."""
    async def go(host, processor):
        session = host.start_session(load_string(WAIT_FOR_ANY))
        url = request.pop("url", None) or processor.location(session.id)
        async with httpx.AsyncClient(trust_env=False) as client:
            response = await client.request(request.pop("method", "POST"), url, **request)
        await host.run_until(lambda: session.is_done, timeout=2)
        return response, logs(session)
    return run(go, VirtualClock)


def test_an_outside_post_becomes_an_event_with_the_form_fields_as_data():
    response, seen = post_from_outside(data={"_scxmleventname": "order.placed", "item": "tea", "qty": "2"},
                                       headers={"x-scxml-origin": "http://example.org/reply"})
    assert response.status_code == 200
    assert seen["name"] == "order.placed"
    assert json.loads(seen["data"]) == {"item": "tea", "qty": "2"}
    assert seen["origintype"] == BASIC_HTTP
    assert seen["origin"] == "http://example.org/reply"
    assert seen["raw"].startswith("POST /basichttp/") and "item=tea" in seen["raw"]


def test_the_event_name_may_come_as_a_header_as_in_manual_test_513():
    response, seen = post_from_outside(content=b"key1=value1&key2=value2",
                                       headers={"_scxmleventname": "test",
                                                "content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert seen["name"] == "test" and json.loads(seen["data"]) == {"key1": "value1", "key2": "value2"}


def test_without_a_name_the_event_is_named_after_the_method():
    response, seen = post_from_outside(json={"a": [1, 2]})
    assert response.status_code == 200
    assert seen["name"] == "HTTP.POST" and json.loads(seen["data"]) == {"a": [1, 2]}


def test_a_plain_text_body_is_the_data():
    _, seen = post_from_outside(content="hello there", headers={"content-type": "text/plain"})
    assert json.loads(seen["data"]) == "hello there"


def test_an_unknown_session_is_404():
    async def go(host, processor):
        async with httpx.AsyncClient(trust_env=False) as client:
            return await client.post(processor.location("no-such-session"), data={"a": "1"})
    response = run(go)
    assert response.status_code == 404 and "no-such-session" in response.text


@pytest.mark.parametrize("request_args, message", [
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "malformed JSON"),
    ({"content": b"_scxmleventname=a&_scxmleventname=b",
      "headers": {"content-type": "application/x-www-form-urlencoded"}}, "more than one _scxmleventname"),
    ({"data": {"_scxmleventname": "two words"}}, "not a valid event name"),
    ({"content": b"<a><b></a>", "headers": {"content-type": "application/xml"}}, "malformed XML"),
    ({"content": b"\xff\xfe", "headers": {"content-type": "text/plain"}}, "not UTF-8"),
], ids=["json", "two-names", "bad-name", "xml", "utf8"])
def test_a_malformed_request_is_400_and_raises_nothing(request_args, message):
    response, seen = post_from_outside(**request_args)
    assert response.status_code == 400 and message in response.text
    assert seen == {}  # the session is still waiting


def test_only_post_is_accepted():
    response, seen = post_from_outside(method="GET")
    assert response.status_code == 405 and seen == {}


# --- sending ----------------------------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_send_to_an_unreachable_url_raises_error_communication_with_the_sendid():
    doc = load_string(chart(f"""
      <state id="s0">
        <onentry>
          <send id="s1" event="e" type="basichttp" target="http://127.0.0.1:{closed_port()}/basichttp/x"/>
          <send event="timeout" delay="5s"/>
        </onentry>
        <transition event="error.communication" cond="_event.sendid == 's1'" target="pass"/>
        <transition event="*" target="fail"/>
      </state>"""))

    async def go(host, processor):
        session = host.start_session(doc)
        await host.run_until(lambda: session.is_done, timeout=5)
        return session.final_state

    assert run(go, VirtualClock) == "pass"


@pytest.mark.parametrize("target, error", [("ftp://example.org/x", "error.execution"),
                                           ("#_internal", "error.execution"),
                                           ("", "error.communication")])
def test_a_bad_target_is_an_error_on_the_internal_queue(target, error):
    doc = load_string(chart(f"""
      <state id="s0">
        <onentry>
          <send event="external"/>
          <send event="e" type="{BASIC_HTTP}" target="{target}"/>
        </onentry>
        <transition event="{error}" target="pass"/>
        <transition event="*" target="fail"/>
      </state>"""))

    async def go(host, processor):
        session = host.start_session(doc)
        await host.run_until(lambda: session.is_done, timeout=5)
        return session.final_state

    assert run(go, VirtualClock) == "pass"


def test_sends_to_a_local_session_keep_their_order_among_other_events():
    doc = load_string(chart("""
      <state id="s0">
        <onentry>
          <send event="e1" type="basichttp" targetexpr="_ioprocessors['basichttp'].location"/>
          <send event="e2" type="basichttp" targetexpr="_ioprocessors['basichttp'].location">
            <content>a large body</content>
          </send>
          <send event="e3"/>
          <send event="e4" type="basichttp" targetexpr="_ioprocessors['basichttp'].location"/>
        </onentry>
        <transition event="e1" target="s1"/>
        <transition event="*" target="fail"/>
      </state>
      <state id="s1"><transition event="e2" target="s2"/><transition event="*" target="fail"/></state>
      <state id="s2"><transition event="e3" target="s3"/><transition event="*" target="fail"/></state>
      <state id="s3"><transition event="e4" target="pass"/><transition event="*" target="fail"/></state>"""))

    async def go(host, processor):
        session = host.start_session(doc)
        await host.run_until(lambda: session.is_done, timeout=5)
        return session.final_state

    assert run(go, VirtualClock) == "pass"


def test_two_sessions_talk_and_reply_through_event_origin():
    ponger = load_string(chart("""
      <state id="s0">
        <transition event="ping" target="pass">
          <send event="pong" type="basichttp" targetexpr="_event.origin" namelist="answer"/>
        </transition>
      </state>""", '<datamodel><data id="answer" expr="42"/></datamodel>'))
    pinger = load_string(chart("""
      <state id="s0">
        <onentry><send event="ping" type="basichttp" targetexpr="peer"/></onentry>
        <transition event="pong" cond="_event.data.answer == 42" target="pass"/>
        <transition event="*" target="fail"/>
      </state>""", '<datamodel><data id="peer"/></datamodel>'))

    async def go(host, processor):
        b = host.start_session(ponger)
        a = host.start_session(pinger, {"peer": processor.location(b.id)})
        await host.run_until(lambda: a.is_done and b.is_done, timeout=5)
        return a.final_state, b.final_state

    assert run(go, VirtualClock) == ("pass", "pass")


# --- the wire format ------------------------------------------------------------------------------

def roundtrip(name, req):
    message = encode_send(name, req)
    query = "&".join(f"{k}={v}" for k, v in message.query)
    return decode_request("POST", query, {"content-type": message.content_type}, message.body)


@pytest.mark.parametrize("content", ["a & b = c d+e%", XmlValue("<r><x a='1'>t</x></r>"), {"k": [1, None]}, 7])
def test_content_survives_the_trip(content):
    incoming = roundtrip("go", {"data": content, "pairs": []})
    assert incoming.name == "go" and incoming.data == content


def test_namelist_and_params_travel_as_form_fields():
    message = encode_send("go", {"data": {"Var1": 2}, "pairs": [("Var1", 2), ("p", "x y"), ("o", {"a": 1})]})
    assert message.body == b"_scxmleventname=go&Var1=2&p=x%20y&o=%7B%22a%22%3A1%7D"
    incoming = roundtrip("go", {"data": None, "pairs": [("Var1", 2.0), ("flag", True)]})
    assert incoming.data == {"Var1": "2", "flag": "true"}


def test_no_data_and_no_name_is_an_empty_post():
    assert roundtrip(None, {"data": None}).name == "HTTP.POST"
    with pytest.raises(MalformedMessage):
        decode_request("POST", "_scxmleventname=", {}, b"")
