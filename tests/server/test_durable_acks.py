"""Durable acks never lie: a request whose effect cannot be saved is refused (503, with the
reason), counted, and nothing it was refused for comes back later. Each attack runs against a real
`openors serve` process on a real SQLite file."""

from __future__ import annotations

import errno
import re
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .serving import CHARTS, ProcessServer, client, wait_for, write_config

FRAGILE = (CHARTS / "fragile.scxml").as_uri()
KNOTTED = (CHARTS / "knotted.scxml").as_uri()

_started: list[ProcessServer] = []


@pytest.fixture(autouse=True)
def no_server_outlives_its_test():
    yield
    while _started:
        server = _started.pop()
        if server.process is not None and server.process.poll() is None:
            server.kill()


def serve(tmp_path, **runtime) -> ProcessServer:
    server = ProcessServer(write_config(tmp_path, runtime=runtime or None), tmp_path / "server.log")
    _started.append(server)
    return server.start()


def stored_ids(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT id FROM sessions")}


def failures(http, reason: str) -> float:
    text = http.get("/metrics").text
    found = re.search(rf'^ors_persistence_failures_total{{reason="{reason}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def statuses(http) -> dict[str, str]:
    return {s["sessionid"]: s["status"] for s in http.get("/ors/sessions").json()["sessions"]}


def test_a_session_that_replaces_json_stringify_is_still_saved_truly(tmp_path):
    server = serve(tmp_path)
    with client(server.url) as http:
        sid = http.post("/scxml/session/start", data={"src": FRAGILE}).json()["sessionid"]
        for name in ("spoof", "bump", "bump"):
            assert http.post(f"/scxml/session/{sid}/event/{name}").status_code == 200
    server.kill()  # only what was acknowledged as durable may count now
    server.start()
    with client(server.url) as http:
        answer = http.get(f"/scxml/session/{sid}/query")
        assert answer.status_code == 200 and answer.json()["data"]["n"] == 2


def test_an_event_whose_effect_cannot_be_saved_gets_503_and_its_session_is_kept_until_it_can(tmp_path):
    server = serve(tmp_path, idle_eviction_s=None)
    with client(server.url) as http:
        bad = http.post("/scxml/session/start", data={"src": FRAGILE}).json()["sessionid"]
        good = http.post("/scxml/session/start", data={"src": FRAGILE}).json()["sessionid"]
        with ThreadPoolExecutor(2) as pool:  # likely in one batch: only the tangled one fails
            tangled, bumped = pool.map(lambda sid_name: http.post("/scxml/session/{}/event/{}".format(*sid_name)),
                                       [(bad, "tangle"), (good, "bump")])
        assert tangled.status_code == 503 and tangled.headers["retry-after"]
        body = tangled.json()
        assert body["error"] == "PersistenceFailed" and body["reason"] == "snapshot"
        assert body["sessionid"] == bad and "circular" in body["cause"]
        assert bumped.status_code == 200
        assert failures(http, "snapshot") >= 1

        # The good one is evicted once its snapshot is committed (a retry of the batch may still be
        # writing it); the bad one is never, since its latest state exists only in memory.
        wait_for(lambda: http.post("/ors/evict", params={"idle": 0}).json()["evicted"] == 1)
        assert statuses(http) == {bad: "running", good: "evicted"}
        assert http.post(f"/scxml/session/{bad}/event/bump").status_code == 503  # still not savable

        # The mending event is acknowledged once a snapshot after it is saved: the batch may be taken
        # before it ran (503, and it ran all the same), so a client retries it, as documented.
        wait_for(lambda: http.post(f"/scxml/session/{bad}/event/untangle").status_code == 200)
        assert http.post("/ors/evict", params={"idle": 0}).json()["evicted"] == 1
        assert statuses(http) == {bad: "evicted", good: "evicted"}
        assert http.get(f"/scxml/session/{bad}/query").json()["data"]["n"] == 1  # the refused bump ran
    assert stored_ids(tmp_path / "store.db") == {bad, good}


def test_a_start_whose_first_snapshot_cannot_be_taken_gets_503_and_leaves_nothing_behind(tmp_path):
    server = serve(tmp_path)
    with client(server.url) as http:
        answer = http.post("/scxml/session/start", data={"src": KNOTTED})
        assert answer.status_code == 503
        assert answer.json()["error"] == "PersistenceFailed" and "circular" in answer.json()["cause"]
        assert http.get("/ors/sessions").json()["sessions"] == []
        assert failures(http, "snapshot") == 1
    assert server.terminate() == 0
    assert stored_ids(tmp_path / "store.db") == set()


@pytest.mark.parametrize("damage", ["garbage", "broken pages"])
def test_a_damaged_sqlite_file_stops_start_up_with_a_message_naming_it(tmp_path, damage):
    store = tmp_path / "store.db"
    if damage == "garbage":
        store.write_bytes(bytes(range(256)) * 64)
    else:
        with sqlite3.connect(store) as db:
            db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, document TEXT, updated_at REAL NOT NULL, "
                       "snapshot TEXT NOT NULL)")
            db.executemany("INSERT INTO sessions VALUES (?, 'file:///x.scxml', 1.0, '{}')",
                           [(f"s{i}",) for i in range(300)])
        data = bytearray(store.read_bytes())
        for page in range(4096, len(data), 4096):  # every b-tree page header but the first
            data[page:page + 16] = b"\x07" * 16
        store.write_bytes(bytes(data))
    server = ProcessServer(write_config(tmp_path), tmp_path / "server.log")
    _started.append(server)
    with pytest.raises(RuntimeError):
        server.start(timeout=15)
    assert server.process.wait(10) == 1
    log = server.log_path.read_text()
    assert f"SQLite store {store}" in log and "Traceback" not in log
    assert ("file is not a database" if damage == "garbage" else "malformed") in log


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs: a real file system that fills up (needs root, as CI's container has)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True, text=True, timeout=10)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield disk
    finally:
        for server in _started:  # the server holds the file open
            if server.process is not None and server.process.poll() is None:
                server.kill()
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=10)


def fill(disk: Path) -> Path:
    """Take every free byte of `disk` with one file; returns it (delete it to free the space)."""
    ballast = disk / "ballast"
    with open(ballast, "wb", buffering=0) as out:
        for _ in range(1024):  # 1 MiB at most, in 1 KiB writes
            try:
                out.write(b"\0" * 1024)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
    return ballast


def test_a_full_disk_answers_503_with_the_reason_and_a_retried_start_makes_no_duplicate(tmp_path, small_disk):
    config = write_config(tmp_path, runtime={"idle_eviction_s": None}, store=str(small_disk / "store.db"))
    server = ProcessServer(config, tmp_path / "server.log")
    _started.append(server)
    server.start()
    with client(server.url) as http:
        first = http.post("/scxml/session/start", data={"src": FRAGILE}).json()["sessionid"]
        ballast = fill(small_disk)
        acknowledged, refused = {first}, None
        for _ in range(200):  # a few KiB each: the disk is full long before
            answer = http.post("/scxml/session/start", data={"src": FRAGILE, "pad": "x" * 4000})
            if answer.status_code != 200:
                refused = answer
                break
            acknowledged.add(answer.json()["sessionid"])
        assert refused is not None and refused.status_code == 503 and refused.headers["retry-after"]
        body = refused.json()
        assert body["error"] == "PersistenceFailed" and body["reason"] == "store"
        assert body["cause"] == "database or disk is full"
        # A small write may still succeed: SQLite reuses its log file's space once a checkpoint
        # has moved the log into the database. A session grown past the whole disk cannot.
        event = http.post(f"/scxml/session/{first}/event/grow", data={"pad": "y" * 4000})
        assert event.status_code == 503 and event.json()["cause"] == "database or disk is full"
        # the refused event ran: until the session is small again, every batch holding it is refused
        http.post(f"/scxml/session/{first}/event/shrink")  # saved or not: the log may have room
        assert failures(http, "store") >= 2
        assert set(statuses(http)) == acknowledged  # the refused start is gone already

        ballast.unlink()  # space again: the same start, retried, is made once
        retried = http.post("/scxml/session/start", data={"src": FRAGILE, "pad": "x" * 4000})
        assert retried.status_code == 200
        acknowledged.add(retried.json()["sessionid"])
        assert set(statuses(http)) == acknowledged
        assert http.post(f"/scxml/session/{first}/event/bump").status_code == 200
    assert server.terminate() == 0
    assert stored_ids(small_disk / "store.db") == acknowledged
