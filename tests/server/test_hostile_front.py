"""Attacks on the HTTP front of a real `openors serve` process: oversized bodies, bad numbers,
malformed bodies, too many sessions. (Tokens: test_auth.py.)"""

from __future__ import annotations

import json
import socket
import threading
from urllib.parse import urlparse

import pytest

from .serving import CHARTS, ProcessServer, client, wait_for, write_config

WAITER = (CHARTS / "waiter.scxml").as_uri()
LIMIT = 512 << 10  # the default limits.max_body_bytes


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("front")
    srv = ProcessServer(write_config(tmp, runtime={"idle_eviction_s": None}), tmp / "server.log").start()
    yield srv
    srv.terminate()


@pytest.fixture
def http(server):
    with client(server.url) as c:
        c.timeout = 30
        yield c


def start(http) -> str:
    # An hour before the waiter's timer moves it on: the attacks below take their time on a loaded
    # machine, and its counter only counts while it waits.
    response = http.post("/scxml/session/start", data={"src": WAITER, "delay_ms": "3600000"})
    assert response.status_code == 200, response.text
    return response.json()["sessionid"]


def running(http, sid: str) -> bool:
    return http.get(f"/scxml/session/{sid}/query").status_code == 200


# --- raw HTTP, so a test decides how much of a body it really sends -------------------------------
def _response(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), json.loads(body) if body else {}


def push_body(url: str, path: str, total: int, *, chunked: bool, stop_after: int | None = None):
    """POST `total` bytes of JSON-ish filler, sending until the server answers (or `stop_after`
    bytes went out); returns (status, JSON body) of the answer, or None if it never came."""
    parts = urlparse(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    try:
        framing = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}".encode()
        sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + framing + b"\r\n\r\n")
        piece = b"x" * 65536
        sent = 0
        sock.setblocking(False)
        while sent < total and (stop_after is None or sent < stop_after):
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break  # the server has answered: stop sending, read it
            except BlockingIOError:
                pass
            data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            try:
                sock.settimeout(30)
                sock.sendall(data)
                sock.setblocking(False)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        sock.settimeout(30)
        try:
            return _response(sock)
        except (ConnectionResetError, ValueError, IndexError):
            return None
    finally:
        sock.close()


def rss_kib(pid: int, field: str) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


# --- body size --------------------------------------------------------------------------------------
def test_a_declared_body_above_the_limit_is_refused_before_it_is_read(server, http):
    sid = start(http)
    status, body = push_body(server.url, f"/scxml/session/{sid}/event/bump", 100 << 20, chunked=False,
                             stop_after=0)
    assert status == 413
    assert body["error"] == "BodyTooLarge" and body["limit"] == LIMIT and "max_body_bytes" in body["message"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit(server, http):
    sid = start(http)
    status, body = push_body(server.url, f"/scxml/session/{sid}/event/bump", 100 << 20, chunked=True,
                             stop_after=LIMIT + 65536)
    assert (status, body["error"], body["limit"]) == (413, "BodyTooLarge", LIMIT)
    assert running(http, sid) and http.get(f"/scxml/session/{sid}/query").json()["data"]["n"] == 0


def test_memory_stays_flat_under_eight_concurrent_100_mb_bodies(server, http):
    sid = start(http)
    pid = server.process.pid
    before = rss_kib(pid, "VmRSS")
    answers: list = []

    def attack(chunked: bool) -> None:
        answers.append(push_body(server.url, f"/scxml/session/{sid}/event/bump", 100 << 20, chunked=chunked))

    threads = [threading.Thread(target=attack, args=(i % 2 == 0,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    peak = rss_kib(pid, "VmHWM")  # the process's peak RSS, whatever happened between samples
    assert [a[0] for a in answers if a is not None] == [413] * len([a for a in answers if a is not None])
    print(f"RSS before {before} KiB, peak {peak} KiB, answers {answers}")
    assert peak - before < 64 * 1024, f"RSS grew by {(peak - before) // 1024} MiB"
    assert running(http, sid)


@pytest.mark.parametrize("shape", ["one long string", "many small arrays", "many small objects", "many numbers"])
def test_events_just_under_the_limit_never_end_their_session(http, shape):
    """The chart keeps the last event's data: the session holds one big event while the next one
    arrives, the worst case a body limit has to cover."""
    room = LIMIT - 64
    blob = {"one long string": "x" * room, "many small arrays": [[]] * (room // 3),
            "many small objects": [{}] * (room // 3), "many numbers": [1] * (room // 2)}[shape]
    body = json.dumps({"blob": blob}, separators=(",", ":")).encode()
    assert len(body) <= LIMIT
    sid = start(http)
    for _ in range(3):
        response = http.post(f"/scxml/session/{sid}/event/bump", content=body,
                             headers={"content-type": "application/json"})
        assert response.status_code == 200, response.text
    http.post(f"/scxml/session/{sid}/event/bump", data={"after": "1"})
    # Heavy macrosteps get a bounded share of the loop (budgets.heavy_share): on a loaded machine
    # four of them take a while, which is what the fair scheduler is for.
    data = wait_for(lambda: (q := http.get(f"/scxml/session/{sid}/query")).status_code == 200
                    and q.json()["data"]["n"] == 4 and q.json()["data"], timeout=60)
    assert data["last"] == {"after": "1"}


# --- numbers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "0", "1e9", "1e400"])
def test_a_non_finite_or_absurd_request_timeout_is_400_naming_the_header(http, value):
    sid = start(http)
    response = http.post(f"/scxml/session/{sid}/request/ask", headers={"X-OpenORS-Timeout": value})
    assert response.status_code == 400 and response.json()["error"] == "MalformedBody"
    assert "X-OpenORS-Timeout" in response.json()["message"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "1e400", "9" * 400, str(4102444800000 * 10)])
def test_a_non_finite_negative_or_far_future_idealtime_is_400(http, value):
    response = http.post("/scxml/session/start", data={"src": WAITER, "idealtime": value})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "MalformedBody" and response.json()["field"] == "idealtime"


def test_an_idealtime_that_is_not_a_number_in_json_is_400(http):
    for value in (True, [1], {"a": 1}):
        response = http.post("/scxml/session/start", json={"src": WAITER, "idealtime": value})
        assert response.status_code == 400 and "idealtime" in response.json()["message"]


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "1e30", "x"])
def test_a_bad_eviction_idle_time_is_400_naming_idle(http, value):
    response = http.post("/ors/evict", params={"idle": value})
    assert response.status_code == 400 and response.json()["field"] == "idle"


# --- malformed bodies: 400, never a 500 -----------------------------------------------------------------
@pytest.mark.parametrize("body, words", [
    ("[" * 100_000 + "]" * 100_000, ["nests deeper"]),
    ('{"a":' * 70 + "1" + "}" * 70, ["nests deeper", "64"]),
    ('{"x": NaN}', ["NaN"]),
    ('{"x": Infinity}', ["Infinity"]),
    ('{"x": -Infinity}', ["Infinity"]),
    ('{"x": 1e400}', ["too large"]),
    ('{"x": ' + "9" * 5000 + "}", ["not valid JSON"]),
    (b'{"x": "\xff\xfe"}', ["not valid JSON"]),
    (b"\xef\xbb\xbf\xff", ["not valid JSON"]),
])
def test_hostile_json_is_400_malformed_body_and_the_session_lives_on(http, body, words):
    sid = start(http)
    response = http.post(f"/scxml/session/{sid}/event/bump", content=body,
                         headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "MalformedBody"
    for word in words:
        assert word in response.json()["message"]
    assert running(http, sid)


@pytest.mark.parametrize("body, content_type", [
    (b"a=%ff%fe&b=\xff", "application/x-www-form-urlencoded"),
    (b"a=1", "application/x-www-form-urlencoded; charset=utf-16"),
    ("a=é".encode("utf-16"), "application/x-www-form-urlencoded; charset=utf-16"),
    (b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n--x--\r\n", "multipart/form-data; boundary=x"),
    (b"--x\r\ngarbage", "multipart/form-data; boundary=x"),
    (b"--x--", "multipart/form-data"),
])
def test_forms_with_odd_encodings_never_answer_500(http, body, content_type):
    sid = start(http)
    response = http.post(f"/scxml/session/{sid}/event/bump", content=body, headers={"content-type": content_type})
    assert response.status_code in (200, 400), response.text
    assert "error" not in response.json() or response.json()["error"] == "MalformedBody"
    assert running(http, sid)


def test_a_deeply_nested_document_is_400_document_load_failed(http, tmp_path):
    depth = 1500
    deep = tmp_path / "deep.scxml"
    deep.write_text('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">'
                    + "".join(f'<state id="s{i}">' for i in range(depth)) + "</state>" * depth + "</scxml>")
    response = http.post("/scxml/session/start", data={"src": deep.as_uri()})
    assert response.status_code == 400 and response.json()["error"] == "DocumentLoadFailed"
    assert "nests" in response.json()["message"] and response.json()["url"] == deep.as_uri()


def test_the_server_never_logged_a_traceback(server, http):
    """Runs last in this module: every attack above was answered without an internal error."""
    assert http.get("/ors/help").status_code == 200
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and '"status": 500' not in log


@pytest.mark.parametrize("src", ["\u0000", "/tmp/a\u0000b.scxml", "file:///x%00y.scxml"])
def test_a_source_with_a_nul_character_is_400_document_load_failed(http, src):
    response = http.post("/scxml/session/start", json={"src": src})
    assert response.status_code == 400 and response.json()["error"] == "DocumentLoadFailed"


# --- responses on the raw connection ----------------------------------------------------------------
def _event_request(sid: str, name: str, extra: str = "") -> bytes:
    return (f"POST /scxml/session/{sid}/event/{name} HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n{extra}\r\nk=v").encode()


def _read_answer(stream) -> tuple[int, dict]:
    """One response from a buffered stream (answers to pipelined requests may come in one read)."""
    status = int(stream.readline().split()[1])
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, json.loads(stream.read(length))


def test_pipelined_events_on_one_connection_are_answered_whole_and_in_order(server, http):
    sid = start(http)
    parts = urlparse(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock, sock.makefile("rb") as stream:
        sock.sendall(b"".join(_event_request(sid, f"poke{i}") for i in range(3)))
        answers = [_read_answer(stream) for _ in range(3)]
    assert answers == [(200, {"sessionid": sid, "event": f"poke{i}", "status": "queued"}) for i in range(3)]


def test_an_event_asking_to_close_the_connection_gets_its_whole_answer_before_the_close(server, http):
    sid = start(http)
    parts = urlparse(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock, sock.makefile("rb") as stream:
        sock.sendall(_event_request(sid, "poke", "Connection: close\r\n"))
        assert _read_answer(stream) == (200, {"sessionid": sid, "event": "poke", "status": "queued"})
        assert stream.read(1) == b""  # then the server closed the connection
