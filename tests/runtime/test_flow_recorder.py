"""The flow recorder on a real host: what a session's log holds, and its bounds."""

from __future__ import annotations

from openors.runtime.flowlog import FlowLogs, FlowLogSettings
from openors.runtime.flowlog_store import MemoryFlowLogStore
from openors.scxml import Event, SessionHost, VirtualClock, load_document
from tests.server.serving import CHARTS


def host_with(settings: FlowLogSettings) -> tuple[SessionHost, FlowLogs]:
    host = SessionHost(VirtualClock())
    logs = FlowLogs(MemoryFlowLogStore(), settings)
    host.listeners.subscribe(logs.recorder)
    return host, logs


def test_a_session_whose_datamodel_is_slow_to_read_stops_recording_it_and_says_why():
    host, logs = host_with(FlowLogSettings(max_datamodel_ms=0.0))
    session = host.start_session(load_document(str(CHARTS / "waiter.scxml")), {"delay_ms": 600000})
    for _ in range(3):
        host.deliver(session, Event("bump", "external"))
        host.run_ready()
    steps = [e for e in logs.entries(session.id)[1] if e["kind"] == "macrostep"]
    assert "datamodel" in steps[0] and "ms of CPU" in steps[0]["datamodel_off"]
    assert all("datamodel" not in s for s in steps[1:]) and len(steps) == 4


def test_the_byte_bound_drops_the_oldest_entries_and_counts_them():
    host, logs = host_with(FlowLogSettings(max_bytes_per_session=4096, datamodel_every_macrostep=False))
    session = host.start_session(load_document(str(CHARTS / "waiter.scxml")), {"delay_ms": 600000})
    for i in range(40):
        host.deliver(session, Event("bump", "external", {"i": i, "pad": "x" * 100}))
    host.run_ready()
    summary, entries = logs.entries(session.id)
    assert summary.dropped > 0 and sum(len(str(e)) for e in entries) < 2 * 4096
    assert [e for e in entries if e["kind"] == "event"][-1]["data"]["i"] == 39


def test_data_json_cannot_hold_is_recorded_as_text():
    host, logs = host_with(FlowLogSettings(datamodel_every_macrostep=False))
    session = host.start_session(load_document(str(CHARTS / "waiter.scxml")), {"delay_ms": 600000})
    host.deliver(session, Event("bump", "external", {"when": {1, 2}}))
    host.run_ready()
    event = [e for e in logs.entries(session.id)[1] if e["kind"] == "event"][-1]
    assert event["data"] == {"when": str({1, 2})}


def test_logs_in_memory_share_one_bound_and_the_growing_log_gives_way():
    from openors.runtime.flowlog import FlowLog, FlowLogSettings, FlowLogSummary, LiveBytes

    settings = FlowLogSettings(max_live_bytes=10_000)
    memory = LiveBytes(settings.max_live_bytes)
    first = FlowLog(FlowLogSummary("a", None, 0.0, None), settings, account=memory)
    second = FlowLog(FlowLogSummary("b", None, 0.0, None), settings, account=memory)
    for _ in range(100):
        first.add("log", {"value": "x" * 80})
    assert memory.total <= 10_000 and first.summary.dropped > 0
    kept = first.size
    for _ in range(10):
        second.add("log", {"value": "y" * 80})
    # the log that grows gives way (its newest entry always kept), not the others; drops are counted
    assert len(second.entries) == 1 and second.summary.dropped == 9
    assert first.size == kept and memory.total == first.size + second.size
    first.release()
    assert memory.total == second.size
