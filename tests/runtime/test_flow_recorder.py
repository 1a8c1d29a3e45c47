"""The flow recorder on a real host: what a session's log holds, and its bounds."""

from __future__ import annotations

from openors.runtime.flowlog import FlowLogs, FlowLogSettings
from openors.runtime.flowlog_store import MemoryFlowLogStore
from openors.scxml import Event, SessionHost, VirtualClock, load_document, load_string
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


COUNTER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="s">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="s">
    <transition event="bump"><assign location="n" expr="n + 1"/><script>made = {n: n, list: [n, "x"]}</script></transition>
  </state>
</scxml>"""

ORS_TELLER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript" initial="s">
  <datamodel><data id="balance" expr="100"/></datamodel>
  <script>var note = 'opened';</script>
  <state id="s">
    <transition event="deposit"><assign location="_data.balance" expr="_data.balance + 5"/></transition>
  </state>
</scxml>"""


def test_each_macrostep_logs_the_data_the_session_snapshot_then_stores():
    host, logs = host_with(FlowLogSettings())
    session = host.start_session(load_string(COUNTER, "file:///counter.scxml"))
    for i in range(1, 4):
        host.deliver(session, Event("bump", "external"))
        host.run_ready()
        logged = [e for e in logs.entries(session.id)[1] if e["kind"] == "macrostep"][-1]["datamodel"]
        stored = session.snapshot()["interpreter"]["datamodel"]["variables"]
        assert logged == stored == {"n": i, "made": {"n": i, "list": [i, "x"]}}


def test_an_ors_session_logs_its_data_items_first_then_its_globals_and_no_system_variable():
    from openors.ors.extensions import ors_extensions

    extensions = ors_extensions()
    host, logs = host_with(FlowLogSettings())
    session = host.start_session(load_string(ORS_TELLER, "file:///teller.scxml", extensions))
    host.deliver(session, Event("deposit", "external"))
    host.run_ready()
    logged = [e for e in logs.entries(session.id)[1] if e["kind"] == "macrostep"][-1]["datamodel"]
    assert list(logged.items()) == [("balance", 105), ("note", "opened")]
    assert session.snapshot()["interpreter"]["datamodel"]["data_root"] == {"balance": 105}
