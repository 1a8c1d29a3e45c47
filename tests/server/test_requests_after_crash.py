"""No session waits forever after a crash (issue 9, item 7): a module request whose work died with
the process is answered after the restart by its error event, so the strategy's error handler runs."""

from __future__ import annotations

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
