"""What recording flow logs costs the engine: events/s of the same sessions with and without the
flow recorder subscribed, measured in the same run (the anchor: no recorder).

    python bench/flowlog_bench.py                      # toggle-ecma, 200 sessions, 3 rounds
    python bench/flowlog_bench.py --chart toggle-null --events 50000
    python bench/flowlog_bench.py --chart server       # server_bench.py's chart and event

Three variants: no recorder (anchor); the recorder without the datamodel per macrostep
(`datamodel_every_macrostep: false`); the recorder as configured by default. Each figure is the
median of its rounds; the variants run in a different order each round."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from openors.runtime.flowlog import FlowLogs, FlowLogSettings
from openors.runtime.flowlog_store import MemoryFlowLogStore
from openors.scxml import Event, SessionHost, VirtualClock, load_document, load_string

CHARTS = Path(__file__).resolve().parents[2] / "shared" / "bench-charts"


def run(doc, sessions: int, events: int, recorder: str, event: Event) -> float:
    host = SessionHost(VirtualClock())
    if recorder != "none":
        settings = FlowLogSettings(datamodel_every_macrostep=recorder == "full")
        host.listeners.subscribe(FlowLogs(MemoryFlowLogStore(), settings).recorder)
    live = [host.start_session(doc) for _ in range(sessions)]
    started = time.perf_counter()
    for i in range(events):
        host.deliver(live[i % sessions], event)
        if i % sessions == sessions - 1:
            host.run_ready()
    host.run_ready()
    return events / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chart", default="toggle-ecma", choices=("toggle-ecma", "toggle-null", "server"),
                        help="server: server_bench.py's chart (one targetless transition, two <assign>)")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.chart == "server":
        from server_bench import CHART

        doc = load_string(CHART, "file:///server-bench.scxml")
        event = Event("update", "external", {"seq": "1"})
    else:
        doc = load_document(str(CHARTS / f"{args.chart}.scxml"))
        event = Event("t", "external")  # the toggle charts' one event
    variants = ["none", "no-datamodel", "full"]
    results: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(args.rounds):
        order = variants[r % 3:] + variants[:r % 3]
        for variant in order:
            results[variant].append(run(doc, args.sessions, args.events, variant, event))
    anchor = statistics.median(results["none"])
    print(f"chart {args.chart}, {args.sessions} sessions, {args.events} events, median of {args.rounds} rounds")
    for variant in variants:
        rate = statistics.median(results[variant])
        print(f"  {variant:13s} {rate:10.0f} events/s   {rate / anchor:5.2f} x the anchor (no recorder)")


if __name__ == "__main__":
    main()
