"""Session state is data: a snapshot taken between macrosteps, restored in a fresh process,
reaches the same outcome as a run that was never interrupted."""

import json
import subprocess
import sys
from pathlib import Path

from openors.scxml import SessionHost, VirtualClock, load_document

CHART = Path(__file__).parent / "charts" / "snapshot.scxml"
BEFORE = ["step", "pause", "resume"]
AFTER = ["step"]

# Run in a separate interpreter process: nothing but the JSON snapshot crosses over.
RESUME = """
import json, sys
from openors.scxml import SessionHost, VirtualClock, load_document
snap = json.load(sys.stdin)
host = SessionHost(VirtualClock(snap["now"]))
session = host.restore_session(snap["sessions"][0], load_document(sys.argv[1]))
for name in json.loads(sys.argv[2]):
    session.send(name)
host.run_until_idle()
print(json.dumps({"final": session.final_state, "log": session.log, "config": session.configuration}))
"""


def _uninterrupted():
    host = SessionHost(VirtualClock())
    session = host.start_session(load_document(CHART))
    for name in BEFORE + AFTER:
        session.send(name)
    host.run_until_idle()
    return session


def test_snapshot_restored_in_a_fresh_process_reaches_the_same_outcome():
    host = SessionHost(VirtualClock())
    document = load_document(CHART)
    session = host.start_session(document)
    for name in BEFORE:
        session.send(name)
    # Between macrosteps: history restored the parallel regions; re-entering `right` sent its
    # delayed events again, so three are pending (one "tick" id twice, "late" twice).
    assert set(session.configuration) >= {"p", "left", "right", "l2", "r1"}
    assert len(session.pending_sends) == 4
    snapshot = json.dumps(host.snapshot())

    proc = subprocess.run([sys.executable, "-c", RESUME, str(CHART), json.dumps(AFTER)], input=snapshot,
                          capture_output=True, text=True, check=True)
    resumed = json.loads(proc.stdout)

    expected = _uninterrupted()
    assert resumed["final"] == expected.final_state
    assert resumed["log"] == [list(x) for x in expected.log]
    assert expected.final_state == "done"


def test_snapshot_is_plain_json():
    host = SessionHost(VirtualClock())
    session = host.start_session(load_document(CHART))
    session.send("step")
    snap = session.snapshot()
    assert json.loads(json.dumps(snap)) == snap
    assert snap["interpreter"]["datamodel"]["variables"]["seen"] == ["l1>l2"]
    assert sorted(p["event"]["name"] for p in snap["pending_sends"].values()) == ["late", "tick"]
