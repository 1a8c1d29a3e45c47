"""The ECMAScript datamodel on QuickJS-ng: one context per session, all on one shared runtime.

Why it looks the way it does:
* The binding is ours (`_quickjs.c`): contexts share the process's runtime, each with its own
  globals, memory account and per-evaluation deadline (read its header).
* Expressions are compiled once per context into JS functions and called from Python: a call
  costs far less than parsing the expression again. Preludes are compiled once per process and
  each context runs the bytecode.
* Nothing in JS calls out to Python: `In()` reads a configuration pushed in before evaluation,
  `_event` is pushed in lazily (only when an expression runs while that event is current). The
  host's side of this (system variables, `In()`, the event, the snapshot's serialiser) is C in the
  binding, not JS run in every context: a context holds none of our JS functions.
* Values cross the boundary as JSON; XML values travel as a parsed spec and become a small DOM.
"""

from __future__ import annotations

import asyncio
import json
import time
from importlib import resources
from time import perf_counter
from typing import TYPE_CHECKING, Any

import orjson

from ..budgets import Breach, MacrostepMeter
from ..errors import BudgetError, ExecutionError
from ..events import _data_to_xml
from ..values import XmlValue
from . import _quickjs as qjs
from .base import Datamodel, SessionInfo

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from openors.scxml.events import Event

_DOM = resources.files(__package__).joinpath("dom.js").read_text()
# The binding's baseline of global names a fresh context has after its preludes, per prelude set
# (every context built from the same preludes has the same ones), registered once per set of names:
# prelude sets differ in what they run more often than in the names they define.
_BASELINES: dict[tuple[str, ...], int] = {}
_BASELINE_OF_NAMES: dict[frozenset[str], int] = {}

DEFAULT_TIME_LIMIT_S = 2.0
_BIG_PUSH = 16 * 1024  # bytes of JSON above which pushing event data gets its own time limit
_PUSH_TIME_PER_MIB = 2.0  # seconds allowed per MiB of pushed JSON (a MiB of tiny objects parses in ~0.1 s)
DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024
_INTERRUPTED = "InternalError: interrupted"
_OUT_OF_MEMORY = "InternalError: out of memory"
# The runtime's cycle collector visits every session's objects: it runs when the host enters JS
# between macrosteps. When it must run within one (a heap far past its threshold), its pause is
# left out of the budget of the macrostep that last entered JS.
_RUNNING: list = [None]


def _excuse_collection(seconds: float) -> None:
    meter = _RUNNING[0]
    if meter is not None:
        meter.excuse(seconds)


qjs.set_gc_callback(_excuse_collection)
_collect_if_due = qjs.collect_if_due
_NO_MACROSTEP = float("inf")  # MacrostepMeter.watch while no macrostep runs
_UNKNOWN = object()  # a cache's "never looked up" (None there means "looked up: no such function")
_RUN_STEP = "__openors_assign_step"  # which assignment of a fused run failed (read on failure only)
# Bytecode of the scripts every context runs (preludes, built-ins), compiled once per process.
_COMPILED: dict[str, bytes] = {}
_COMPILER: list = []


def _compiled(source: str) -> bytes:
    code = _COMPILED.get(source)
    if code is None:
        if not _COMPILER:
            _COMPILER.append(qjs.Context(typed_arrays=False))
        # Without their source: our built-ins then read as native code, as ORS's own do, and a
        # context holds about 28 KiB less of them (ORS). Without debug information (line tables)
        # too: 4 KiB less per ORS context; an error thrown inside a built-in keeps its message.
        code = _COMPILED[source] = _COMPILER[0].compile(source, "<prelude>", keep_source=False, keep_debug=False)
    return code


# Declarations (`<data>`) as bytecode compiled once per process: every session of a document runs
# the same ones, and reading bytecode costs far less than parsing (about 10 µs each) a function per
# declaration in every new context. Global code, so any context can run it. None: not a plain
# expression (the datamodel then takes its general path, which reports errors properly).
_DECLARATIONS: dict[tuple[str, str | None, str | None], bytes | None] = {}
_MAX_DECLARATIONS = 20_000  # distinct (location, expression) pairs kept; past it, compiled each time


def _declaration(location: str, expr: str | None, declare: str | None) -> bytes | None:
    """Bytecode that declares global `declare` (when given, if it is not there yet) and then, when
    `expr` is given, assigns its value to `location`."""
    key = (location, expr, declare)
    if key in _DECLARATIONS:
        return _DECLARATIONS[key]
    head = f"if (!({json.dumps(declare)} in globalThis)) globalThis[{json.dumps(declare)}] = undefined;\n" \
        if declare is not None else ""
    body = "" if expr is None else f"{location} = ({expr.rstrip().rstrip(';')}\n);\n"
    try:
        code: bytes | None = _compiled_once(head + body + "void 0", "<declaration>")
    except qjs.JSException:
        code = None
    if len(_DECLARATIONS) < _MAX_DECLARATIONS:
        _DECLARATIONS[key] = code
    return code


def _compiled_once(source: str, filename: str, keep_source: bool = True) -> bytes:
    if not _COMPILER:
        _COMPILER.append(qjs.Context(typed_arrays=False))
    return _COMPILER[0].compile(source, filename, keep_source=keep_source)


# The functions expressions are wrapped in (conditions, values, assignments, setters), as bytecode
# compiled once per process: a context reads it in about 1.3 µs instead of parsing the source in
# 6.6 µs, and holds the function without its source text (360 bytes instead of 608), unless the
# document's part could define a function whose source it may read back ("{" or "=>" in it).
_WRAPPERS: dict[str, bytes] = {}
_MAX_WRAPPERS = 20_000  # distinct wrappers kept; past it, compiled each time


def _wrapper(source: str, user_text: str) -> bytes:
    code = _WRAPPERS.get(source)
    if code is None:
        code = _compiled_once(source, "<eval>", keep_source="{" in user_text or "=>" in user_text)
        if len(_WRAPPERS) < _MAX_WRAPPERS:
            _WRAPPERS[source] = code
    return code


# Contexts with their preludes already run, per prelude set: a session starting takes one, and
# when an asyncio loop runs, the pool is refilled from it one context per turn of the loop, after
# whatever request took one. Without a loop (CLI, tests) a context is built on the spot.
POOL_SIZE = 8
_POOLS: dict[tuple[str, ...], list] = {}
_REFILLING: set[tuple[str, ...]] = set()


def _new_context(prelude_scripts: tuple[str, ...]):
    ctx = qjs.Context()
    ctx.install_host()
    for script in prelude_scripts:
        ctx.run_compiled(_compiled(script))
    return ctx


def _take_context(prelude_scripts: tuple[str, ...]):
    pool = _POOLS.get(prelude_scripts)
    ready = pool.pop() if pool else _new_context(prelude_scripts)
    if prelude_scripts not in _REFILLING:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return ready
        _REFILLING.add(prelude_scripts)
        loop.call_soon(_refill, loop, prelude_scripts)
    return ready


def _refill(loop, prelude_scripts: tuple[str, ...]) -> None:
    pool = _POOLS.setdefault(prelude_scripts, [])
    if len(pool) >= POOL_SIZE or loop.is_closed():
        _REFILLING.discard(prelude_scripts)
        return
    pool.append(_new_context(prelude_scripts))
    loop.call_soon(_refill, loop, prelude_scripts)


def prewarm(prelude_scripts: tuple[str, ...] = (), count: int = POOL_SIZE) -> None:
    """Fill the pool for sessions with these preludes now (benchmarks, a server's start)."""
    pool = _POOLS.setdefault(prelude_scripts, [])
    while len(pool) < min(count, 10 * POOL_SIZE):
        pool.append(_new_context(prelude_scripts))


def _xml_spec(el, parent_ns: str | None = None) -> list:
    ns = el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else None
    children: list = []
    if el.text:
        children.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            children.append(_xml_spec(child, ns))
        if child.tail:
            children.append(child.tail)
    name = el.tag.split("}", 1)[-1] if el.tag.startswith("{") else el.tag
    attrs = {k.split("}", 1)[-1]: v for k, v in el.attrib.items()}
    if ns != parent_ns:
        attrs["xmlns"] = ns or ""  # keeps the namespace when the DOM is serialised again
    return ["e", name, attrs, children]


def _json_default(o: Any) -> Any:
    """What JSON has no type for: XML as the spec JS revives as DOM, anything else as its text."""
    if isinstance(o, XmlValue):
        from lxml import etree

        wrapper = etree.fromstring(f"<w>{o.xml}</w>")
        return {"__xmlspec__": [_xml_spec(c) for c in wrapper if isinstance(c.tag, str)]}
    return str(o)


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        return _json_default(o)


# orjson writes what the standard library would, ten times faster (an event's data is encoded on
# every event that carries some); dates and dataclasses go to _json_default as they did there.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def to_json(value: Any) -> tuple[str, bool]:
    """JSON text for a Python value, and whether it carries XML to revive as DOM."""
    try:
        text = orjson.dumps(value, default=_json_default, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (integers beyond 64 bits, deep nesting)
        text = json.dumps(value, cls=_Encoder, ensure_ascii=False)
    return text, "__xmlspec__" in text


def _from_json(text: str | None) -> Any:
    if text is None:
        return None
    return json.loads(text, object_hook=_revive_xml)


def _revive_xml(obj: dict):
    if len(obj) == 1 and "__xml__" in obj:
        return XmlValue(obj["__xml__"])
    return obj


def _message(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class EcmaScriptDatamodel(Datamodel):
    def __init__(self, info: SessionInfo, *, time_limit: float = DEFAULT_TIME_LIMIT_S,
                 memory_limit: int = DEFAULT_MEMORY_LIMIT, strict_assign: bool = True,
                 prelude_scripts: tuple[str, ...] = (), outbox: str | None = None,
                 data_root: str | None = None):
        """`prelude_scripts` run once before any document code (dialect built-ins); their globals
        are not part of the session's data. `outbox` names a JS function returning, as JSON, the
        records user code queued for the host (ORS `__Log`/`__Raise`); they go to `on_outbox`."""
        super().__init__(info)
        # Dialects whose <data> items live in an object (ORS: `_data.X`) rather than as globals.
        self.data_root = data_root
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self.strict_assign = strict_assign
        self.ctx = _take_context(prelude_scripts)
        self._set_system()
        baseline = _BASELINES.get(prelude_scripts)
        if baseline is None:
            names = frozenset(json.loads(self.ctx.eval("JSON.stringify(Object.getOwnPropertyNames(globalThis))")))
            baseline = _BASELINE_OF_NAMES.get(names)
            if baseline is None:
                baseline = _BASELINE_OF_NAMES[names] = self.ctx.register_baseline()
            _BASELINES[prelude_scripts] = baseline
        self.ctx.set_baseline(baseline)
        # The session's globals as JSON in one call (C in the binding: the engine's own JSON, which
        # no document can replace, so a snapshot is never silently wrong).
        self._snapshot_js = self.ctx.snapshot
        # The last snapshot's JSON, reused while no JS has run since (see snapshot()).
        self._last_snapshot: str | None = None
        self._data_changed = True
        self._dom_loaded = False
        self._drain = self.ctx.get(outbox) if outbox else None
        self.meter: MacrostepMeter | None = None  # the running macrostep's CPU deadline (budgets.py)
        self.ctx.set_memory_limit(memory_limit)
        self.ctx.set_time_limit(time_limit)
        self._cond_fns: dict[str, Any] = {}
        self._value_fns: dict[str, Any] = {}
        self._assign_fns: dict[tuple, Any] = {}
        self._pending_event: Event | None = None
        self._event_applied = True
        self._pending_config: list[str] | None = None
        self._revive: Any = None  # the DOM's JSON reviver, once an XML value made it load

    # --- boundary helpers -----------------------------------------------------------------
    def _set_system(self) -> None:
        self.ctx.set_system(self.info.session_id, self.info.name, json.dumps(self.info.ioprocessors))

    def _sync(self) -> None:
        """Push what expressions may read (current event, configuration) before running them."""
        if not self._event_applied:
            self._event_applied = True
            ev = self._pending_event
            if ev is None:
                return
            data, has_xml = (None, False) if ev.data is None else to_json(ev.data)
            if has_xml:
                self._ensure_dom()
            self._push(len(data or ""), self.ctx.set_event, ev.name, ev.type, ev.sendid, ev.origin,
                       ev.origintype, ev.invokeid, data, self._revive if has_xml else None, ev.raw)
        if self._pending_config is not None:
            ids, self._pending_config = self._pending_config, None
            self.ctx.set_configuration(ids)

    def _push(self, size: int, fn, *args):
        """Hand data the host chose to deliver (an event's data) to JS. Its cost is the data's,
        bounded by the size caps of what may arrive, not the strategy's: a big payload gets a longer
        evaluation limit, and its time is not charged to the macrostep's budget."""
        if size < _BIG_PUSH:
            return self._call(fn, *args)
        started = time.perf_counter()
        self.ctx.set_time_limit(max(self.time_limit, _PUSH_TIME_PER_MIB * size / (1024 * 1024)))
        try:
            return self._call(fn, *args)
        finally:
            self.ctx.set_time_limit(self.time_limit)
            if self.meter is not None:
                self.meter.excuse(time.perf_counter() - started)

    def _after_user_code(self) -> None:
        if self._drain is None:
            return
        text = self._drain()
        if text != "[]" and self.on_outbox is not None:
            self.on_outbox(json.loads(text))

    def _user(self, fn, *args):
        """Run user code within the macrostep's budget; hand whatever it queued for the host over,
        even when it failed."""
        meter = self.meter
        if meter is not None:
            watch = meter.watch
            if watch != _NO_MACROSTEP and perf_counter() < watch:
                # Within a macrostep and far from its budget's end (nearly always): nothing to clamp
                # and no collection due, so straight in (what _clamp_to_macrostep and _call do).
                self._data_changed = True  # as _call: whatever runs in JS may change data
                _RUNNING[0] = meter
                try:
                    return fn(*args)
                except qjs.JSException as exc:
                    raise self._js_error(exc, "") from None
                finally:
                    if self._drain is not None:
                        self._after_user_code()
        return self._user_checked(fn, *args)

    def _user_call(self, fn):
        """`_user` for a function of no arguments (a condition, a fused assignment: nearly every
        event runs one), with the common case first: no outbox to drain, far from the end of the
        macrostep's budget."""
        meter = self.meter
        if meter is not None and self._drain is None and perf_counter() < meter.watch != _NO_MACROSTEP:
            self._data_changed = True
            _RUNNING[0] = meter
            try:
                return fn()
            except qjs.JSException as exc:
                raise self._js_error(exc, "") from None
        return self._user(fn)

    def _user_checked(self, fn, *args):
        clamped = self._clamp_to_macrostep()
        try:
            return self._call(fn, *args)
        except BudgetError as exc:
            if clamped and self.meter is not None and exc.breach.budget == "eval_cpu":
                raise self._macrostep_over(self.meter) from None
            raise
        finally:
            if clamped:
                self.ctx.set_time_limit(self.time_limit)
            if self._drain is not None:
                self._after_user_code()

    def _clamp_to_macrostep(self) -> bool:
        """Near the end of the macrostep's budget, the next evaluation may only have what is left,
        so no macrostep holds the loop much past its budget. True when the limit was lowered."""
        meter = self.meter
        if meter is None or time.perf_counter() < meter.watch:
            return False
        left = meter.left()
        if left <= 0:
            raise self._macrostep_over(meter)
        if left < self.time_limit:
            self.ctx.set_time_limit(max(left, 0.001))
            return True
        return False

    def _ensure_dom(self) -> None:
        if not self._dom_loaded:
            self.ctx.run_compiled(_compiled(_DOM))
            self._revive = self.ctx.get("__scxml_revive")
            self._dom_loaded = True

    def _call(self, fn, *args):
        self._data_changed = True  # whatever runs in JS may change data (a condition too)
        meter = self.meter
        if meter is None or meter.watch == _NO_MACROSTEP:
            _collect_if_due()  # between macrosteps: the pause is no session's
        else:
            _RUNNING[0] = meter
        try:
            return fn(*args)
        except qjs.JSException as exc:  # also a JS value the host cannot take (a symbol)
            raise self._js_error(exc, "") from None

    def _macrostep_over(self, meter: MacrostepMeter) -> BudgetError:
        ms = round(meter.budget * 1000)
        return BudgetError(Breach("cpu", meter.budget, f"the macrostep used up its CPU budget ({ms} ms)"),
                           f"InternalError: interrupted: the macrostep used up its CPU budget ({ms} ms)")

    def _js_error(self, exc: Exception, prefix: str) -> ExecutionError:
        """A JS failure as the error the interpreter raises; budget breaches say which budget."""
        text = _message(exc)
        if text.startswith(_INTERRUPTED):
            ms = round(self.time_limit * 1000)
            return BudgetError(Breach("eval_cpu", self.time_limit,
                                      f"an evaluation ran past its CPU budget ({ms} ms)"),
                               f"{prefix}{_INTERRUPTED}: an evaluation ran past its CPU budget ({ms} ms)")
        if self._recover_memory(text):
            mib = self.memory_limit // (1024 * 1024)
            return BudgetError(Breach("memory", self.memory_limit,
                                      f"the session's JS heap reached its limit ({mib} MiB)"),
                               f"{prefix}InternalError: out of memory: the session's JS heap reached its "
                               f"limit ({mib} MiB)")
        return ExecutionError(prefix + text)

    def _recover_memory(self, text: str) -> bool:
        """True when the evaluation failed because the session's memory account refused an
        allocation (even if the document caught that error); the runtime then collects, so the
        garbage the failed evaluation left goes before the session runs again."""
        refused = self.ctx.take_out_of_memory()
        if refused or text.startswith(_OUT_OF_MEMORY):
            qjs.gc()
            return True
        return False

    def _function(self, source: str, user_text: str):
        """The JS function `source` evaluates to, in this context (JSException if it does not
        compile); `user_text` is the document's part of it."""
        return self.ctx.run_compiled(_wrapper(source, user_text))

    def _compile(self, source: str, what: str, user_text: str):
        try:
            return self._function(source, user_text)
        except qjs.JSException as exc:
            raise ExecutionError(f"invalid {what}: {_message(exc)}") from None

    def _to_python(self, value):
        if isinstance(value, qjs.Object):
            return _from_json(self._call(self.ctx.to_json, value))
        return value

    # --- Datamodel API --------------------------------------------------------------------
    def evaluate_cond(self, expr: str) -> bool:
        fn = self._cond_fns.get(expr)
        if fn is None:
            fn = self._cond_fns[expr] = self._compile(f"(function(){{return !!({expr}\n);}})", f"condition {expr!r}",
                                                      expr)
        if not self._event_applied or self._pending_config is not None:
            self._sync()
        return self._user_call(fn)

    def _value_fn(self, expr: str):
        fn = self._value_fns.get(expr)
        if fn is None:
            body = expr.rstrip().rstrip(";")
            try:
                fn = self._function(f"(function(){{return ({body}\n);}})", expr)
            except qjs.JSException:
                # Not a plain expression (statements, several of them): evaluate it as a program
                # at global scope each time; a real syntax error then surfaces as error.execution.
                fn = self._function(f"(function(){{return (0, eval)({json.dumps(expr)});}})", expr)
            self._value_fns[expr] = fn
        return fn

    def evaluate(self, expr: str) -> Any:
        fn = self._value_fn(expr)
        self._sync()
        return self._to_python(self._user(fn))

    def evaluate_js(self, expr: str) -> Any:
        """The raw JS value (for engine-internal use where identity must be kept)."""
        fn = self._value_fn(expr)
        self._sync()
        return self._user(fn)

    def call_function(self, name: str, *args) -> Any:
        """Call a global JS function with plain arguments (host-side updates such as `_genesys`)."""
        return self._to_python(self._call(self.ctx.get(name), *args))

    def _data_location(self, name: str) -> str:
        return f"{self.data_root}[{json.dumps(name)}]"

    def declare_expr(self, name: str, expr: str) -> None:
        if not self.data_root and not name.isidentifier():
            raise ExecutionError(f"'{name}' is not a valid variable name")
        code = _declaration(self._data_location(name) if self.data_root else name, expr,
                            None if self.data_root else name)
        if code is not None:
            if not self._event_applied or self._pending_config is not None:
                self._sync()
            self._user(self.ctx.run_compiled, code)
            return
        if self.data_root:
            self._call(self._setter(self._data_location(name), strict=False), self.evaluate_js(expr))
            return
        self.assign_js(name, expr, declare=True)

    def declare(self, name: str, value: Any) -> None:
        # One call into the binding, and no setter function compiled and kept in this context for
        # a declaration that runs once (a session's parameters: about 0.9 KiB each).
        text, has_xml = to_json(value)
        if has_xml:
            self._ensure_dom()
        if self.data_root:
            target = self.evaluate_js(self.data_root)
        else:
            self._declare_global(name)
            target = None
        self._sync()
        self._call(self.ctx.set_member, target, name, text, self._revive if has_xml else None,
                   self.strict_assign)

    def declare_unbound(self, name: str) -> None:
        if self.data_root:
            code = _declaration(self._data_location(name), "undefined", None)
        else:
            if not name.isidentifier():
                raise ExecutionError(f"'{name}' is not a valid variable name")
            code = _declaration(name, "undefined", name)  # binding time: any earlier value goes
        if code is None:  # a data root that is not an object: the general path says why
            self.assign_js(self._data_location(name), "undefined")
            return
        self._call(self.ctx.run_compiled, code)

    def _declare_global(self, name: str) -> None:
        if not name.isidentifier():
            raise ExecutionError(f"'{name}' is not a valid variable name")
        code = _declaration(name, None, name)
        assert code is not None  # an identifier always makes a valid declaration
        self._call(self.ctx.run_compiled, code)

    def assign_js(self, location: str, expr: str, declare: bool = False) -> None:
        """Assign the value of `expr` to `location`; the value never leaves JS (identity is kept)."""
        if declare:
            self._declare_global(location)
        strict = self.strict_assign and not declare
        # A declaration runs once per session (or per state entry): its function is not kept.
        key = ("=", location, expr, strict)
        fused = self._assign_fns.get(key, _UNKNOWN)
        if fused is _UNKNOWN:
            fused = self._fused_assign(location, expr, strict, keep=not declare)
        if fused is not None:
            if not self._event_applied or self._pending_config is not None:
                self._sync()
            self._user_call(fused)
            return
        value = self.evaluate_js(expr)
        self._call(self._setter(location, strict=strict), value)

    assign = assign_js  # the Datamodel API's name (one call less on every <assign>)

    def _fused_assign(self, location: str, expr: str, strict: bool, keep: bool = True):
        """One JS function doing both the evaluation and the assignment (one call instead of two).
        Strictness is kept by checking that the root variable exists, as strict mode would."""
        key = ("=", location, expr, strict)
        if key in self._assign_fns:
            return self._assign_fns[key]
        root = location.split(".", 1)[0].split("[", 1)[0].strip()
        fn = None
        if root.isidentifier():
            check = (f'if (!("{root}" in globalThis)) throw new ReferenceError("{root} is not defined"); '
                     if strict else "")
            body = expr.rstrip().rstrip(";")
            try:
                fn = self._function(f"(function(){{ var __v = ({body}\n); {check}{location} = __v; }})",
                                    location + expr)
            except qjs.JSException:
                fn = None  # not a plain expression: the two-step path reports it properly
        if keep:
            self._assign_fns[key] = fn
        return fn

    fuses_assigns = True

    def assign_run(self, pairs: tuple[tuple[str, str], ...]) -> bool:
        """Several `<assign location expr>` in a row, in one call into JS: each evaluated and
        assigned in turn, as one call each would, stopping at the first that fails. Returns False,
        having run nothing, when they cannot be fused (an expression that is not a plain one):
        the caller then runs them one by one. A failure raises the assignment's ExecutionError
        with `step`, the index of the pair that failed (those before it took effect)."""
        strict = self.strict_assign
        key = ("=*", pairs, strict)
        fused = self._assign_fns.get(key, _UNKNOWN)
        if fused is _UNKNOWN:
            fused = self._assign_fns[key] = self._fused_run(pairs, strict)
        if fused is None:
            return False
        if not self._event_applied or self._pending_config is not None:
            self._sync()
        try:
            self._user_call(fused)
        except ExecutionError as exc:
            step = self.ctx.get(_RUN_STEP)
            exc.step = step if isinstance(step, int) and 0 <= step < len(pairs) else 0  # type: ignore[attr-defined]
            raise
        return True

    def _fused_run(self, pairs: tuple[tuple[str, str], ...], strict: bool):
        steps = []
        for i, (location, expr) in enumerate(pairs):
            root = location.split(".", 1)[0].split("[", 1)[0].strip()
            if not root.isidentifier():
                return None
            check = (f'if (!("{root}" in globalThis)) throw new ReferenceError("{root} is not defined"); '
                     if strict else "")
            body = expr.rstrip().rstrip(";")
            steps.append(f"__s = {i}; __v = ({body}\n); {check}{location} = __v;")
        source = (f"(function(){{ var __s = 0, __v; try {{ {' '.join(steps)} }} "
                  f"catch (e) {{ globalThis.{_RUN_STEP} = __s; throw e; }} }})")
        try:
            return self._function(source, "".join(location + expr for location, expr in pairs))
        except qjs.JSException:
            return None  # not plain expressions: one by one, where each reports its own error

    def _setter(self, location: str, strict: bool):
        key = (location, strict)
        fn = self._assign_fns.get(key)
        if fn is None:
            prefix = '"use strict"; ' if strict else ""
            fn = self._assign_fns[key] = self._compile(
                f"(function(v){{ {prefix}{location} = v; }})", f"location {location!r}", location)
        return fn

    def assign_value(self, location: str, value: Any) -> None:
        text, has_xml = to_json(value)
        if has_xml:
            self._ensure_dom()
        setter = self._setter(location, self.strict_assign)
        self._sync()
        self._call(setter, self._call(self.ctx.parse_json, text, self._revive if has_xml else None))

    def has_location(self, location: str) -> bool:
        try:
            return self.evaluate_cond(f"typeof ({location}) !== 'undefined' || (function(){{try{{{location};return true}}catch(e){{return false}}}})()")
        except ExecutionError:
            return False

    def execute_script(self, source: str, url: str | None = None, line: int | None = None) -> None:
        self._data_changed = True
        self._sync()
        clamped = self._clamp_to_macrostep()
        if self.meter is not None:
            _RUNNING[0] = self.meter
        try:
            self.ctx.eval(source + "\n;void 0")  # the completion value stays in JS (it may be a symbol)
        except qjs.JSException as exc:
            error = self._js_error(exc, "script error: ")
            if clamped and self.meter is not None and isinstance(error, BudgetError) \
                    and error.breach.budget == "eval_cpu":
                error = self._macrostep_over(self.meter)
            raise error from None
        finally:
            if clamped:
                self.ctx.set_time_limit(self.time_limit)
            if self._drain is not None:
                self._after_user_code()

    def foreach(self, array: str, item: str, index: str | None, body: Callable[[], None]) -> None:
        items = self.evaluate_js(array)
        if not isinstance(items, qjs.Object) or not self._call(self.ctx.is_array, items):
            raise ExecutionError(f"<foreach> array '{array}' is not an array")
        snapshot = self._call(self._function("(function(a){ return a.slice(); })", ""), items)
        length = self._call(self._function("(function(a){ return a.length; })", ""), snapshot)
        for target in (item, index):
            if target is not None and not _is_location(target):
                raise ExecutionError(f"<foreach> '{target}' is not a valid location")
        # the parameters' names are no document's: an item or index called `a` or `i` (the usual
        # name of a loop's index) would be the parameter itself, and the variable never set
        set_index = f"{index} = __i;" if index else ""
        step = self._compile(f"(function(__a, __i){{ {item} = __a[__i]; {set_index} }})", "foreach",
                             item + set_index)
        for i in range(length):
            self._sync()
            self._user(step, snapshot, i)
            body()

    def set_event(self, event: Event) -> None:
        self._pending_event = event
        self._event_applied = False

    def set_configuration(self, state_ids: Iterable[str]) -> None:
        self._pending_config = list(state_ids)

    def snapshot(self) -> dict:
        """The session's data as JSON-ready values (`snapshot_json` parsed: a fresh copy each time,
        since callers may change what they get). Raises ExecutionError when they cannot be
        serialised (a cycle, a throwing getter or toJSON, out of memory): never a partial snapshot."""
        text = self.snapshot_json()
        try:
            snap = orjson.loads(text)
        except orjson.JSONDecodeError:  # what orjson refuses (a lone surrogate): the standard parser takes it
            snap = json.loads(text)
        if not self.data_root:
            del snap["data_root"]
        return snap

    def snapshot_embedded(self) -> orjson.Fragment:
        """`snapshot_json` as it is, for orjson to embed (`{"data_root": null}` when there is no
        data root: restore takes that as none)."""
        return orjson.Fragment(self.snapshot_json())

    def snapshot_json(self) -> str:
        """The session's data as the snapshot's JSON text, `{"variables": ..., "data_root": ...}`.

        When nothing ran in JS since the last call (no evaluation, condition, assignment,
        script, declaration, pushed value or host call: every one of them passes through `_call`
        or `execute_script`, which mark the data changed), the data cannot have changed and the
        last text is reused: a macrostep that runs no expression costs no JS call here, and a
        flow log that read the data after a macrostep spares the snapshot of that state its own
        call. A getter's value is then the one it returned last time (a restore keeps values,
        never getters, so a snapshot of a getter is already the value it had once)."""
        # One call into JS, with a serializer compiled once per context. XML values stay
        # {"__xml__": text} here, as in snapshotted events: plain JSON for the store.
        text = self._last_snapshot
        if self._data_changed or text is None:
            text = self._call(self._snapshot_js, "all", self._data_root_value())
            self._last_snapshot = text
            self._data_changed = False  # set last: the calls above pass through _call
        return text

    def visible_json(self) -> str:
        """The variables as operators see them, as JSON text: the data root's items, then the
        globals, without the system variables (one call into JS, nothing parsed in Python)."""
        changed = self._data_changed  # reading changes nothing: the snapshot cache stays good
        try:
            return self._call(self._snapshot_js, "visible", self._data_root_value())
        finally:
            self._data_changed = changed

    def _data_root_value(self) -> Any:
        """The data root's object (ORS: `_data`), None without one. Its expression's compiled
        function is called as host code: it reads no event or configuration (nothing to push
        first) and runs no document code, so it needs no macrostep budget either (an evaluation
        with both costs ~2 us, the call alone ~0.3 us; snapshots take it after every change)."""
        if not self.data_root:
            return None
        return self._call(self._value_fn(self.data_root))

    def restore(self, data: dict) -> None:
        for name, value in (data.get("data_root") or {}).items():
            self.assign_value(self._data_location(name), _data_to_xml(value))
        for name, value in data.get("variables", {}).items():
            # globals, as they were taken: `declare` would put them under the data root
            self._declare_global(name)
            if not (isinstance(value, dict) and value.get("__undefined__")):
                self.assign_value(name, _data_to_xml(value))

    def close(self) -> None:
        """Let the QuickJS context go now; any of its values still held elsewhere is freed with
        the handle that holds it."""
        self._cond_fns.clear()
        self._value_fns.clear()
        self._assign_fns.clear()
        self._revive = self._drain = None
        self._snapshot_js = None
        if self.ctx is not None:
            self.ctx.close()
        self.ctx = None



def _is_location(text: str) -> bool:
    head = text.split(".", 1)[0].split("[", 1)[0]
    return head.isidentifier()
