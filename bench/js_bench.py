"""ECMAScript datamodel micro-benchmark (issue 11): ORS session start in process, call cost, and the
memory a context holds, with named anchors measured in the same run.

    python bench/js_bench.py

Anchors: `python call` (an empty Python function call) for the call cost, and a W3C ECMAScript
session's start for the ORS start. Per-session server RSS over the HTTP API is measured by
`bench/server_bench.py --sessions 2000` (and `--sessions 10000`)."""

from __future__ import annotations

import statistics
import time

from openors.ors.extensions import ors_extensions
from openors.scxml import SessionHost, VirtualClock, load_string
from openors.scxml.datamodel import _quickjs
from openors.scxml.datamodel import ecmascript as es

ORS = ('<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:ixn="www.genesyslab.com/modules/interaction"'
       ' version="1.0" profile="ecmascript"><datamodel><data id="x" expr="1"/></datamodel>'
       '<state id="s"><transition event="go" target="e"/></state><final id="e"/></scxml>')
W3C = ('<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
       '<datamodel><data id="x" expr="1"/></datamodel>'
       '<state id="s"><transition event="go" target="e"/></state><final id="e"/></scxml>')


def per_item_us(fn, n: int, rounds: int = 5) -> float:
    """Median over rounds of the time per item, in microseconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn(n)
        times.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(times)


def main() -> None:
    host = SessionHost(VirtualClock())
    ors_doc = load_string(ORS, "file:///bench.scxml", ors_extensions())
    w3c_doc = load_string(W3C, "file:///bench-w3c.scxml")
    kept: list = []
    host.start_session(ors_doc)
    host.start_session(w3c_doc)
    ors_preludes = tuple(ors_doc.dialect.datamodel_options()["prelude_scripts"])

    def start(doc):
        return lambda n: kept.extend(host.start_session(doc) for _ in range(n))

    def start_warm(n):
        es.prewarm(ors_preludes, n)
        started = time.perf_counter()
        kept.extend(host.start_session(ors_doc) for _ in range(n))
        return time.perf_counter() - started

    w3c_us = per_item_us(start(w3c_doc), 200)
    ors_cold = per_item_us(start(ors_doc), 200)
    warm = statistics.median(start_warm(50) / 50 * 1e6 for _ in range(5))

    ctx = _quickjs.Context()
    fn = ctx.eval("(function (a) { return a + 1; })")
    ctx.set_time_limit(0.02)

    def calls(n):
        for i in range(n):
            fn(i)

    def py(a):
        return a + 1

    def py_calls(n):
        for i in range(n):
            py(i)

    call_us, py_us = per_item_us(calls, 200_000), per_item_us(py_calls, 200_000)

    before = _quickjs.memory_used()
    contexts = [_quickjs.Context() for _ in range(1000)]
    bare = (_quickjs.memory_used() - before) / len(contexts) / 1024
    before = _quickjs.memory_used()
    dms = [es.EcmaScriptDatamodel(es.SessionInfo(str(i), None)) for i in range(500)]
    w3c_kib = (_quickjs.memory_used() - before) / len(dms) / 1024
    before = _quickjs.memory_used()
    ors_options = ors_doc.dialect.datamodel_options()
    ors_dms = [es.EcmaScriptDatamodel(es.SessionInfo(str(i), None), **ors_options) for i in range(200)]
    ors_kib = (_quickjs.memory_used() - before) / len(ors_dms) / 1024
    print(f"W3C ECMAScript session start (anchor)   {w3c_us:8.1f} us")
    print(f"ORS session start, context built        {ors_cold:8.1f} us   ({ors_cold / w3c_us:.2f}x anchor)")
    print(f"ORS session start, pre-warmed context   {warm:8.1f} us   ({warm / w3c_us:.2f}x anchor; target <= 300 us)")
    print(f"Python call (anchor)                    {py_us:8.3f} us")
    print(f"JS call with a deadline                 {call_us:8.3f} us   ({call_us / py_us:.2f}x anchor)")
    print(f"JS heap of a bare context               {bare:8.1f} KiB")
    print(f"JS heap of a W3C datamodel              {w3c_kib:8.1f} KiB")
    print(f"JS heap of an ORS datamodel (built-ins) {ors_kib:8.1f} KiB")
    del contexts, dms, ors_dms


if __name__ == "__main__":
    main()
