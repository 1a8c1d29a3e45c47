"""Benchmark OpenORS against SCION and python-statemachine on the same charts, in one run.

    .venv/bin/python bench/run.py [--charts NAME ...] [--large] [--quick] [--rounds N] [--json FILE]

Each engine measures each chart in its own process (bench/openors_bench.py,
bench/scion_bench.js, bench/psm_bench.py); this script prepares the charts, runs them, checks
that the engines reach the same configurations, and prints one table per metric. Side by side:
every chart is measured in `--rounds` rounds (3 by default), the engines in a different order in
each round, and each figure is the median of its rounds. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import charts as chartlib

BENCH = Path(__file__).resolve().parent
ENGINES = ["OpenORS", "SCION", "python-statemachine"]
SHORT = {"OpenORS": "OpenORS", "SCION": "SCION", "python-statemachine": "psm"}
TIMEOUT = 300  # seconds for one engine on one chart

# (key, title, better)
METRICS = [
    ("events_per_s", "events/s", "higher is better"),
    ("start_us", "start a session (µs)", "lower is better"),
    ("mem_kb", "memory per live session, KB: heap growth (tracemalloc; V8 heapUsed)", "lower is better"),
    ("rss_kb", "memory per live session, KB: resident set growth", "lower is better"),
]


def fmt_num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def scion_ready() -> str | None:
    """Install SCION into bench/node_modules if missing; return why it cannot run, or None."""
    if shutil.which("node") is None:
        return "node not found"
    if (BENCH / "node_modules" / "@scion-scxml" / "scxml").is_dir():
        return None
    if shutil.which("npm") is None:
        return "npm not found (needed once to install @scion-scxml/scxml)"
    log("installing @scion-scxml/scxml into bench/node_modules (npm install)...")
    proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=BENCH,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return "npm install failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
    return None


def adapter(engine: str) -> list[str]:
    if engine == "SCION":
        return ["node", "--expose-gc", str(BENCH / "scion_bench.js")]
    script = "openors_bench.py" if engine == "OpenORS" else "psm_bench.py"
    return [sys.executable, str(BENCH / script)]


def command(engine: str, chart: chartlib.Chart, opts, phase: str) -> list[str]:
    cmd = [*adapter(engine), str(chart.path), "--events", ",".join(chart.events),
           "--budget", str(opts.budget), "--sessions", str(opts.sessions), "--phase", phase]
    if engine == "SCION" and chart.rewritten:
        # SCION runs eventless transitions in its own loop within one big step: it is measured
        # that way, on the original chart (scion_bench.js --eventless), not one gen() per microstep.
        cmd += ["--eventless", str(chart.source)]
    return cmd


def round_order(round_index: int) -> list[str]:
    """The engines in the order of this round: rotated each round, so none is always first."""
    k = round_index % len(ENGINES)
    return ENGINES[k:] + ENGINES[:k]


def median_of_rounds(runs: list[dict]) -> dict:
    """One result from the rounds of one engine on one chart: each figure is the median of the
    rounds (the figures of every round are kept under `rounds`); n/a if any round was."""
    failed = next((r for r in runs if r.get("status") != "ok"), None)
    if failed is not None:
        return failed
    if any(r.get("trace") != runs[0].get("trace") for r in runs):
        return {"status": "n/a", "reason": "configurations differ between two rounds"}
    out = dict(runs[0])
    for key, _, _ in METRICS:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = statistics.median(values)
    out["rounds"] = [{key: r.get(key) for key, _, _ in METRICS} for r in runs]
    return out


def measure(engine: str, chart: chartlib.Chart, opts) -> dict:
    """Memory, then timings, each in a fresh process; the results merged (--quick: one process)."""
    if opts.quick:
        return run_one(command(engine, chart, opts, "all"))
    res = run_one(command(engine, chart, opts, "memory"))
    if res.get("status") == "ok":
        timing = run_one(command(engine, chart, opts, "timing"))
        if timing.get("status") != "ok" or timing.get("trace") != res.get("trace"):
            return timing if timing.get("status") != "ok" else {
                "status": "n/a", "reason": "configurations differ between two runs"}
        res.update(timing)
    return res


def run_one(cmd: list[str]) -> dict:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"status": "n/a", "reason": f"timed out after {TIMEOUT} s"}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "n/a", "reason": f"exit {proc.returncode}: {err[:300]}"}


def probe(engine: str) -> str | None:
    """Why the engine cannot run at all, or None."""
    if engine == "SCION":
        return scion_ready()
    out = run_one([*adapter(engine), "--probe"])
    return None if out.get("status") == "ok" else out.get("reason", "probe failed")


def check_traces(chart: chartlib.Chart, results: dict) -> list[str]:
    """Compare the atomic states each engine reports after start and after one and two events."""
    seen = {}
    for engine, res in results.items():
        if res.get("status") == "ok":
            seen[engine] = {k: sorted(set(v) & chart.atomic_states) for k, v in res["trace"].items()}
    notes = []
    if len({json.dumps(t, sort_keys=True) for t in seen.values()}) > 1:
        for engine, t in seen.items():
            notes.append(f"{chart.name}: configurations differ: {engine} {t}")
    return notes


def fmt_ratio(a, b) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def table(key: str, title: str, better: str, names: list[str], results: dict) -> str:
    head = ["chart", *(SHORT[e] for e in ENGINES), "OpenORS/SCION", "OpenORS/psm"]
    rows = []
    for name in names:
        vals = {e: results[name][e].get(key) if results[name][e].get("status") == "ok" else None
                for e in ENGINES}
        cells = [name, *(fmt_num(vals[e]) if vals[e] is not None else "n/a" for e in ENGINES),
                 fmt_ratio(vals["OpenORS"], vals["SCION"]),
                 fmt_ratio(vals["OpenORS"], vals["python-statemachine"])]
        rows.append(cells)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    out = [f"{title} ({better})", line(head), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def versions(results: dict) -> dict:
    found = {}
    for per_engine in results.values():
        for engine, res in per_engine.items():
            if res.get("version"):
                found.setdefault(engine, res["version"])
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--charts", nargs="+", metavar="NAME", help="chart names (default: the six)")
    p.add_argument("--large", action="store_true", help="add LCCA.64 and Transitions.64 (minutes)")
    p.add_argument("--quick", action="store_true", help="smoke run (~20 s): short budgets")
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=ENGINES)
    p.add_argument("--budget", type=float, help="seconds per timed measurement (default 0.8)")
    p.add_argument("--sessions", type=int, help="live sessions for memory (default 2000)")
    p.add_argument("--rounds", type=int, help="rounds per chart, engines alternated; figures are their "
                                              "median (default 3, --quick 1)")
    p.add_argument("--json", metavar="FILE", help="also write all results as JSON")
    opts = p.parse_args(argv)
    opts.rounds = max(1, opts.rounds or (1 if opts.quick else 3))
    opts.budget = opts.budget or (0.1 if opts.quick else 0.8)
    opts.sessions = opts.sessions or (200 if opts.quick else 2000)
    names = opts.charts or list(chartlib.DEFAULT_CHARTS)
    if opts.large:
        names += [n for n in chartlib.LARGE_CHARTS if n not in names]

    unavailable = {}
    for engine in ENGINES:
        why = probe(engine) if engine in opts.engines else "not selected"
        if why:
            unavailable[engine] = why
            if engine in opts.engines:
                print(f"{engine}: not available ({why})")

    results: dict = {}
    notes: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="openors-bench-") as tmp:
        prepared = {name: chartlib.prepare(name, Path(tmp)) for name in names}
        runs: dict = {name: {engine: [] for engine in ENGINES} for name in names}
        for round_index in range(opts.rounds):
            for name in names:
                chart = prepared[name]
                for engine in round_order(round_index):
                    if engine in unavailable:
                        continue
                    t0 = time.perf_counter()
                    res = measure(engine, chart, opts)
                    log(f"round {round_index + 1}/{opts.rounds} {name:<16} {engine:<20} {res.get('status')} "
                        f"({time.perf_counter() - t0:.1f} s)")
                    runs[name][engine].append(res)
        for name in names:
            chart = prepared[name]
            results[name] = {}
            for engine in ENGINES:
                if engine in unavailable:
                    res = {"status": "n/a", "reason": unavailable[engine]}
                else:
                    res = median_of_rounds(runs[name][engine])
                    if res.get("status") != "ok":
                        notes.append(f"{name}: {engine} n/a: {res.get('reason')}")
                results[name][engine] = res
            notes += check_traces(chart, results[name])
            results[name]["_chart"] = {"events": chart.events, "eventless_rewritten": chart.rewritten}
    elapsed = time.perf_counter() - started

    per_chart = {n: {e: results[n][e] for e in ENGINES} for n in names}
    vers = versions(per_chart)
    print()
    print("engines: " + ", ".join(f"{e} {vers.get(e, '?')}" for e in ENGINES if e not in unavailable)
          + f"; node {node_version()}; Python {platform.python_version()}")
    for key, title, better in METRICS:
        print()
        print(table(key, title, better, names, per_chart))
    rewritten = [n for n in names if results[n]["_chart"]["eventless_rewritten"]]
    if rewritten:
        print(f"\n{', '.join(rewritten)}: events/s counts microsteps. OpenORS and psm get a copy whose "
              f"eventless transitions are driven by the event '{chartlib.STEP_EVENT}' (one event = one "
              f"microstep); SCION runs the original chart in its own eventless loop (one big step)")
    for note in notes:
        print("note: " + note)
    print(f"\n{len(names)} charts, {opts.rounds} round(s), engines alternated, medians; {elapsed:.0f} s")

    if opts.json:
        doc = {
            "options": {"budget": opts.budget, "sessions": opts.sessions, "charts": names, "rounds": opts.rounds},
            "machine": {"python": platform.python_version(), "node": node_version(),
                        "platform": platform.platform(), "processor": platform.processor()},
            "unavailable": unavailable,
            "results": results,
            "notes": notes,
        }
        Path(opts.json).write_text(json.dumps(doc, indent=1))
    return 0


def node_version() -> str:
    if shutil.which("node") is None:
        return "none"
    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
