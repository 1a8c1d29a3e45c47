"""The snapshot text the store keeps: written in one encoding pass (the datamodel's JSON embedded as
the engine wrote it), it carries what the session's snapshot as data carries, falls back to the
standard encoder for what orjson refuses, and snapshots written by the previous version (the
datamodel parsed and encoded again, no `data_root` when there is none) still restore."""

from __future__ import annotations

import json
import time
from pathlib import Path

from openors.runtime import Runtime, RuntimeSettings, SqliteStore
from openors.runtime.metrics import Metrics
from openors.runtime.store import StoredSession
from openors.runtime.writer import SnapshotWriter, document_hash
from openors.scxml import Event, SessionHost, VirtualClock, load_document
from tests.runtime.looping import run, until

CHARTS = Path(__file__).parent / "charts"
PINGPONG = CHARTS / "pingpong.scxml"

PARENT = """<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="calling">
  <datamodel><data id="caller" expr="({ani: '555', tags: ['a', 'b']})"/><data id="seen" expr="0"/></datamodel>
  <state id="calling">
    <onentry><log label="start" expr="caller.ani"/><send event="giveup" delay="3600s"/></onentry>
    <invoke id="helper" type="scxml">
      <content>
        <scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="w">
          <datamodel><data id="mine" expr="[1, 2, 3]"/></datamodel>
          <state id="w"><onentry><send event="later" delay="1800s"/></onentry></state>
        </scxml>
      </content>
    </invoke>
    <transition event="note"><assign location="seen" expr="seen + 1"/></transition>
    <transition event="giveup" target="end"/>
  </state>
  <final id="end"/>
</scxml>
"""


def _without_empty_data_root(snap: dict) -> dict:
    """The stored text keeps the engine's `"data_root": null`; the snapshot as data leaves it out
    (restore reads both as no data root)."""
    datamodel = snap["interpreter"]["datamodel"]
    if "data_root" in datamodel:
        assert datamodel.pop("data_root") is None
    for child in snap["children"].values():
        _without_empty_data_root(child)
    return snap


def test_the_stored_snapshot_carries_what_the_live_sessions_snapshot_carries(tmp_path):
    (tmp_path / "parent.scxml").write_text(PARENT)

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session((tmp_path / "parent.scxml").as_uri())
        await rt.send_event(sid, "note")
        session = rt.host.sessions[sid]
        expected = json.loads(json.dumps(rt.host.snapshot_session(session)))
        await rt.writer.durable(sid)
        [row] = [r for r in rt.store.load_all() if r.id == sid]
        await rt.stop()
        return expected, json.loads(row.snapshot)

    expected, stored = run(main())
    assert stored["document_text"] is None and stored.pop("document_sha256")
    expected["document_text"] = None
    assert _without_empty_data_root(stored) == expected
    assert stored["interpreter"]["datamodel"]["variables"]["seen"] == 1
    assert stored["children"]["helper"]["interpreter"]["datamodel"]["variables"]["mine"] == [1, 2, 3]
    assert stored["children"]["helper"]["pending_sends"] and stored["pending_sends"]


def test_event_data_orjson_refuses_is_stored_all_the_same_and_restores(tmp_path):
    # Data from Python (a module's answer, an HTTP client's JSON) may have integer keys or an
    # integer beyond 64 bits; a JS BigInt logged comes back as such an integer too.
    document = load_document(PINGPONG)
    host = SessionHost(VirtualClock(), run_after_start=False)
    store = SqliteStore(tmp_path / "s.db")

    async def main():
        session = host.start_session(document)
        host.run_ready()
        host.deliver(session, Event("poke", "external", {7: "seven", "huge": 2 ** 70}))  # queued, not run
        session.log.append(("big", 2 ** 80))
        writer = SnapshotWriter(store, host.sessions.get, Metrics(), snapshot=host.snapshot_session)
        writer.mark_dirty(session.id)
        assert await writer.flush()
        return session.id

    sid = run(main())
    [row] = store.load_all()
    assert row.id == sid
    restored = SessionHost(VirtualClock(), run_after_start=False).restore_session(json.loads(row.snapshot))
    [event] = restored.external_queue
    assert event.name == "poke" and event.data == {"7": "seven", "huge": 2 ** 70}
    assert restored.log == [("big", 2 ** 80)]


def _previous_version_text(sid: str, url: str, source: str, datamodel: dict, due: float, queued: list) -> str:
    """A snapshot as the version before embedded datamodel JSON wrote it (field for field)."""
    return json.dumps({
        "id": sid, "document": url, "document_text": None, "invokeid": None,
        "interpreter": {"session_id": sid, "running": True, "configuration": ["idle"], "states_to_invoke": [],
                        "history_value": {}, "internal_queue": [], "bound_states": ["__scxml_root", "end", "idle"],
                        "invoke_ids": [], "top_level_final": None, "datamodel": datamodel},
        "external_queue": queued,
        "pending_sends": {"k1": {"sendid": "s1", "due": due, "target": None, "type": None,
                                 "event": {"name": "tick", "type": "external", "data": None, "sendid": "s1",
                                           "origin": f"#_scxml_{sid}",
                                           "origintype": "http://www.w3.org/TR/scxml/#SCXMLEventProcessor",
                                           "invokeid": None, "raw": None}}},
        "children": {}, "cancelled_invokes": [], "log": [["earlier", {"n": 1}]],
        "document_sha256": document_hash(source),
    }, separators=(",", ":"))


def test_a_snapshot_written_by_the_previous_version_restores_with_its_data_queue_and_timer(tmp_path):
    sid = "0" * 32
    queued = [{"name": "pong", "type": "external", "data": None, "sendid": None, "origin": None,
               "origintype": None, "invokeid": None, "raw": None}]
    text = _previous_version_text(sid, PINGPONG.as_uri(), PINGPONG.read_text(),
                                  {"variables": {"pongs": 2, "ticks": 5}}, time.time() + 0.2, queued)
    SqliteStore(tmp_path / "s.db").write_batch([StoredSession(sid, PINGPONG.as_uri(), time.time(), text)], [])

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        assert await rt.recover() == 1
        await until(lambda: rt.query(sid)["data"]["pongs"] == 3)  # the queued event ran
        await until(lambda: rt.query(sid)["data"]["ticks"] == 6)  # the timer fired
        await rt.writer.durable(sid)
        [row] = [r for r in rt.store.load_all() if r.id == sid]
        await rt.send_event(sid, "quit")
        await rt.stop()
        return json.loads(row.snapshot)

    rewritten = run(main())
    assert rewritten["interpreter"]["datamodel"]["variables"] == {"pongs": 3, "ticks": 6}
    assert rewritten["log"] == [["earlier", {"n": 1}]]


def test_a_previous_version_snapshot_with_a_data_root_restores_its_data_under_it(tmp_path):
    # ORS documents keep their data under a data root: the previous version wrote it parsed too.
    chart = tmp_path / "ors.scxml"
    chart.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="idle">
  <datamodel><data id="count" expr="0"/><data id="caller" expr="({})"/></datamodel>
  <state id="idle">
    <transition event="bump"><assign location="count" expr="count + 1"/></transition>
    <transition event="tick"/>
  </state>
  <final id="end"/>
</scxml>
""")

    async def main():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session(chart.as_uri())
        await rt.writer.durable(sid)
        [row] = [r for r in rt.store.load_all() if r.id == sid]
        await rt.stop()
        return sid, json.loads(row.snapshot)["interpreter"]["datamodel"]

    sid, today = run(main())
    assert today["data_root"] is not None  # this document has one: the case under test
    data = {"count": 41, "caller": {"ani": "555"}}
    text = _previous_version_text(sid, chart.as_uri(), chart.read_text(),
                                  {"variables": dict(data), "data_root": dict(data)}, time.time() + 3600, [])
    SqliteStore(tmp_path / "s.db").write_batch([StoredSession(sid, chart.as_uri(), time.time(), text)], [])

    async def resume():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        assert await rt.recover() == 1
        await rt.send_event(sid, "bump")
        seen = rt.query(sid)["data"]
        await rt.stop()
        return seen

    seen = run(resume())
    assert seen["count"] == 42 and seen["caller"] == {"ani": "555"}


def test_an_ors_sessions_data_items_are_stored_once_under_the_data_root_and_their_plain_names_work_after_restore(tmp_path):
    # the ORS dialect makes each <data> item reachable by its plain name (an accessor of `_data.X`):
    # the snapshot writes the item under data_root only, and a restored session's plain names
    # still read and write `_data`; a script's own globals stay in the variables
    chart = tmp_path / "ors.scxml"
    chart.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="idle">
  <datamodel><data id="count" expr="0"/><data id="caller" expr="({ani: '555'})"/></datamodel>
  <script>var mine = 'script global';</script>
  <state id="idle">
    <transition event="bump"><assign location="count" expr="count + 1"/></transition>
  </state>
  <final id="end"/>
</scxml>
""")

    async def first():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        sid = await rt.start_session(chart.as_uri())
        await rt.send_event(sid, "bump")
        [row] = [r for r in rt.store.load_all() if r.id == sid]
        await rt.stop()
        return sid, json.loads(row.snapshot)["interpreter"]["datamodel"]

    sid, stored = run(first())
    assert stored["data_root"] == {"count": 1, "caller": {"ani": "555"}}
    assert stored["variables"] == {"mine": "script global"}

    async def resume():
        rt = await Runtime(SqliteStore(tmp_path / "s.db"), RuntimeSettings(idle_eviction=None)).start()
        assert await rt.recover() == 1
        await rt.send_event(sid, "bump")
        session = rt.session(sid)
        seen = session.interpreter.datamodel.evaluate("[count, _data.count, caller.ani, mine]")
        await rt.stop()
        return seen

    assert run(resume()) == [2, 2, "555", "script global"]
