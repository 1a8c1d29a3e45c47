"""The ORS ECMAScript built-ins in a real QuickJS context: uneval/toSource and the host shims."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openors.ors.js import BUILTIN_SCRIPTS, builtins_source, load_js
from openors.scxml.datamodel import _quickjs as quickjs

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "composer-corpus"

# Structural equality that tells -0 from 0, NaN equal to itself, holes from undefined, and compares
# boxed primitives, dates and regexps by value: what "reads back to an equal value" means here.
DEEP_EQUAL_JS = r"""
function deepEqual(a, b, depth) {
  depth = depth || 0;
  if (depth > 20) return true;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return Object.is(a, b);
  if (typeof a === 'symbol') return a.toString() === b.toString();
  if (typeof a === 'function') return a.toString() === b.toString();
  if (a === null || b === null || typeof a !== 'object') return a === b;
  var ka = Object.prototype.toString.call(a), kb = Object.prototype.toString.call(b);
  if (ka !== kb) return false;
  if (ka === '[object Date]') return Object.is(a.getTime(), b.getTime());
  if (ka === '[object RegExp]') return a.source === b.source && a.flags === b.flags;
  if (ka === '[object String]' || ka === '[object Number]' || ka === '[object Boolean]')
    return Object.is(a.valueOf(), b.valueOf());
  if (a instanceof Error) return a.name === b.name && a.message === b.message;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) {
      if ((i in a) !== (i in b)) return false;
      if (!deepEqual(a[i], b[i], depth + 1)) return false;
    }
    return true;
  }
  var keysA = Object.keys(a), keysB = Object.keys(b);
  if (keysA.join('\u0000') !== keysB.join('\u0000')) return false;
  for (var j = 0; j < keysA.length; j++) if (!deepEqual(a[keysA[j]], b[keysA[j]], depth + 1)) return false;
  return true;
}
"""

ROUND_TRIP_VALUES = [
    "undefined", "null", "true", "false", "0", "-0", "42", "-7.25", "1e300", "5e-324", "NaN", "Infinity",
    "-Infinity", "''", "'plain'", "'quote \" and \\' and \\\\ backslash'", "'tab\\tnew\\nline\\rcr\\b\\f\\v'",
    "'\\x00\\x1f\\x7f'", "'caf\\u00e9 \\u4e2d\\u6587 \\ud83d\\ude00'", "'\\u2028\\u2029'", "'</script>'",
    "[]", "[1, 2, 3]", "[1, , 3]", "[1, ,]", "[,]", "[[1, [2]], {a: [3]}]", "[undefined, null, NaN, -0]",
    "({})", "({a: 1, b: 'two'})", "({'b-c': 2, 'with space': 3, '': 4, '0': 5, '01': 6, 'class': 7})",
    "({nested: {deeper: {deepest: [1, {x: 'y'}]}}})", "({u: undefined, n: null, z: -0})",
    "Object.defineProperty({}, '__proto__', {value: 1, enumerable: true})",
    "new String('boxed')", "new Number(-0)", "new Boolean(false)", "new Date(1234)", "new Date(NaN)",
    "({when: new Date(0), s: new String('s'), b: new Boolean(true), n: new Number(3)})",
    "/a[bc]+\\/d/gi", "({re: /x/m})", "new TypeError('bad thing')", "new Error('multi\\nline')",
    "12345678901234567890n", "Symbol.for('shared')", "Symbol.iterator",
    "(function add(a, b) { return a + b; })", "({f: function () { return 1; }})", "(x => x * 2)",
]

EXACT_FORMS = [
    ("uneval(undefined)", "(void 0)"),
    ("uneval(null)", "null"),
    ("uneval(-0)", "-0"),
    ("uneval(NaN)", "NaN"),
    ("uneval(-Infinity)", "-Infinity"),
    ("uneval('x')", '"x"'),
    ("uneval('a\"b\\\\c\\n')", '"a\\"b\\\\c\\n"'),
    ("uneval('\\u00e9\\u0101')", '"\\xE9\\u0101"'),
    ("uneval({a: 1, 'b-c': 2})", '({a:1, "b-c":2})'),
    ("uneval([1, 2])", "[1, 2]"),
    ("uneval([1, , 3])", "[1, , 3]"),
    ("uneval({a: {b: [1, {c: 'd'}]}})", '({a:{b:[1, {c:"d"}]}})'),
    ("uneval({u: undefined})", "({u:(void 0)})"),
    ("uneval(new Date(1234))", "(new Date(1234))"),
    ("uneval({d: new Date(5)})", "({d:(new Date(5))})"),
    ("uneval(new String('x'))", '(new String("x"))'),
    ("'x'.toSource()", '(new String("x"))'),
    ("(5).toSource()", "(new Number(5))"),
    ("true.toSource()", "(new Boolean(true))"),
    ("new Date(1234).toSource()", "(new Date(1234))"),
    ("/a/g.toSource()", "/a/g"),
    ("[1, 'a'].toSource()", '[1, "a"]'),
    ("({a: 1}).toSource()", "({a:1})"),
    ("(function f() {}).toSource()", "(function f() {})"),
    ("new RangeError('r').toSource()", '(new RangeError("r"))'),
]


@pytest.fixture
def ctx():
    """A context with the ORS built-ins, run under a time limit (no Python callbacks allowed)."""
    context = quickjs.Context()
    context.eval(builtins_source())
    context.eval(DEEP_EQUAL_JS)
    context.set_time_limit(1)
    return context


def drain(ctx) -> list[dict]:
    return json.loads(ctx.eval("__orsDrainOutbox()"))


# --- uneval / toSource -----------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ROUND_TRIP_VALUES)
def test_uneval_output_evaluates_back_to_an_equal_value(ctx, expression):
    ctx.eval(f"var original = ({expression}); var text = uneval(original);")
    assert ctx.eval("deepEqual(original, eval(text))"), ctx.eval("text")
    assert ctx.eval("uneval(eval(text)) === text")


@pytest.mark.parametrize("expression", [v for v in ROUND_TRIP_VALUES if v not in ("undefined", "null")])
def test_to_source_output_evaluates_back_to_an_equal_value(ctx, expression):
    ctx.eval(f"var original = ({expression});")
    ctx.eval("var text = original.toSource(); var back = eval(text);")
    # String/Number/Boolean toSource writes the wrapper object, as in SpiderMonkey
    ctx.eval("var wrapped = ['string', 'number', 'boolean'].indexOf(typeof original) >= 0;")
    assert ctx.eval("deepEqual(wrapped ? Object(original) : original, back)"), ctx.eval("text")


@pytest.mark.parametrize(("expression", "expected"), EXACT_FORMS)
def test_output_has_the_spidermonkey_form(ctx, expression, expected):
    assert ctx.eval(expression) == expected


def test_to_source_methods_are_not_enumerable(ctx):
    assert ctx.eval("var keys = []; for (var k in {a: 1}) keys.push(k); keys.join()") == "a"
    assert ctx.eval("var n = 0; for (var i in [1, 2]) n++; n") == 2
    for proto in ("Object", "Array", "String", "Number", "Boolean", "Date", "Function", "RegExp"):
        assert ctx.eval(f"Object.getOwnPropertyDescriptor({proto}.prototype, 'toSource').enumerable") is False
    assert ctx.eval("Object.keys(globalThis).indexOf('uneval')") == -1
    assert ctx.eval("JSON.stringify({a: 1})") == '{"a":1}'


def test_cycles_are_written_without_endless_recursion(ctx):
    ctx.eval("var o = {name: 'o', list: [1]}; o.self = o; o.list.push(o); var a = [1]; a.push(a);")
    assert ctx.eval("uneval(o)") == '({name:"o", list:[1, {}], self:{}})'
    assert ctx.eval("uneval(a)") == "[1, []]"
    assert ctx.eval("o.toSource()") == '({name:"o", list:[1, {}], self:{}})'
    assert ctx.eval("eval(uneval(o)).self.constructor === Object")


def test_shared_objects_that_are_not_cycles_are_written_in_full(ctx):
    assert ctx.eval("var s = {k: 1}; uneval({a: s, b: s})") == "({a:{k:1}, b:{k:1}})"


def test_event_like_objects_round_trip_and_log_as_composer_writes_them(ctx):
    ctx.eval("""
        var _event = {name: 'interaction.added', type: 'external', sendid: '', origin: 'scxml:abc',
            origintype: 'scxml', invokeid: undefined,
            data: {interactionid: '01SBT7R0GC9RR1KE1G2LAES00000001', focusdeviceid: '5000',
                   'udata-key': 'it\\'s', parties: [{device: '5000', devicetype: 'routepoint'}],
                   priority: 0, when: new Date(1700000000000)}};
    """)
    log_line = ctx.eval("'ERROR: ' + _event.toSource()")
    assert log_line.startswith('ERROR: ({name:"interaction.added", type:"external"')
    assert '"udata-key":"it\'s"' in log_line
    assert ctx.eval("deepEqual(_event, eval(_event.toSource()))")
    assert ctx.eval("deepEqual(_event, eval(uneval(_event)))")


def test_an_object_own_to_source_is_used(ctx):
    assert ctx.eval("uneval({toSource: function () { return 'mine'; }})") == "mine"
    assert ctx.eval("uneval([{toSource: function () { return '7'; }}])") == "[7]"


def test_objects_without_prototype_and_throwing_getters_still_serialise(ctx):
    assert ctx.eval("var bare = Object.create(null); bare.x = 1; uneval(bare)") == "({x:1})"
    assert ctx.eval("uneval({ok: 1, get bad() { throw new Error('no'); }})") == "({ok:1})"


def test_loading_the_built_ins_twice_is_harmless(ctx):
    ctx.eval(builtins_source())
    assert ctx.eval("uneval({a: [1]})") == "({a:[1]})"


# --- host shims ------------------------------------------------------------------------------------


def test_log_pushes_records_onto_the_outbox(ctx):
    ctx.eval("__Log('hello'); __Log(42, 'label', 2); __Log('lvl', undefined, '3')")
    assert drain(ctx) == [
        {"kind": "log", "text": "hello", "label": "", "level": None},
        {"kind": "log", "text": "42", "label": "label", "level": 2},
        {"kind": "log", "text": "lvl", "label": "", "level": 3},
    ]
    assert drain(ctx) == []


def test_raise_pushes_the_event_with_a_copy_of_its_data(ctx):
    ctx.eval("var params = {interactionid: 'x1', n: 1}; __Raise('error.rethrow', params); params.n = 2;"
             "__Raise('application.exit');")
    assert drain(ctx) == [
        {"kind": "raise", "name": "error.rethrow", "data": {"interactionid": "x1", "n": 1}},
        {"kind": "raise", "name": "application.exit", "data": None},
    ]


def test_raise_without_a_name_or_with_cyclic_data_throws(ctx):
    assert ctx.eval("try { __Raise(''); 'no' } catch (e) { e instanceof TypeError }") is True
    assert ctx.eval("var c = {}; c.c = c; try { __Raise('x', c); 'no' } catch (e) { e instanceof TypeError }")
    assert drain(ctx) == []


def test_outbox_keeps_call_order_across_log_and_raise(ctx):
    ctx.eval("__Log('one'); __Raise('two', {}); __Log('three')")
    assert [r["kind"] for r in drain(ctx)] == ["log", "raise", "log"]


def test_current_states_and_document_url_come_from_host_data(ctx):
    assert ctx.eval("__GetCurrentStates().length") == 0
    assert ctx.eval("__GetDocumentURL()") == ""
    ctx.eval("globalThis.__orsHost = {states: ['_composer_globalstate', '_composer_parallel', 'Entry1'],"
             " url: 'http://apps.example/ors/src-gen/IPD_default_MainWorkflow.scxml'}")
    states = ctx.eval("var s = __GetCurrentStates(); s[s.length - 1]")
    assert states == "Entry1"
    assert ctx.eval("__GetCurrentStates().push('x'); __GetCurrentStates().length") == 3  # a copy each time
    assert ctx.eval("__GetDocumentURL()") == "http://apps.example/ors/src-gen/IPD_default_MainWorkflow.scxml"


def test_shims_are_not_enumerable_globals(ctx):
    for name in ("__Log", "__Raise", "__GetCurrentStates", "__GetDocumentURL", "__orsOutbox"):
        assert ctx.eval(f"Object.keys(globalThis).indexOf('{name}')") == -1


@pytest.mark.skipif(not CORPUS.is_dir(), reason="composer corpus not available")
def test_composer_common_js_computes_its_base_url_from_the_document_url(ctx):
    ctx.eval((CORPUS / "genesyssandbox__routing/include/common.js").read_text())
    ctx.eval("globalThis.__orsHost = {states: [], url: 'http://web:8080/apps/demo/src-gen/IPD_x.scxml'}")
    assert ctx.eval("getBaseURL()") == "http://web:8080/apps/demo/src-gen/"


# --- loading -----------------------------------------------------------------------------------------


def test_load_js_finds_scripts_by_name_or_stem():
    assert load_js("tosource") == load_js("tosource.js")
    assert all("__Log" in load_js(n) or "uneval" in load_js(n) for n in BUILTIN_SCRIPTS)


def test_load_js_refuses_paths():
    with pytest.raises(ValueError):
        load_js("../dialect/xinclude.py")
