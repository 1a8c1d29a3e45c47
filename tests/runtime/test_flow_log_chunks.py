"""A macrostep's flow log entries are encoded together (one chunk): what operators read, and the
bounds, must be as if each entry had been kept on its own."""

from __future__ import annotations

import random

import orjson

from openors.runtime.flowlog import MAX_PENDING_ENTRIES, FlowLog, FlowLogs, FlowLogSettings, LiveBytes
from openors.runtime.flowlog_store import FlowLogSummary, MemoryFlowLogStore
from openors.scxml import Event, SessionHost, VirtualClock, load_string


def kept_one_by_one(sizes: dict[int, int], order: list[int], settings: FlowLogSettings,
                    shared: dict[str, list[int]], name: str) -> tuple[list[int], int]:
    """The reference: entries kept one by one, the oldest dropped while a bound is passed (against
    the bound all logs share, a log that grows keeps its newest entry). Returns (kept, dropped)."""
    kept = shared[name]
    dropped = 0
    for n in order:
        kept.append(n)
        while kept and (len(kept) > settings.max_entries_per_session
                        or sum(sizes[k] for k in kept) > settings.max_bytes_per_session
                        or (sum(sizes[k] for log in shared.values() for k in log) > settings.max_live_bytes
                            and len(kept) > 1)):
            kept.pop(0)
            dropped += 1
    return kept, dropped


def entry(n: int, rng: random.Random) -> dict:
    # sizes that differ, and text that looks like an entry's start, NULs and separators included
    return {"n": n, "t": 1.5, "kind": "log", "label": None,
            "value": rng.choice(["x" * rng.randrange(0, 300), f',{{"n":{n + 1},"t":1.5}}', "a\x00b,\x00,c"])}


def test_the_bounds_keep_exactly_the_entries_kept_one_by_one_would_when_macrosteps_write_chunks():
    rng = random.Random(12)
    for round_ in range(60):
        settings = FlowLogSettings(max_entries_per_session=rng.choice([3, 7, 40, 2000]),
                                   max_bytes_per_session=rng.choice([200, 1500, 9000, 512 * 1024]),
                                   max_live_bytes=rng.choice([2500, 12_000, 256 * 1024 * 1024]))
        memory = LiveBytes(settings.max_live_bytes)
        logs = {name: FlowLog(FlowLogSummary(name, None, 0.0, None), settings, account=memory) for name in "ab"}
        reference: dict[str, list[int]] = {"a": [], "b": []}
        sizes: dict[int, int] = {}
        dropped = {"a": 0, "b": 0}
        made = {"a": [], "b": []}
        for _ in range(rng.randrange(5, 40)):
            name = rng.choice("ab")
            log = logs[name]
            chunk = []
            for _ in range(rng.choice([1, 1, 2, 3, 5, 9])):  # one macrostep's entries
                log.count += 1
                n = log.count + (0 if name == "a" else 100_000)
                e = entry(n, rng)
                sizes[n] = len(orjson.dumps(e))
                made[name].append(e)
                log.note(e)
                chunk.append(n)
            log.write_pending()
            _, lost = kept_one_by_one(sizes, chunk, settings, reference, name)
            dropped[name] += lost
        for name, log in logs.items():
            shown = log.decoded()
            assert [e["n"] for e in shown] == reference[name], f"round {round_}, log {name}"
            assert shown == [e for e in made[name] if e["n"] in set(reference[name])]
            assert log.summary.dropped == dropped[name] and log.summary.entries == len(reference[name])
            assert log.size == sum(sizes[n] for n in reference[name])
        assert memory.total == logs["a"].size + logs["b"].size


LOOPER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="s">
  <datamodel><data id="items" expr="[]"/></datamodel>
  <state id="s">
    <transition event="many">
      <foreach array="_event.data.items" item="it"><log label="item" expr="it"/></foreach>
    </transition>
    <transition event="go" target="t"/>
  </state>
  <state id="t" initial="t1">
    <state id="t1"><transition event="next" target="t2"/></state>
    <state id="t2"><transition event="back" target="s"/></state>
  </state>
</scxml>"""


def recorded_host(settings: FlowLogSettings | None = None) -> tuple[SessionHost, FlowLogs]:
    host = SessionHost(VirtualClock())
    logs = FlowLogs(MemoryFlowLogStore(), settings or FlowLogSettings())
    host.listeners.subscribe(logs.recorder)
    return host, logs


def test_a_macrostep_with_more_entries_than_one_chunk_holds_is_recorded_whole_and_in_order():
    host, logs = recorded_host()
    session = host.start_session(load_string(LOOPER, "file:///looper.scxml"))
    items = list(range(3 * MAX_PENDING_ENTRIES + 5))
    host.deliver(session, Event("many", "external", {"items": items}))
    host.run_ready()
    entries = logs.entries(session.id)[1]
    assert [e["n"] for e in entries] == list(range(1, len(entries) + 1))
    assert [e["value"] for e in entries if e["kind"] == "log"] == items
    assert entries[-1]["kind"] == "macrostep"


def test_each_macrostep_entry_names_the_states_active_after_it_also_after_a_restore():
    host, logs = recorded_host()
    session = host.start_session(load_string(LOOPER, "file:///looper.scxml"))
    walk = [("go", ["t", "t1"]), ("next", ["t", "t2"]), ("many", ["t", "t2"]), ("back", ["s"])]
    for name, active in walk:
        host.deliver(session, Event(name, "external", {"items": []}))
        host.run_ready()
        assert [e for e in logs.entries(session.id)[1] if e["kind"] == "macrostep"][-1]["configuration"] == active
    host.deliver(session, Event("go", "external"))
    host.run_ready()
    snap = host.snapshot_session(session)
    again = SessionHost(VirtualClock())
    again.listeners.subscribe(logs.recorder)
    restored = again.restore_session(snap)
    again.deliver(restored, Event("next", "external"))
    again.run_ready()
    entries = logs.entries(session.id)[1]
    steps = [e for e in entries if e["kind"] == "macrostep"]
    assert [s["configuration"] for s in steps[-2:]] == [["t", "t1"], ["t", "t2"]]
    assert [e["kind"] for e in entries].count("start") == 1  # one story: the restore started nothing


def test_an_action_recorded_between_macrosteps_is_in_the_log_at_once():
    host, logs = recorded_host()
    session = host.start_session(load_string(LOOPER, "file:///looper.scxml"))
    logs.recorder.world_record({"kind": "action", "session": session.id, "action": "queue.submit",
                                "requestid": "r1", "attributes": {"targets": ["q1"]}})
    entries = logs.entries(session.id)[1]
    assert entries[-1]["kind"] == "action" and entries[-1]["attributes"] == {"targets": ["q1"]}
    assert logs.search("session", session.id)[0]["entries"] == len(entries)


def test_event_data_json_cannot_hold_in_64_bits_or_with_nul_characters_is_recorded_as_it_is():
    host, logs = recorded_host()
    session = host.start_session(load_string(LOOPER, "file:///looper.scxml"))
    host.deliver(session, Event("many", "external", {"items": ["a\x00b", ",\x00,"], "big": 2**70}))
    host.run_ready()
    entries = logs.entries(session.id)[1]
    event = [e for e in entries if e["kind"] == "event"][-1]
    assert event["data"] == {"items": ["a\x00b", ",\x00,"], "big": 2**70}
    assert [e["value"] for e in entries if e["kind"] == "log"] == ["a\x00b", ",\x00,"]
    assert [e["n"] for e in entries] == list(range(1, len(entries) + 1))
