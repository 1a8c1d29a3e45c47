"""Measurement loop shared by the Python engines (OpenORS, python-statemachine).

An adapter gives three callables: ``make()`` builds and starts a session, ``send(s, event)``
processes one external event to completion, ``config(s)`` lists the active state ids. The
document is loaded once by the adapter, before any of this runs.

* start: sessions are built in rounds (the round size grows until a round takes
  ``MIN_ROUND`` seconds (a quarter of the budget when that is less; this also warms up), then rounds are repeated within a time budget;
  the median round gives the time per start.
* events/s: the same, sending the chart's events round-robin to one started session.
* memory (in a process of its own): ``count`` sessions are kept alive; the growth of the Python heap (tracemalloc) and of
  the process's resident set (RSS), each divided by ``count``. RSS also sees memory that is not
  Python's own (C libraries, a JavaScript engine); it is measured in a pass without tracemalloc.
"""

from __future__ import annotations

import gc
import itertools
import os
import statistics
import time
import tracemalloc

MIN_ROUND = 0.05


def _rounds(run_batch, budget: float) -> float:
    """Seconds per item: the median over rounds of ``run_batch(n)`` (returns elapsed seconds)."""
    n = 1
    min_round = min(MIN_ROUND, budget / 4)
    while True:
        elapsed = run_batch(n)
        if elapsed >= min_round or n >= 1 << 20:
            break
        n *= 2
    per_item = [elapsed / n]
    deadline = time.perf_counter() + budget
    while len(per_item) < 3 or (time.perf_counter() < deadline and len(per_item) < 50):
        per_item.append(run_batch(n) / n)
    return statistics.median(per_item)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def time_start(make, budget: float) -> float:
    def batch(n: int) -> float:
        keep = []
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(n):
            keep.append(make())
        elapsed = time.perf_counter() - t0
        del keep
        return elapsed

    return _rounds(batch, budget)


def time_events(make, send, events: list[str], budget: float) -> float:
    session = make()
    stream = itertools.cycle(events)

    def batch(n: int) -> float:
        evs = [next(stream) for _ in range(n)]
        t0 = time.perf_counter()
        for ev in evs:
            send(session, ev)
        return time.perf_counter() - t0

    return _rounds(batch, budget)


def memory(make, count: int, budget: float) -> dict:
    """Up to ``count`` live sessions, fewer (at least 5) when building them outlasts ``budget``."""
    make()  # first session: lazy imports and caches belong to no session
    gc.collect()
    rss0 = _rss_bytes()
    keep = []
    deadline = time.perf_counter() + budget
    while len(keep) < count and (len(keep) < 5 or time.perf_counter() < deadline):
        keep.append(make())
    count = len(keep)
    gc.collect()
    rss = (_rss_bytes() - rss0) / count
    del keep
    gc.collect()

    tracemalloc.start()
    gc.collect()
    heap0 = tracemalloc.get_traced_memory()[0]
    keep = [make() for _ in range(count)]
    gc.collect()
    heap = (tracemalloc.get_traced_memory()[0] - heap0) / count
    tracemalloc.stop()
    del keep
    return {"mem_kb": heap / 1024, "rss_kb": rss / 1024, "mem_sessions": count}


def trace(make, send, config, events: list[str]) -> dict:
    """Configurations after start, after the first event, after two events: engines must agree."""
    s = make()
    out = {"after_start": sorted(config(s))}
    send(s, events[0])
    out["after_1"] = sorted(config(s))
    send(s, events[1 % len(events)])
    out["after_2"] = sorted(config(s))
    return out


def run_all(make, send, config, events: list[str], opts) -> dict:
    """``opts.phase``: "memory", "timing" or "all"; run.py runs memory and timing in separate
    processes, so that neither the freed sessions of the timing rounds hide the growth of the RSS
    nor the big heap left by the memory pass slows the timing rounds."""
    result = {"trace": trace(make, send, config, events)}
    if opts.phase in ("memory", "all"):
        result.update(memory(make, opts.sessions, 2 * opts.budget))
    if opts.phase in ("timing", "all"):
        result["start_us"] = time_start(make, opts.budget) * 1e6
        result["events_per_s"] = 1.0 / time_events(make, send, events, opts.budget)
    return result


def cli(engine: str, load, probe=None) -> None:
    """Command line of a Python adapter: ``load(path)`` returns ``(version, make, send, config)``.

    Prints one JSON object: the measurements, or ``{"status": "n/a", "reason": ...}`` when the
    engine cannot load or run the chart. ``--probe`` only calls ``probe()`` (which raises
    ImportError when the engine is not installed) and prints ``ok`` or ``unavailable``.
    """
    import argparse
    import json
    import sys

    if sys.argv[1:] == ["--probe"]:
        try:
            if probe is not None:
                probe()
            out = {"engine": engine, "status": "ok"}
        except ImportError as exc:
            out = {"engine": engine, "status": "unavailable", "reason": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(out))
        return
    p = argparse.ArgumentParser(description=f"{engine} side of bench/run.py")
    p.add_argument("chart")
    p.add_argument("--events", required=True, help="comma-separated external events")
    p.add_argument("--budget", type=float, default=1.0, help="seconds per timed measurement")
    p.add_argument("--sessions", type=int, default=500, help="live sessions for memory")
    p.add_argument("--phase", choices=["all", "memory", "timing"], default="all")
    opts = p.parse_args()
    events = opts.events.split(",")
    out: dict = {"engine": engine}
    try:
        version, make, send, config = load(opts.chart)
        out["version"] = version
        out.update(run_all(make, send, config, events, opts))
        out["status"] = "ok"
    except Exception as exc:  # an engine that cannot run a chart is reported, not fatal
        out.update(status="n/a", reason=f"{type(exc).__name__}: {exc}"[:300])
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
