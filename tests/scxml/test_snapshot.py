"""Session state is data: a snapshot taken between macrosteps, restored in a fresh process,
reaches the same outcome as a run that was never interrupted."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def _datamodel(memory_limit: int | None = None):
    from openors.scxml.datamodel.base import SessionInfo
    from openors.scxml.datamodel.ecmascript import EcmaScriptDatamodel

    options = {"memory_limit": memory_limit} if memory_limit else {}
    return EcmaScriptDatamodel(SessionInfo("s1", "doc"), **options)


def test_a_document_that_replaces_the_json_built_ins_still_gets_a_true_snapshot():
    dm = _datamodel()
    dm.execute_script("var kept = {a: [1, 2], b: 'x'};"
                      "JSON.stringify = function () { return '{}'; };"
                      "JSON.parse = function () { return []; };"
                      "Object.getOwnPropertyNames = function () { return []; };"
                      "Object.defineProperty(Object.prototype, 'kept', {set: function () {}});")
    assert dm.snapshot()["variables"]["kept"] == {"a": [1, 2], "b": "x"}


def test_a_value_that_cannot_be_serialised_fails_the_snapshot_instead_of_dropping_it():
    from openors.scxml.errors import ExecutionError

    dm = _datamodel()
    dm.execute_script("var loop = {}; loop.self = loop;")
    with pytest.raises(ExecutionError, match="circular"):
        dm.snapshot()
    dm.execute_script("var bad = {toJSON: function () { throw new Error('no way'); }}; loop = 1;")
    with pytest.raises(ExecutionError, match="no way"):
        dm.snapshot()


def test_running_out_of_memory_while_serialising_fails_the_snapshot_and_the_context_lives_on():
    from openors.scxml.errors import ExecutionError

    dm = _datamodel(memory_limit=8 * 1024 * 1024)
    # the array fits in the limit; its JSON text (each item repeated) does not
    dm.execute_script("var s = 'x'.repeat(1 << 16), big = []; for (var i = 0; i < 110; i++) big.push(s);")
    with pytest.raises(ExecutionError, match="memory"):
        dm.snapshot()
    dm.execute_script("big = null;")
    assert dm.snapshot()["variables"]["big"] is None


def test_xml_data_survives_a_snapshot_stored_as_json_and_is_a_dom_again():
    # The store keeps plain JSON: an XML value must travel as data, not as a Python object.
    from openors.scxml import load_string

    doc = load_string(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
        '<datamodel><data id="books"><books><book title="a"/><book title="b"/></books></data></datamodel>'
        '<state id="s0"><transition event="go" cond="books.getElementsByTagName(\'book\').length == 2'
        ' &amp;&amp; books.getElementsByTagName(\'book\')[1].getAttribute(\'title\') == \'b\'" target="pass"/>'
        '<transition event="go" target="fail"/></state><final id="pass"/><final id="fail"/></scxml>',
        "inline.scxml")
    host = SessionHost(VirtualClock())
    session = host.start_session(doc)
    text = json.dumps(session.snapshot())  # no fallback for values that are not JSON
    assert "__xml__" in text

    fresh = SessionHost(VirtualClock())
    restored = fresh.restore_session(json.loads(text), doc)
    restored.send("go")
    assert restored.final_state == "pass"


_SIDE_EFFECTS = (
    '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript" initial="s">'
    '<datamodel><data id="count" expr="0"/></datamodel>'
    '<state id="s">'
    '<transition event="bump" cond="(count = count + 1) &gt; 100" target="never"/>'
    '<transition event="script"><script>globalThis.madeByScript = count * 10;</script></transition>'
    '<transition event="idle"/>'
    '</state><final id="never"/></scxml>')


def _counting_serializer(session):
    """The session's datamodel, with its serializer's runs counted."""
    dm = session.interpreter.datamodel
    runs = []
    serialise = dm._snapshot_js

    def counted(*args):
        runs.append(args[0])
        return serialise(*args)

    dm._snapshot_js = counted
    return runs


def test_a_condition_that_changes_data_is_in_the_next_snapshot():
    from openors.scxml import load_string

    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(_SIDE_EFFECTS, "side-effects.scxml"))
    assert session.snapshot()["interpreter"]["datamodel"]["variables"]["count"] == 0
    session.send("bump")  # no transition taken, no executable content: only the condition ran
    host.run_until_idle()
    assert session.snapshot()["interpreter"]["datamodel"]["variables"]["count"] == 1
    session.send("script")  # a global no <data> declares
    host.run_until_idle()
    assert session.snapshot()["interpreter"]["datamodel"]["variables"]["madeByScript"] == 10


def test_a_macrostep_that_runs_no_javascript_reuses_the_last_datamodel_snapshot():
    from openors.scxml import load_string

    host = SessionHost(VirtualClock())
    session = host.start_session(load_string(_SIDE_EFFECTS, "side-effects.scxml"))
    runs = _counting_serializer(session)
    first = session.snapshot()
    session.send("idle")  # a transition without condition or content
    host.run_until_idle()
    second = session.snapshot()
    assert second["interpreter"]["datamodel"] == first["interpreter"]["datamodel"]
    assert len(runs) == 1
    second["interpreter"]["datamodel"]["variables"]["count"] = 99  # a caller's copy, not the cache
    assert session.snapshot()["interpreter"]["datamodel"]["variables"]["count"] == 0
    session.send("bump")
    host.run_until_idle()
    assert session.snapshot()["interpreter"]["datamodel"]["variables"]["count"] == 1
    assert len(runs) == 2


def test_globals_a_script_makes_are_in_the_snapshot_even_after_it_deleted_a_built_in_or_made_a_numeric_one():
    dm = _datamodel()
    dm.execute_script("var before = 1;")
    assert dm.snapshot()["variables"] == {"before": 1}
    dm.execute_script("delete globalThis.Reflect; var after = 2;")  # the built-ins' order is broken
    assert dm.snapshot()["variables"] == {"before": 1, "after": 2}
    dm.execute_script("globalThis[7] = 'seven';")  # integer-like names come before every other
    assert dm.snapshot()["variables"] == {"7": "seven", "before": 1, "after": 2}


def test_the_snapshot_writes_each_global_as_json_stringify_would_and_survives_a_getter_that_adds_globals():
    dm = _datamodel()
    dm.execute_script(
        "var keyed = {toJSON: function (key) { return 'saved as ' + key; }};"
        "var nothing = {toJSON: function () { return undefined; }};"  # no JSON form: left out
        "var unset; var fn = function () {}; var __hidden = 1; var text = 'a\"b\\n';"
        "Object.prototype.toJSON = undefined;"
        "Object.defineProperty(globalThis, 'grows', {enumerable: true, configurable: true, get: function () {"
        " for (var i = 0; i < 50; i++) globalThis['made' + i] = i; return 'grown'; }});")
    variables = dm.snapshot()["variables"]
    assert variables["keyed"] == "saved as keyed"
    assert "nothing" not in variables and "fn" not in variables and "__hidden" not in variables
    assert variables["unset"] == {"__undefined__": True}
    assert variables["text"] == 'a"b\n'
    assert variables["grows"] == "grown"
    dm.execute_script("var later = 1;")
    assert dm.snapshot()["variables"]["made49"] == 49  # made by the getter during the last one
