"""The ECMAScript datamodel's contexts on the shared QuickJS runtime: isolation between sessions,
the per-evaluation deadline, per-session memory accounts and every JS value crossing to Python."""

from __future__ import annotations

import datetime
import json

import pytest

from openors.scxml import SessionHost, VirtualClock, load_string
from openors.scxml.budgets import Budgets
from openors.scxml.datamodel import SessionInfo
from openors.scxml.datamodel.ecmascript import EcmaScriptDatamodel
from openors.scxml.errors import BudgetError, ExecutionError
from openors.scxml.events import Event

MIB = 1024 * 1024


def datamodel(name: str, **options) -> EcmaScriptDatamodel:
    return EcmaScriptDatamodel(SessionInfo(name, name), **options)


def test_one_sessions_globals_and_prototypes_are_invisible_to_another():
    a, b = datamodel("a"), datamodel("b")
    a.execute_script("var shared = 1; Array.prototype.sneaky = function () { return 'a'; };"
                     " Object.prototype.polluted = true; JSON.stringify = null;")
    assert b.evaluate("typeof shared") == "undefined"
    assert b.evaluate("typeof [].sneaky") == "undefined"
    assert b.evaluate("({}).polluted") is None
    assert b.evaluate("JSON.stringify({x: 1})") == '{"x":1}'
    assert a.evaluate("[].sneaky()") == "a"


def test_an_endless_loop_ends_at_its_deadline_and_the_session_carries_on():
    dm = datamodel("loop", time_limit=0.02)
    with pytest.raises(BudgetError) as caught:
        dm.execute_script("while (true) {}")
    assert caught.value.breach.budget == "eval_cpu"
    with pytest.raises(BudgetError):
        dm.evaluate("(function () { for (;;) { try { while (true) {} } catch (e) {} } })()")
    assert dm.evaluate("1 + 1") == 2


def test_a_memory_bomb_fails_only_its_own_session():
    bomber, bystander = datamodel("bomber", memory_limit=16 * MIB), datamodel("bystander", memory_limit=16 * MIB)
    bystander.execute_script("var kept = []; for (var i = 0; i < 1000; i++) kept.push({i: i});")
    with pytest.raises(BudgetError) as caught:
        bomber.execute_script("var a = []; while (true) a.push({n: a.length, s: 'x' + a.length});")
    assert caught.value.breach.budget == "memory"
    # the bystander allocates as much as it likes within its own account, during and after
    bystander.execute_script("for (var i = 0; i < 20000; i++) kept.push({i: i, s: 'y' + i});")
    assert bystander.evaluate("kept.length") == 21000
    bomber.execute_script("a = null")  # the bomber recovers once it lets go
    assert bomber.evaluate("[1, 2, 3].length") == 3


def test_a_memory_bomb_caught_by_the_document_is_still_reported():
    dm = datamodel("catcher", memory_limit=8 * MIB)
    with pytest.raises(BudgetError):
        dm.execute_script("try { var s = []; while (true) s.push(new Array(1000)); } catch (e) { s = null; throw e; }")


@pytest.mark.parametrize(("expression", "expected"), [
    ("'x'.repeat(100) + 'y'.repeat(600)", "x" * 100 + "y" * 600),  # a rope
    ("(function(){ var s = ''; for (var i = 0; i < 2000; i++) s += 'ab'; return s; })()", "ab" * 2000),
    ("12345678901234567890n", 12345678901234567890),
    ("-5n", -5),
    ("2n ** 100n", 2 ** 100),
    ("new Uint8Array([1, 2, 300])", {"0": 1, "1": 2, "2": 44}),
    ("new Float64Array(2)", {"0": 0, "1": 0}),
    ("'a\\ud800'", "a\ufffd\ufffd\ufffd"),  # a lone surrogate cannot live in UTF-8: its bytes are replaced
    ("[1, 'two', null, {three: 3}]", [1, "two", None, {"three": 3}]),
    ("0.5", 0.5),
    ("undefined", None),
])
def test_every_plain_value_crosses_to_python(expression, expected):
    assert datamodel("values").evaluate(expression) == expected


@pytest.mark.parametrize("expression", [
    "Symbol('s')",
    "(function () { var o = {}; o.self = o; return o; })()",
    "({big: 1n})",
    "Symbol.iterator",
])
def test_values_python_cannot_take_are_refused_with_an_execution_error(expression):
    with pytest.raises(ExecutionError):
        datamodel("refused").evaluate(expression)


def test_a_function_value_crosses_as_its_source():
    assert datamodel("fn").evaluate("(function f(a) { return a; })") == {"__function__": "function f(a) { return a; }"}


def test_a_symbol_in_a_document_raises_error_execution_not_a_python_exception():
    chart = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
      <datamodel><data id="v" expr="0"/></datamodel>
      <state id="s"><onentry><send event="go"><param name="p" expr="Symbol('x')"/></send></onentry>
        <transition event="error.execution" target="ok"/><transition event="go" target="bad"/></state>
      <final id="ok"/><final id="bad"/></scxml>"""
    host = SessionHost(VirtualClock(), budgets=Budgets())
    session = host.start_session(load_string(chart))
    host.run_until_idle()
    assert session.final_state == "ok"


def test_a_closed_sessions_values_no_longer_reach_its_context():
    dm = datamodel("closing")
    fn = dm.evaluate_js("(function () { return 1; })")
    dm.close()
    del fn  # freeing a value of a closed context is safe
    assert datamodel("after").evaluate("1") == 1


def test_built_ins_installed_on_first_use_behave_as_ordinary_globals():
    dm = datamodel("lazy")
    assert dm.evaluate("new Map([[1, 'one']]).get(1)") == "one"
    assert dm.evaluate("new Date(Date.UTC(2026, 10, 28)).getUTCDate()") == 28
    assert dm.evaluate("new Uint8Array([1, 2]).length") == 2
    # a document may replace one: its value stays, and its siblings still come when first used
    dm.execute_script("Set = 'mine'; var Int8Array = 7;")
    assert dm.evaluate("Set") == "mine" and dm.evaluate("Int8Array") == 7
    assert dm.evaluate("typeof WeakMap") == "function" and dm.evaluate("Set") == "mine"


def test_a_snapshot_holds_the_documents_globals_and_no_built_in():
    dm = datamodel("snap")
    dm.execute_script("var count = 2; label = 'x'; new Map(); Date.now(); new Int8Array(1);"
                      " function helper() {} var __internal = 1;")
    assert dm.snapshot()["variables"] == {"count": 2, "label": "x"}
    restored = datamodel("restored")
    restored.restore(dm.snapshot())
    assert restored.evaluate("count + label") == "2x"


def test_data_declarations_run_alike_in_every_session_of_a_document_each_with_its_own_values():
    doc = load_string('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
                      '<datamodel><data id="list" expr="[1, 2]"/><data id="made" expr="function () { return 7; }"/>'
                      '<data id="broken" expr="nosuchname + 1"/></datamodel>'
                      '<state id="s"><onentry><script>list.push(3);</script></onentry></state></scxml>')
    host = SessionHost(VirtualClock())
    errors: list[str] = []
    host.listeners.on("error_raised", lambda session, event: errors.append(event.name))
    first, second = host.start_session(doc), host.start_session(doc)
    for session in (first, second):
        dm = session.interpreter.datamodel
        assert dm.evaluate("list") == [1, 2, 3]  # one push each: the arrays are the sessions' own
        assert dm.evaluate("made()") == 7 and "return 7" in dm.evaluate("String(made)")
        assert dm.evaluate("typeof broken") == "undefined"
    assert errors == ["error.execution", "error.execution"]  # the broken one, in each session


def test_regular_expressions_work_however_a_session_first_reaches_them():
    # RegExp comes on first use: by its name, a literal, a String method that makes one of a string,
    # or code compiled in another context (declarations); each way finds it whole.
    assert datamodel("by-name").evaluate("new RegExp('b+').exec('abbc')[0]") == "bb"
    assert datamodel("by-literal").evaluate("/(\\d+)/.exec('a42')[1] + (/x/ instanceof RegExp)") == "42true"
    assert datamodel("by-match").evaluate("'a42'.match('\\\\d').index") == 1
    assert datamodel("by-search").evaluate("'abc'.search('c')") == 2
    assert datamodel("by-match-all").evaluate("[...'a1b2'.matchAll(/\\d/g)].length") == 2
    declared = datamodel("by-declaration")
    declared.declare_expr("digits", "'a1b22'.replace(/\\d+/g, '#')")
    assert declared.evaluate("digits") == "a#b#"
    # a document that deleted or replaced the name keeps its choice; literals still work
    gone = datamodel("deleted")
    gone.execute_script("delete RegExp;")
    assert gone.evaluate("[/q/.test('q'), typeof RegExp]") == [True, "undefined"]
    mine = datamodel("replaced")
    mine.execute_script("RegExp = 5;")
    assert mine.evaluate("[RegExp, 'xyz'.replace(/y/, '-')]") == [5, "x-z"]


def test_built_in_globals_a_document_deletes_stay_deleted_when_their_siblings_are_first_used():
    dm = datamodel("deleting")
    dm.execute_script("delete Map;")
    assert dm.evaluate("new Set([1, 1]).size") == 1
    assert dm.evaluate("typeof Map") == "undefined"


def test_system_variables_stay_read_only_and_in_follows_the_configuration():
    dm = datamodel("system")
    assert dm.evaluate("[_sessionid, _name]") == ["system", "system"]
    for name in ("_sessionid", "_name", "_ioprocessors", "_event"):
        with pytest.raises(ExecutionError, match=f"{name} is a read-only system variable"):
            dm.execute_script(f"{name} = 1;")
    dm.set_configuration(["a", "b"])
    assert dm.evaluate_cond("In('b') && !In('c')")
    assert dm.evaluate("__scxml_activeIds()") == ["a", "b"]
    dm.set_configuration([])
    assert not dm.evaluate_cond("In('a')")


def test_every_event_is_a_fresh_frozen_object_that_a_kept_reference_does_not_see_change():
    # after the first event, _event objects are made from a kept shape: each must still be its own
    # object, frozen, with its own fields
    dm = datamodel("events")
    dm.set_event(Event("first", "external", {"n": 1}, sendid="s1"))
    dm.execute_script("var kept = _event;")
    for name in ("second", "third"):
        dm.set_event(Event(name, "external", {"n": 2}))
    assert dm.evaluate("[kept.name, kept.sendid, kept.data.n]") == ["first", "s1", 1]
    assert dm.evaluate("[_event.name, _event.sendid, _event.data.n]") == ["third", None, 2]
    assert dm.evaluate("kept !== _event && Object.isFrozen(_event) && Object.isFrozen(kept)") is True
    assert dm.evaluate("Object.keys(_event)") == ["name", "type", "sendid", "origin", "origintype",
                                                  "invokeid", "data", "raw"]
    dm.execute_script("_event.name = 'changed'; _event.extra = 1; delete _event.type;")  # sloppy: ignored
    assert dm.evaluate("[_event.name, _event.extra, _event.type]") == ["third", None, "external"]
    with pytest.raises(ExecutionError):
        dm.execute_script("'use strict'; _event.name = 'changed';")
    assert dm.evaluate("JSON.stringify(_event)") == \
        '{"name":"third","type":"external","data":{"n":2}}'


def test_event_data_and_snapshots_ignore_a_documents_replaced_json_and_array_builtins():
    # the host's side runs on the engine's own JSON and Array.isArray, which no document can replace
    dm = datamodel("hostile")
    dm.execute_script("var kept = [1, 2]; JSON.parse = JSON.stringify = function () { return 'forged'; };"
                      " Array.isArray = function () { return false; };")
    dm.set_event(Event("go", "external", {"n": [1, 2]}))
    assert dm.evaluate("_event.data.n.length") == 2
    assert dm.evaluate("Object.isFrozen(_event)") is True
    assert dm.snapshot()["variables"] == {"kept": [1, 2]}
    seen: list[int] = []
    dm.foreach("kept", "item", None, lambda: seen.append(dm.evaluate("item")))
    assert seen == [1, 2]
    dm.declare("param", {"from": "a start request"})
    assert dm.evaluate("param.from") == "a start request"


def test_a_contexts_memory_goes_back_to_the_runtime_when_it_closes():
    from openors.scxml.datamodel import _quickjs

    _quickjs.gc()
    before = _quickjs.memory_used()
    dms = [datamodel(f"m{i}") for i in range(20)]
    for dm in dms:  # small blocks (objects, property arrays, shapes) and large ones (a big array)
        dm.execute_script("var objs = []; for (var i = 0; i < 2000; i++) objs.push({i: i, s: 'v' + i});"
                          " var big = new Array(100000).fill(1);")
    assert all(dm.ctx.memory_used() > 100_000 for dm in dms)
    for dm in dms:
        dm.close()
    _quickjs.gc()
    assert _quickjs.memory_used() - before < 64 * 1024


def test_functions_an_expression_defines_keep_their_source_and_bad_expressions_still_say_why():
    dm = datamodel("sources")
    dm.declare_expr("obj", "null")
    dm.assign("obj", "({ twice(n) { return 2 * n; }, inc: x => x + 1 })")
    assert dm.evaluate("String(obj.twice)") == "twice(n) { return 2 * n; }"
    assert dm.evaluate("String(obj.inc)") == "x => x + 1"
    assert dm.evaluate_cond("obj.inc(1) === 2")
    with pytest.raises(ExecutionError, match="invalid condition 'obj.inc\\('.*SyntaxError"):
        dm.evaluate_cond("obj.inc(")


def test_operators_see_the_data_roots_items_as_for_in_lists_them_then_the_globals_without_system_names():
    dm = datamodel("view", data_root="_data")
    dm.execute_script("var _data = Object.create({inherited: 'p', a: 'shadowed'}); _data.a = 1;"
                      " Object.defineProperty(_data, 'hidden', {value: 2, enumerable: false});"
                      " var g = 'x'; var _x = 'system'; function helper() {}")
    shown = json.loads(dm.visible_json())
    assert list(shown) == ["a", "inherited", "_data", "g"]
    assert shown["a"] == 1 and shown["inherited"] == "p" and shown["_data"] == {"a": 1}
    assert dm.snapshot()["variables"]["_x"] == "system"  # hidden from operators only


@pytest.mark.parametrize(("data", "expression", "expected"), [
    ({"n": 1, "s": "é\u2028", "l": [1, 2.5, None, True]}, "[_event.data.s, _event.data.l]", ["é\u2028", [1, 2.5, None, True]]),
    ({1: "int key"}, "_event.data['1']", "int key"),
    ({"big": 2**70}, "_event.data.big > 1e21", True),  # beyond 64 bits: still a number
    ({"x": float("nan")}, "_event.data.x", None),  # not JSON: null, and the event still runs
    ({"when": datetime.date(2026, 11, 28)}, "_event.data.when", "2026-11-28"),  # what JSON lacks: its text
])
def test_event_data_of_any_python_shape_reaches_js(data, expression, expected):
    dm = datamodel("shapes")
    dm.set_event(Event("go", "external", data))
    assert dm.evaluate(expression) == expected
