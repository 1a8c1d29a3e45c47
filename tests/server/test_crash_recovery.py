"""kill -9 the server while sessions wait on delayed sends; a restart on the same SQLite file must
finish every persisted session as if nothing had happened."""

from __future__ import annotations

import sqlite3
import time

from .serving import CHARTS, ProcessServer, client, wait_for, write_config

WAITER = (CHARTS / "waiter.scxml").as_uri()
NOPERSIST = (CHARTS / "nopersist.scxml").as_uri()
PARENT = (CHARTS / "parent.scxml").as_uri()


def stored_ids(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT id FROM sessions")}


def test_sessions_survive_kill_9(tmp_path):
    # eviction on, so the restart adopts idle sessions lazily and restores them on their timers
    config = write_config(tmp_path, runtime={"idle_eviction_s": 1})
    log = tmp_path / "server.log"
    first = ProcessServer(config, log).start()
    expected: dict[str, str] = {}
    with client(first.url) as http:
        # due while the server is down (fires at once on restart) and due after the restart
        for i, delay in enumerate([1200, 1500, 3500, 4000]):
            sid = http.post("/scxml/session/start", data={"src": WAITER, "who": f"caller{i}",
                                                            "delay_ms": str(delay)}).json()["sessionid"]
            for _ in range(i):  # each acknowledged event must survive
                assert http.post(f"/scxml/session/{sid}/event/bump", data={"k": str(i)}).status_code == 200
            expected[sid] = f"caller{i}:{i}"
        parent = http.post("/scxml/session/start", data={"src": PARENT}).json()["sessionid"]
        volatile = http.post("/scxml/session/start", data={"src": NOPERSIST, "delay_ms": "1000"}).json()["sessionid"]
        ended = http.post("/scxml/session/start", data={"src": WAITER, "delay_ms": "1"}).json()["sessionid"]
        wait_for(lambda: http.get(f"/scxml/session/{ended}/query").json()["configuration"] == ["main", "finished"])
        http.post(f"/scxml/session/{ended}/event/close")
        wait_for(lambda: ended not in stored_ids(first.config_path.parent / "store.db"))
    store = tmp_path / "store.db"
    assert set(expected) | {parent} == stored_ids(store)
    assert volatile not in stored_ids(store)

    first.kill()
    killed_at = time.time()
    time.sleep(1.0)  # the first two timers fall due while nobody runs them

    second = ProcessServer(config, log).start()
    with client(second.url) as http:
        assert '"recovered": 5' in log.read_text()
        for sid, outcome in expected.items():
            data = wait_for(lambda sid=sid: (q := http.get(f"/scxml/session/{sid}/query").json())
                            .get("configuration") == ["main", "finished"] and q["data"], timeout=8)
            assert data["outcome"] == outcome
            assert data["fired_at"] >= data["due_at"] - 5  # never early (ms clock granularity)
            if data["due_at"] / 1000 < killed_at + 1.0:  # overdue at restart: fired at once
                assert data["fired_at"] / 1000 - killed_at < 6
        word = wait_for(lambda: http.get(f"/scxml/session/{parent}/query").json()["data"]["word"], timeout=8)
        assert word == "hello"
        assert http.get(f"/scxml/session/{volatile}/query").status_code == 404
        for sid in [*expected, parent]:
            assert http.post(f"/scxml/session/{sid}/event/close").status_code == 200
        wait_for(lambda: not stored_ids(store))
    assert second.terminate() == 0
    assert "stopped: store flushed" in log.read_text()
